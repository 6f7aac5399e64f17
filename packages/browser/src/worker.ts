/**
 * Entry of a dedicated worker: `new Worker(bundleUrl, { type: "module" })`, then `connect(worker, { config })`.
 * Configured by the page's `init` message or the worker URL's query string.
 * @since 0.1.0
 */
import { serveDedicated } from "./WorkerHost.ts"

serveDedicated(globalThis)
