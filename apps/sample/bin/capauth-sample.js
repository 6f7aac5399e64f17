#!/usr/bin/env node
// Plain-JS launcher: Node's type stripping does not take all the TypeScript used here (parameter properties),
// so load the source through tsx.
import { register } from "tsx/esm/api"

register()
await import("../src/main.ts")
