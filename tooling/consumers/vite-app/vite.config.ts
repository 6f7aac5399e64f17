import { defineConfig } from "vite"

// Nothing capauth needs: Vite bundles the workers it finds written as
// `new Worker(new URL("./x.ts", import.meta.url), { type: "module" })` / `new SharedWorker(...)` on its own.
export default defineConfig({})
