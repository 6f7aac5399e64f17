// The size check: each worker bundle Vite emitted (dist/assets), minified by Vite's own build, gzipped by
// node:zlib at level 9. Fails above the budget, when a worker is not one chunk, or when Vite had to stub a Node
// built-in for the browser (a Node-only import reached a browser bundle). Run after `vite build`: node size.mjs
import { readdirSync, readFileSync } from "node:fs"
import { gzipSync } from "node:zlib"

const budgetKB = 60 // KB = 1024 bytes, min + gzip, per worker bundle

const assets = new URL("./dist/assets/", import.meta.url)
const files = readdirSync(assets).filter((f) => f.endsWith(".js"))
const chunks = [
  ["worker", /^capauth-worker-[\w-]+\.js$/],
  ["shared-worker", /^capauth-shared-worker-[\w-]+\.js$/],
  ["page", /^index-[\w-]+\.js$/]
]
const fail = (message) => {
  console.error(`size: ${message}`)
  process.exit(1)
}
if (files.length !== chunks.length)
  fail(`expected ${chunks.length} chunks in dist/assets, found ${files.join(", ")}`)
const figures = []
const over = []
for (const [name, pattern] of chunks) {
  const file =
    files.find((f) => pattern.test(f)) ?? fail(`no ${name} chunk in dist/assets: ${files.join(", ")}`)
  const code = readFileSync(new URL(file, assets))
  if (code.includes("__vite-browser-external")) fail(`${file} imports a Node built-in (stubbed by Vite)`)
  const minKB = code.length / 1024
  const gzKB = gzipSync(code, { level: 9 }).length / 1024
  console.log(
    `${name.padEnd(14)} ${minKB.toFixed(1).padStart(6)} KB min  ${gzKB.toFixed(1).padStart(5)} KB min+gz  ${file}`
  )
  if (name !== "page") {
    figures.push(`${name} ${gzKB.toFixed(1)} KB`)
    if (gzKB > budgetKB) over.push(`${name}: ${gzKB.toFixed(1)} KB`)
  }
}
if (over.length > 0) fail(`over the ${budgetKB} KB min+gz budget: ${over.join(", ")}`)
console.log(`${figures.join(", ")} min+gz (budget ${budgetKB} KB)`)
