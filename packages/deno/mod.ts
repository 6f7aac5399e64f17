/**
 * @capauth/deno — capauth for Deno. See `src/index.ts` and the README.
 * @module
 */
export * from "./src/index.ts"
