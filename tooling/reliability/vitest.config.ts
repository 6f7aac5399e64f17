import { defineConfig } from "vitest/config"

// Workspace packages resolve to their TypeScript sources through the "@capauth/source" export condition
// (everyone else gets the built dist/). Vite's own defaults follow it, as setting conditions replaces them.
const conditions = ["@capauth/source", "module", "node", "development|production"]

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  // One file at a time: each is a load run whose timing goals assume the cores are its own.
  test: { include: ["test/**/*.test.ts"], testTimeout: 20_000, hookTimeout: 20_000, fileParallelism: false }
})
