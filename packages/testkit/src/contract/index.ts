/**
 * `@capauth/testkit/contract`: scenarios every capauth runtime must pass, written once and run by a thin
 * runner per runtime. A runner passes what is runtime-specific (how a test is declared, how a web-standard
 * handler is served, the client factory, `inspect`); the suites import no `@capauth/core`.
 *
 * @example
 * // Node (vitest)
 * import { serveNode, wireContract } from "@capauth/testkit/contract"
 * describe("wire contract", () => {
 *   wireContract({ test: it, serve: serveNode, createClient: createCapillaryClient, inspect: (v) => inspect(v) })
 * })
 */
export { serveNode } from "./serve-node.ts"
export {
  type ContractAttribution,
  type ContractClient,
  type ContractServer,
  type WebHandler,
  type WireRunner,
  wireContract
} from "./wire.ts"
