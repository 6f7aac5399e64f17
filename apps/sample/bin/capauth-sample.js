#!/usr/bin/env node
// Plain-JS launcher: Node 20 cannot run TypeScript, so load the source through tsx.
import { register } from "tsx/esm/api"

register()
await import("../src/main.ts")
