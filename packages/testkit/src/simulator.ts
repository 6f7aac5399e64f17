import { AUTH_ENGINE_PREFIX } from "./auth-engine.ts"
import type { AuthEngineControls } from "./auth-engine-types.ts"
import { CAPTURE_PREFIX } from "./capture.ts"
import type { CaptureControls } from "./capture-types.ts"
import type { SimClock } from "./clock.ts"
import { SimulatorCore } from "./core.ts"
import type { FaultController } from "./faults.ts"
import type { Jwks, PublicJwk } from "./jwt.ts"
import { serveNode } from "./node-server.ts"
import type {
  ApiClientSpec,
  AuthFailureSignal,
  EntitySpec,
  ExpirySignal,
  RequestLogEntry,
  SimulatorOptions,
  SimulatorStats,
  TillSpec,
  TokenRecord,
  WriteRecord
} from "./types.ts"

/**
 * A running simulator. See {@link startSimulator}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Simulator {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string
  readonly port: number
  /** The Capture base URL, `${url}/capture`: operations are `${captureUrl}/oauth/token`, `/entity`, ... */
  readonly captureUrl: string
  /** The Capture simulator: its logs, counters and helpers (expire, revoke, users, clients). */
  readonly capture: CaptureControls
  /**
   * The end-customer Auth Engine base URL, `${url}/auth-engine`: endpoints are `${authEngineUrl}/auth/v1/otp/generate`,
   * ... (see the README's "End-customer Auth Engine").
   */
  readonly authEngineUrl: string
  /** Its API gateway's base URL, `${url}/auth-engine/gateway`: `GET ${authEngineGatewayUrl}/v1/customer/profile`. */
  readonly authEngineGatewayUrl: string
  /** The Auth Engine: its logs, counters and helpers (the pending OTP of a session, expire, revoke, users). */
  readonly authEngine: AuthEngineControls
  /** Governs token `iat`/`exp` and expiry. `advance`/`set` throw on a real clock. */
  readonly clock: SimClock
  /** Fault rules: `add({ path, fault, times?, probability?, method? })`, `remove(id)`, `clear()`, `list()`. */
  readonly faults: FaultController
  /** Request log, oldest first (token-request secrets redacted). */
  readonly requests: readonly RequestLogEntry[]
  /** Accepted writes, oldest first. */
  readonly writes: readonly WriteRecord[]
  /** Issued tokens, oldest first. */
  readonly tokens: readonly TokenRecord[]
  /** The RS256 public key (kid `k1`), also served as a JWKS at `GET /.well-known/jwks.json`. */
  readonly publicJwk: PublicJwk
  readonly jwks: Jwks
  /** The same simulator as a web-standard handler (shares all state). */
  readonly fetch: (request: Request) => Promise<Response>
  /** The underlying core, for advanced use. */
  readonly core: SimulatorCore
  addClient(spec: ApiClientSpec): void
  addTill(spec: TillSpec): void
  addEntity(spec: EntitySpec): void
  /** Token generation then fails (code 320002) and the client's tokens answer 401. */
  disableClient(key: string): void
  enableClient(key: string): void
  /** Delete the client (as an org admin does): token generation answers 320001, its tokens answer 401. */
  deleteClient(key: string): void
  /** That exact token now answers 401. */
  revokeToken(token: string): void
  /** Every token issued so far now answers expired (498 per the expiry signal). */
  expireAllTokens(): void
  setExpirySignal(mode: ExpirySignal): void
  setAuthFailureSignal(mode: AuthFailureSignal): void
  stats(): SimulatorStats
  /**
   * Clears counters, logs, writes and faults (Capture's and the Auth Engine's too, with its OTP-generation
   * windows and password lockouts); restores customers, Capture and Auth Engine users and signal modes; keeps
   * clients, tills, brands, keys, sessions and token states.
   */
  reset(): void
  /** Stops the server, dropping every connection (including held ones). */
  close(): Promise<void>
}

/**
 * Starts a Capillary simulator on 127.0.0.1 over node:http.
 *
 * @example
 * const sim = await startSimulator({ clock: "manual", clients: [{ key: "k", secret: "s", ttlSeconds: 300 }] })
 * const res = await fetch(`${sim.url}/v3/oauth/token/generate`, {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({ key: "k", secret: "s" })
 * })
 * sim.clock.advance(300_000) // the token is now expired
 * await sim.close()
 * @since 0.1.0
 * @category constructors
 */
export const startSimulator = async (options: SimulatorOptions = {}): Promise<Simulator> => {
  const core = await SimulatorCore.create(options)
  const server = await serveNode(core, options.port ?? 0)
  return {
    url: server.url,
    port: server.port,
    captureUrl: server.url + CAPTURE_PREFIX,
    capture: core.capture,
    authEngineUrl: server.url + AUTH_ENGINE_PREFIX,
    authEngineGatewayUrl: `${server.url}${AUTH_ENGINE_PREFIX}/gateway`,
    authEngine: core.authEngine,
    clock: core.clock,
    faults: core.faults,
    requests: core.requests,
    writes: core.writes,
    tokens: core.tokens,
    publicJwk: core.publicJwk,
    jwks: core.jwks,
    fetch: core.fetch,
    core,
    addClient: (spec) => core.addClient(spec),
    addTill: (spec) => core.addTill(spec),
    addEntity: (spec) => core.addEntity(spec),
    disableClient: (key) => core.disableClient(key),
    enableClient: (key) => core.enableClient(key),
    deleteClient: (key) => core.deleteClient(key),
    revokeToken: (token) => core.revokeToken(token),
    expireAllTokens: () => core.expireAllTokens(),
    setExpirySignal: (mode) => core.setExpirySignal(mode),
    setAuthFailureSignal: (mode) => core.setAuthFailureSignal(mode),
    stats: () => core.stats(),
    reset: () => core.reset(),
    close: () => server.close()
  }
}
