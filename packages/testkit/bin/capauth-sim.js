#!/usr/bin/env node
// Plain-JS launcher: Node 20 cannot run TypeScript, so use the built dist when present, else load the
// TypeScript source through tsx.
import { existsSync } from "node:fs"

const built = new URL("../dist/cli.js", import.meta.url)
let cli
if (existsSync(built)) {
  cli = await import(built.href)
} else {
  const { register } = await import("tsx/esm/api")
  register()
  cli = await import("../src/cli.ts")
}
await cli.main(process.argv.slice(2))
