/**
 * `@capauth/browser`: Capillary tokens in a (Shared)Worker, fetched from your own broker. The page calls the
 * API through the worker and never holds the token; the client secret never reaches the browser.
 *
 * @example
 * ```ts
 * import { connect } from "@capauth/browser"
 *
 * // A bundle of @capauth/browser/shared-worker, served by your app.
 * const worker = new SharedWorker(new URL("./capauth-shared-worker.js", import.meta.url), { type: "module" })
 * const cap = connect(worker, { config: { cluster: "eu", brokerUrl: "/capillary/token" } })
 * const res = await cap.fetch("/v2/customers/123")
 * ```
 * @module
 * @since 0.1.0
 */
export * as BrowserConfig from "./BrowserConfig.ts"
export { type Connection, type ConnectOptions, connect, type FetchInit, fromWire } from "./Connection.ts"
export {
  type CustomerAuthClient,
  type CustomerAuthOptions,
  type CustomerPromiseSession,
  createCustomerAuth
} from "./createCustomerAuth.ts"
export type { TokenInfo, WireError, WireEvent } from "./Protocol.ts"
export * as WorkerHost from "./WorkerHost.ts"
