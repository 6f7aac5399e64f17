/** The versions a reader needs to trust the figures: Node, Effect, undici, the peers, Deno. */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"

const require = createRequire(import.meta.url)

const versionOf = (name: string): string => {
  try {
    // Some packages do not export package.json: find it next to their entry.
    let dir = require.resolve(name)
    for (;;) {
      dir = dir.slice(0, dir.lastIndexOf("/"))
      try {
        const pkg = JSON.parse(readFileSync(`${dir}/package.json`, "utf8")) as {
          name?: string
          version?: string
        }
        if (pkg.name === name) return pkg.version ?? "?"
      } catch {}
      if (dir.length <= 1) return "?"
    }
  } catch {
    return "?"
  }
}

export const versions = async (): Promise<string> =>
  [
    `node ${process.version}`,
    `effect ${versionOf("effect")}`,
    `@effect/platform-node ${versionOf("@effect/platform-node")}`,
    `undici ${versionOf("undici")} (Node's own fetch: undici ${process.versions.undici})`,
    `ky ${versionOf("ky")}`,
    `axios ${versionOf("axios")}`,
    `axios-auth-refresh ${versionOf("axios-auth-refresh")}`,
    `@badgateway/oauth2-client ${versionOf("@badgateway/oauth2-client")}`,
    `esbuild ${versionOf("esbuild")}`
  ].join(", ")
