/**
 * Print the minified + gzipped size of the worker bundles (what a browser downloads), and with `--verbose` the
 * biggest inputs. Exits non-zero when a worker bundle is over the budget, so CI catches a regression (e.g. a
 * module that drags Effect's `Schema` in through an un-annotated top-level call).
 * Run: pnpm --filter @capauth/browser size [--verbose]
 */
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import * as esbuild from "esbuild"

/** min + gzip budget of each worker bundle, in KB (1024 bytes). */
const budgetKB = 60

const entries = ["worker", "shared-worker", "Connection"] as const
const workers: ReadonlySet<string> = new Set(["worker", "shared-worker"])
const over: Array<string> = []
for (const entry of entries) {
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(new URL(`../src/${entry}.ts`, import.meta.url))],
    bundle: true,
    // Workspace packages from their TypeScript sources (the "@capauth/source" export condition).
    conditions: ["@capauth/source", "module"],
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    write: false,
    metafile: true
  })
  const code = result.outputFiles[0]!.contents
  const gzKB = gzipSync(code, { level: 9 }).length / 1024
  console.log(
    `${entry.padEnd(14)} ${(code.length / 1024).toFixed(1).padStart(6)} KB min  ${gzKB.toFixed(1).padStart(5)} KB min+gz`
  )
  if (workers.has(entry) && gzKB > budgetKB) over.push(`${entry}: ${gzKB.toFixed(1)} KB`)
  if (process.argv.includes("--verbose")) {
    const output = Object.values(result.metafile.outputs)[0]!
    const byModule = new Map<string, number>()
    for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
      // effect by module (effect/dist/http/HttpClient.js -> effect/http/HttpClient), other packages whole.
      const effect = /node_modules\/effect\/dist\/(.*)\.js$/.exec(file)
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file.replace(/^.*\.pnpm\/[^/]+\//, ""))
      const key = effect ? `effect/${effect[1]}` : pkg ? pkg[1]! : file.replace(/^.*packages\//, "")
      byModule.set(key, (byModule.get(key) ?? 0) + bytesInOutput)
    }
    for (const [key, bytes] of [...byModule].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
      console.log(`  ${(bytes / 1024).toFixed(1).padStart(6)} KB  ${key}`)
    }
  }
}
if (over.length > 0) {
  console.error(`over the ${budgetKB} KB min+gz budget: ${over.join(", ")}`)
  process.exit(1)
}
console.log(`worker bundles within the ${budgetKB} KB min+gz budget`)
