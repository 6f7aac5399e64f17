#!/usr/bin/env node
// Plain-JS launcher. The sample runs from source in the workspace: workspace packages resolve to their
// TypeScript sources (the "@capauth/source" export condition) and tsx compiles them.
import { register } from "node:module"
import { register as registerTsx } from "tsx/esm/api"

const addSourceCondition = `export const resolve = (specifier, context, next) =>
  next(specifier, { ...context, conditions: [...context.conditions, "@capauth/source"] })`
register(`data:text/javascript,${encodeURIComponent(addSourceCondition)}`)
registerTsx()
await import("../src/main.ts")
