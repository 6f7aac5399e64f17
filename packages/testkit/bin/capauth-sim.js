#!/usr/bin/env node
// Plain-JS launcher: Node 20 cannot run TypeScript. In this repository (src/ present) always run the source
// through tsx, so a stale dist/ can never win; a published package ships dist/ only and runs that.
import { existsSync } from "node:fs"

const source = new URL("../src/cli.ts", import.meta.url)
let cli
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api")
  register()
  cli = await import(source.href)
} else {
  cli = await import(new URL("../dist/cli.js", import.meta.url).href)
}
await cli.main(process.argv.slice(2))
