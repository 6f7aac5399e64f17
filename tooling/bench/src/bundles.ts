/**
 * 6. Bundle sizes, min + gzip (esbuild, minified, tree-shaken, gzip level 9): capauth's browser worker and Node
 * facade beside the peers, each bundled from a one-line entry that uses it the way a team would.
 */
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import { build } from "esbuild"
import { benchDir } from "./child.ts"
import type { Section } from "./report.ts"
import { table } from "./stats.ts"

interface Entry {
  readonly name: string
  readonly platform: "browser" | "node"
  readonly code: string
}

const entries: ReadonlyArray<Entry> = [
  {
    name: "capauth browser worker (`@capauth/browser/worker`)",
    platform: "browser",
    // Resolved here (the source, through the bench's @capauth/source condition) so the dependency is visible.
    code: `import ${JSON.stringify(fileURLToPath(import.meta.resolve("@capauth/browser/worker")))}`
  },
  {
    name: "capauth Node facade (`createCapillaryClient`)",
    platform: "node",
    code: 'export { createCapillaryClient } from "@capauth/node"'
  },
  { name: "ky", platform: "browser", code: 'export { default } from "ky"' },
  {
    name: "axios + axios-auth-refresh",
    platform: "browser",
    code: 'export { default } from "axios"; export { createAuthRefresh } from "axios-auth-refresh"'
  },
  {
    name: "axios + axios-auth-refresh",
    platform: "node",
    code: 'export { default } from "axios"; export { createAuthRefresh } from "axios-auth-refresh"'
  },
  {
    name: "@badgateway/oauth2-client",
    platform: "browser",
    code: 'export { OAuth2Client, OAuth2Fetch } from "@badgateway/oauth2-client"'
  }
]

const size = async (e: Entry) => {
  const result = await build({
    stdin: { contents: e.code, resolveDir: benchDir, loader: "ts" },
    bundle: true,
    minify: true,
    write: false,
    format: "esm",
    platform: e.platform,
    conditions: ["@capauth/source"],
    target: "es2022",
    logLevel: "silent"
  })
  const bytes = result.outputFiles[0]!.contents
  return { min: bytes.length, gz: gzipSync(bytes, { level: 9 }).length }
}

export const bundles = async (): Promise<Section> => {
  const rows: Array<Array<string>> = []
  const sizes = new Map<string, number>()
  for (const e of entries) {
    const s = await size(e)
    sizes.set(`${e.name}/${e.platform}`, s.gz)
    rows.push([e.name, e.platform, `${(s.min / 1024).toFixed(1)} KB`, `${(s.gz / 1024).toFixed(1)} KB`])
  }
  const worker = sizes.get(`${entries[0]!.name}/browser`)!
  const facade = sizes.get(`${entries[1]!.name}/node`)!
  return {
    title: "6. Bundle size",
    markdown: `esbuild (minify, tree-shaking, ESM, target es2022), gzip level 9; KB = 1024 bytes. The Node bundles include everything but Node's built-ins (Effect, undici, ky for capauth).\n\n${table(["bundle", "platform", "min", "min + gzip"], rows)}`,
    headlines: [
      {
        figure: "browser worker, min + gzip",
        value: `${(worker / 1024).toFixed(1)} KB`,
        goal: "<= 60 KB (the worker budget)",
        met: worker <= 60 * 1024
      },
      {
        figure: "Node facade, min + gzip",
        value: `${(facade / 1024).toFixed(1)} KB`,
        goal: "",
        met: undefined
      }
    ]
  }
}
