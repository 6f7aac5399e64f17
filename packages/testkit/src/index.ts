/**
 * `@capauth/testkit`: a Capillary auth + API simulator over real HTTP on 127.0.0.1.
 *
 * @example
 * import { startSimulator } from "@capauth/testkit"
 * const sim = await startSimulator({ clock: "manual" })
 * // ... point the client at sim.url ...
 * await sim.close()
 */
export { formatExpiry } from "./auth.ts"
export { basicAuthorization } from "./basic.ts"
export type { SimClock } from "./clock.ts"
export { JWKS_PATH, SimulatorCore, TOKEN_PATH } from "./core.ts"
export { type Customer, SAMPLE_CUSTOMER } from "./customers.ts"
export { DEFAULT_ENTITIES, DEFAULT_MANUAL_EPOCH, SAMPLE_CLIENT, SAMPLE_TILL } from "./defaults.ts"
export type { ActiveFault, FaultController } from "./faults.ts"
export type { AccessClaims, Jwks, PublicJwk } from "./jwt.ts"
export { md5hex } from "./registry.ts"
export type { SimOutcome, SimReply, SimRequest } from "./reply.ts"
export { type Simulator, startSimulator } from "./simulator.ts"
export { CODE_BAD_REQUEST, CODE_CLIENT_DISABLED, CODE_INVALID_CREDENTIALS } from "./token-endpoint.ts"
export {
  type AccessLevel,
  type ApiClientSpec,
  ATTRIBUTION_TYPES,
  type Attribution,
  type AttributionType,
  type AuthFailureSignal,
  type EntitySpec,
  type ExpirySignal,
  type Fault,
  type FaultRule,
  type RequestLogEntry,
  type SimulatorOptions,
  type SimulatorStats,
  type TillSpec,
  type TokenRecord,
  type WriteRecord
} from "./types.ts"
