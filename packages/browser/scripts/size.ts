/**
 * Print the minified + gzipped size of the worker bundles (what a browser downloads), and the biggest inputs.
 * Run: pnpm --filter @capauth/browser size
 */
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import * as esbuild from "esbuild"

const entries = ["worker", "shared-worker", "Connection"] as const
for (const entry of entries) {
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(new URL(`../src/${entry}.ts`, import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    write: false,
    metafile: true
  })
  const code = result.outputFiles[0]!.contents
  const gz = gzipSync(code, { level: 9 }).length
  console.log(
    `${entry.padEnd(14)} ${(code.length / 1024).toFixed(1).padStart(6)} KB min  ${(gz / 1024).toFixed(1).padStart(5)} KB min+gz`
  )
  if (process.argv.includes("--verbose")) {
    const output = Object.values(result.metafile.outputs)[0]!
    const byPackage = new Map<string, number>()
    for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?:dist\/esm\/|src\/)?(.*)$/.exec(file)
      const key = match ? `${match[1]}/${match[2]!.split("/")[0]}` : file.replace(/^.*packages\//, "")
      byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput)
    }
    for (const [key, bytes] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
      console.log(`  ${(bytes / 1024).toFixed(1).padStart(6)} KB  ${key}`)
    }
  }
}
