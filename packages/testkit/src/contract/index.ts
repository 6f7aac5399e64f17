/**
 * `@capauth/testkit/contract`: scenarios every capauth runtime and store must pass, written once and run by a
 * thin runner per runtime or store. A runner passes what is runtime-specific (how a test is declared, how a
 * web-standard handler is served, the client factory, the store with Promise operations, `inspect`); the
 * suites import neither `@capauth/core` nor `effect`.
 *
 * - `wireContract`: the Promise client's wire behaviour (redirects, bodies, typed rejections, aborts, secrets).
 * - `clientContract`: the Promise client against the simulator (single flight, expiry replay, close, config).
 * - `storeContract`: a `TokenStore` (get/set/compare-and-delete, isolation, concurrency, persistence, and at
 *   rest for a store with a cipher: no token in a dump, key rotation, unknown keys read as absent).
 * - `sourceContract`: a `TokenSource` over HTTP (what a fetch hands back, `sentAt`, typed transient/permanent errors).
 * - `transportContract`: `proxy`, `fetch` and the proxy environment variables, against a real forward proxy
 *   (`startProxy`, tunnelling `CONNECT` and forwarding absolute-form requests) on 127.0.0.1.
 * - `brokerContract`: a token broker (envelope, statuses, no-store, compare-and-invalidate by fingerprint).
 * - `customerAuthContract`: end-customer auth against the simulator's Auth Engine (each flow, each code's error,
 *   one regeneration under concurrency, no retry after the OTP limit, lifetime from `exp - iat`, resume, secrets).
 * - `captureContract`: the Capture Promise client against the simulator's Capture side (client auth modes, code
 *   flow, single-use refresh tokens rotated once under concurrency, 414 retried once, creation tokens, error
 *   fields and codes, config, close).
 *
 * @example
 * Node with vitest. `createCapillaryClient` is `@capauth/node`'s (`import { createCapillaryClient } from
 * "@capauth/node"`); it is declared here because the testkit does not depend on `@capauth/node`.
 *
 * ```ts
 * import { inspect } from "node:util"
 * import { type ContractClient, serveNode, wireContract } from "@capauth/testkit/contract"
 * import { describe, it } from "vitest"
 *
 * declare const createCapillaryClient: (options: { readonly baseUrl: string }) => ContractClient
 *
 * describe("wire contract", () => {
 *   wireContract({
 *     test: (name, fn) => void it(name, fn),
 *     serve: serveNode,
 *     createClient: createCapillaryClient,
 *     inspect: (value) => inspect(value, { depth: 10 })
 *   })
 * })
 * ```
 * @module
 * @since 0.1.0
 */
export { type BrokerContractClient, type BrokerRunner, brokerContract } from "./broker.ts"
export {
  type CaptureContractClient,
  type CaptureContractSession,
  type CaptureRunner,
  captureContract
} from "./capture.ts"
export {
  type ClientRunner,
  type ContractEnv,
  type ContractPromiseClient,
  type ContractTokenInfo,
  clientContract
} from "./client.ts"
export {
  type ContractCustomerAuth,
  type ContractCustomerSession,
  type CustomerAuthRunner,
  customerAuthContract
} from "./customer-auth.ts"
export { type ContractLease, type LeaseRunner, type LeaseUnderTest, leaseContract } from "./lease.ts"
export { type ProxyOptions, type ProxySeen, startProxy, type TestProxy } from "./proxy.ts"
export { serveNode } from "./serve-node.ts"
export {
  type ContractIssuedToken,
  type ContractTokenSource,
  type SourceRunner,
  type SourceTarget,
  sourceContract
} from "./source.ts"
export {
  type ContractTokenStore,
  type RedactedFunctions,
  type SealedHooks,
  type StoreRunner,
  type StoreToken,
  type StoreUnderTest,
  storeContract
} from "./store.ts"
export {
  type TransportCaptureClient,
  type TransportCustomerAuth,
  type TransportRunner,
  transportContract
} from "./transport.ts"
export {
  type ContractAttribution,
  type ContractClient,
  type ContractServer,
  type WebHandler,
  type WireRunner,
  wireContract
} from "./wire.ts"
