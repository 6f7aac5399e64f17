/**
 * Entry of a shared worker: `new SharedWorker(bundleUrl, { type: "module" })`, then `connect(worker, { config })`.
 * Every page connected to it shares one token.
 * @since 0.1.0
 */
import { serveShared } from "./WorkerHost.ts"

serveShared(globalThis)
