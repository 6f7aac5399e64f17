/**
 * `@capauth/testkit`: a Capillary auth + API simulator over real HTTP on 127.0.0.1.
 *
 * The public surface, by group:
 * - **Server**: {@link startSimulator} and the {@link Simulator} it returns; {@link SimulatorOptions} and the
 *   types passed in them (clients, tills, entities, signal modes, fault rules); the records read back from
 *   `stats()`, `requests`, `writes` and `tokens`; {@link TOKEN_PATH}, the endpoint path as it appears in the
 *   log and in `stats().apiRequests` keys; {@link SimulatorCore}, the same simulator as a web-standard handler
 *   with no node:http (for `Deno.serve`, Bun, workers).
 * - **Scenarios**: the sample client, till and customer every simulator starts with, and
 *   {@link basicAuthorization}, the documented Basic header computed independently of any client.
 * - **Capture**: served by the same simulator under {@link CAPTURE_PREFIX} (`sim.captureUrl`); its options
 *   ({@link CaptureOptions} and the client and user specs), the controls at `sim.capture` and their records,
 *   and the sample Capture client and user.
 * - **Auth Engine**: Capillary's end-customer OTP / password login and its API gateway, served under
 *   {@link AUTH_ENGINE_PREFIX} (`sim.authEngineUrl`, `sim.authEngineGatewayUrl`); its options
 *   ({@link AuthEngineOptions} and the brand and user specs), the controls at `sim.authEngine` and their
 *   records, and the sample brand, customer and device id.
 * - **Clock**: {@link SimClock}, the clock at `sim.clock` (`clock: "manual"` to move time by hand).
 * - **CLI**: the `capauth-sim` bin (`bin/capauth-sim.js` -> `src/cli.ts`) serves the same simulator with the
 *   sample scenario; it needs nothing beyond the names above.
 *
 * Scenarios every capauth runtime must pass live at `@capauth/testkit/contract`.
 *
 * @example
 * ```ts
 * import { startSimulator } from "@capauth/testkit"
 *
 * const sim = await startSimulator({ clock: "manual" })
 * // ... point the client at sim.url ...
 * sim.clock.advance(3600_000) // every token with a 1 h TTL is now expired
 * console.log(sim.stats().tokenRequestsTotal)
 * await sim.close()
 * ```
 * @module
 * @since 0.1.0
 */

// Auth Engine
export { AUTH_ENGINE_PREFIX } from "./auth-engine.ts"
export type {
  AuthEngineBrandSpec,
  AuthEngineControls,
  AuthEngineErrorSignal,
  AuthEngineIdentifierType,
  AuthEngineOptions,
  AuthEngineRequestLogEntry,
  AuthEngineStats,
  AuthEngineTokenRecord,
  AuthEngineUserSpec
} from "./auth-engine-types.ts"
// Scenarios
export { basicAuthorization } from "./basic.ts"
// Capture
export { CAPTURE_PREFIX } from "./capture.ts"
export type {
  CaptureAuthMode,
  CaptureClientFeature,
  CaptureClientSpec,
  CaptureControls,
  CaptureErrorStyle,
  CaptureOptions,
  CaptureRequestLogEntry,
  CaptureStats,
  CaptureTokenRecord,
  CaptureUserSpec,
  CaptureWriteRecord
} from "./capture-types.ts"
// Clock
export type { SimClock } from "./clock.ts"
// Server
export { SimulatorCore, TOKEN_PATH } from "./core.ts"
export { type Customer, SAMPLE_CUSTOMER } from "./customer-store.ts"
export {
  SAMPLE_AUTH_ENGINE_BRAND,
  SAMPLE_AUTH_ENGINE_DEVICE_ID,
  SAMPLE_AUTH_ENGINE_USER,
  SAMPLE_CAPTURE_CLIENT,
  SAMPLE_CAPTURE_USER,
  SAMPLE_CLIENT,
  SAMPLE_TILL
} from "./defaults.ts"
export { mulberry32 } from "./prng.ts"
export { type Simulator, startSimulator } from "./simulator.ts"
export type {
  AccessLevel,
  ApiClientSpec,
  Attribution,
  AttributionType,
  AuthFailureSignal,
  EntitySpec,
  ExpirySignal,
  Fault,
  FaultRule,
  RequestLogEntry,
  SimulatorOptions,
  SimulatorStats,
  TillSpec,
  TokenRecord,
  WriteRecord
} from "./types.ts"
