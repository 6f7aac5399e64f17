/**
 * Public option and record types of the simulator. Kept apart from the implementation so that users can
 * import them without pulling in the server.
 *
 * @module
 * @since 0.1.0
 */
import type { AuthEngineOptions } from "./auth-engine-types.ts"
import type { CaptureOptions } from "./capture-types.ts"

/**
 * Permission an API client holds on a resource: `write` implies `read`.
 *
 * @since 0.1.0
 * @category models
 */
export type AccessLevel = "read" | "write"

/**
 * An OAuth API client, as an org admin would create it in Capillary's admin console.
 *
 * @example
 * const spec: ApiClientSpec = { key: "k", secret: "s", ttlSeconds: 300, accessGroup: { customer: "read" } }
 * @since 0.1.0
 * @category models
 */
export interface ApiClientSpec {
  readonly key: string
  readonly secret: string
  /** Token lifetime; `exp - iat` of every token equals this. Default 3600 (Capillary's default maximum). */
  readonly ttlSeconds?: number
  /** Till used for attribution when the request names none. Default `"store.till1"`. */
  readonly defaultTill?: string
  readonly orgId?: number
  readonly clientId?: number
  /** Disabled clients cannot generate tokens and their existing tokens answer 401. Default true. */
  readonly enabled?: boolean
  /** Resource name -> level. The simulated APIs all use the resource `customer`. Default `{ customer: "write" }`. */
  readonly accessGroup?: Readonly<Record<string, AccessLevel>>
  /** Value of the `has_psi_access` claim. Default false. */
  readonly hasPsiAccess?: boolean
}

/**
 * A POS till that may use Basic authentication. Give the plain password or only its md5 (lowercase hex).
 *
 * @example
 * const till: TillSpec = { id: "store.server", password: "server123" }
 * @since 0.1.0
 * @category models
 */
export interface TillSpec {
  readonly id: string
  readonly password?: string
  readonly passwordMd5?: string
}

/** Values of `X-CAP-API-ATTRIBUTION-ENTITY-TYPE` that Capillary documents. */
export const ATTRIBUTION_TYPES = [
  "TILL",
  "STORE_CODE",
  "STORE_NAME",
  "STORE_EXTERNAL_ID",
  "STORE_EXTERNAL_ID_1",
  "STORE_EXTERNAL_ID_2"
] as const

/**
 * An attribution entity type: one of the values of `X-CAP-API-ATTRIBUTION-ENTITY-TYPE` that Capillary
 * documents (`TILL`, `STORE_CODE`, ...).
 *
 * @since 0.1.0
 * @category models
 */
export type AttributionType = (typeof ATTRIBUTION_TYPES)[number]

/**
 * An entity a write can be attributed to (a till or a store under one of its identifiers).
 *
 * @since 0.1.0
 * @category models
 */
export interface EntitySpec {
  readonly type: AttributionType
  readonly code: string
}

/**
 * How an expired token is signalled:
 * - `http-498`: HTTP 498 and body code 498 (number)
 * - `body-string`: HTTP 200 and body code `"498"` (a string)
 * - `body-number`: HTTP 200 and body code 498 (a number)
 *
 * @since 0.1.0
 * @category models
 */
export type ExpirySignal = "http-498" | "body-string" | "body-number"

/**
 * How 401/403 auth failures are signalled:
 * - `both`: HTTP 401/403 and the code in the body (default)
 * - `status`: HTTP 401/403 only; the body is an error envelope without a code
 * - `body`: HTTP 200 and the code in the body
 *
 * @since 0.1.0
 * @category models
 */
export type AuthFailureSignal = "status" | "body" | "both"

/**
 * A fault injected in place of (or around) the normal answer.
 *
 * - `latency`: wait `ms` real milliseconds, then answer normally.
 * - `status`: answer `status` without processing; the body is the path family's error envelope carrying
 *   `errorCode` (default: the status), or `body` verbatim (objects are JSON-encoded).
 * - `rate-limit`: 429 with `Retry-After: retryAfterSeconds`, without processing.
 * - `no-response`: hold the socket and never answer (node server only; released by `close()`).
 * - `reset`: destroy the socket (node server only).
 * - `malformed-json` / `truncated-json` / `wrong-content-type`: process the request, then corrupt the answer.
 *
 * `no-response` and `reset` happen before processing unless `phase: "after"`, in which case the request is
 * processed (a write is recorded) and then the answer is lost: the case that exactly-once logic must survive.
 *
 * @since 0.1.0
 * @category models
 */
export type Fault =
  | { readonly kind: "latency"; readonly ms: number }
  | {
      readonly kind: "status"
      readonly status: number
      readonly errorCode?: number
      readonly message?: string
      readonly body?: unknown
      readonly headers?: Readonly<Record<string, string>>
    }
  | { readonly kind: "rate-limit"; readonly retryAfterSeconds: number }
  | { readonly kind: "no-response"; readonly phase?: "before" | "after" }
  | { readonly kind: "reset"; readonly phase?: "before" | "after" }
  | { readonly kind: "malformed-json" }
  | { readonly kind: "truncated-json" }
  | { readonly kind: "wrong-content-type"; readonly contentType?: string }

/**
 * A fault rule. `path` is matched exactly against the request path without its query string (`"*"` matches
 * every path). When several rules match, the first added wins.
 *
 * @since 0.1.0
 * @category models
 */
export interface FaultRule {
  readonly path: string
  readonly fault: Fault
  /** Method to match (e.g. `"POST"`); default any. */
  readonly method?: string
  /** How many requests it applies to; default unlimited. */
  readonly times?: number
  /** Chance (0..1) that it applies to a matching request, drawn from the seeded PRNG; default 1. */
  readonly probability?: number
}

/**
 * Options of {@link startSimulator}. Every field is optional.
 *
 * @since 0.1.0
 * @category models
 */
export interface SimulatorOptions {
  /** TCP port; 0 (default) picks a free one. The host is always 127.0.0.1. */
  readonly port?: number
  /** `real` (default) uses `Date.now()`; `manual` starts at `startTime` and moves only via `clock.advance`. */
  readonly clock?: "real" | "manual"
  /** Start of the manual clock in epoch ms; default 1704067200000 (2024-01-01T00:00:00.000Z). */
  readonly startTime?: number
  /** Seed of the PRNG behind fault probabilities; default 1. */
  readonly seed?: number
  /** API clients; default one sample client ({@link SAMPLE_CLIENT}). */
  readonly clients?: readonly ApiClientSpec[]
  /** Basic-auth tills; default the sample till ({@link SAMPLE_TILL}). */
  readonly tills?: readonly TillSpec[]
  /** Extra known attribution entities (tills of clients and of `tills` are always known). */
  readonly entities?: readonly EntitySpec[]
  readonly expirySignal?: ExpirySignal
  readonly authFailureSignal?: AuthFailureSignal
  /** HTTP status of a failed token generation (320001 etc.); undocumented by Capillary. Default 401. */
  readonly tokenErrorStatus?: number
  /** Reject POST bodies not sent as `application/json` (Capillary requires it). Default true. */
  readonly requireJsonContentType?: boolean
  /**
   * Reuse one RS256 key pair for every simulator in the process that asks for it (RSA key generation costs
   * 100-500 ms). Default false: each simulator has its own key, so a token from one is garbage to another.
   */
  readonly sharedKey?: boolean
  /** The request log keeps about this many newest entries, so a long CLI run stays bounded. Default 100000. */
  readonly maxLogEntries?: number
  /** Answer CORS preflights and add `Access-Control-Allow-Origin: *` (for browser tests). Default true. */
  readonly cors?: boolean
  /**
   * The Capture simulator, always served under `/capture` (a client's base URL is `${sim.url}/capture`).
   * Default: the sample client and user ({@link SAMPLE_CAPTURE_CLIENT}, {@link SAMPLE_CAPTURE_USER}).
   */
  readonly capture?: CaptureOptions
  /**
   * The end-customer Auth Engine and its gateway, always served under `/auth-engine` (a client's Auth Engine
   * base URL is `${sim.url}/auth-engine`, its gateway base URL `${sim.url}/auth-engine/gateway`). Default: the
   * sample brand and customer ({@link SAMPLE_AUTH_ENGINE_BRAND}, {@link SAMPLE_AUTH_ENGINE_USER}), tokens of
   * 900 s.
   */
  readonly authEngine?: AuthEngineOptions
}

/**
 * One received request, as logged in `sim.requests`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestLogEntry {
  readonly method: string
  readonly path: string
  readonly query: string
  /** HTTP status answered; 0 when the socket was reset or never answered. */
  readonly status: number
  /** Request headers, lowercased names, as received. */
  readonly headers: Readonly<Record<string, string>>
  /** Parsed JSON body (or raw text); `secret` is redacted from token requests. Undefined when empty. */
  readonly body?: unknown
  /** Name of the fault applied, if any. */
  readonly fault?: Fault["kind"]
  /** Simulator clock time in epoch ms. */
  readonly at: number
  readonly requestId: string
}

/**
 * Who a write was attributed to.
 *
 * @since 0.1.0
 * @category models
 */
export interface Attribution {
  readonly type: AttributionType
  readonly code: string
}

/**
 * An accepted write, as recorded in `sim.writes`.
 *
 * @since 0.1.0
 * @category models
 */
export interface WriteRecord {
  readonly writeId: string
  readonly method: string
  readonly path: string
  readonly attribution: Attribution
  readonly body: unknown
  /** `oauth:<clientKey>` or `basic:<tillId>`. */
  readonly principal: string
  readonly at: number
}

/**
 * Metadata of an issued token, as recorded in `sim.tokens`.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenRecord {
  readonly jti: string
  readonly clientKey: string
  /** Epoch seconds. */
  readonly iat: number
  /** Epoch seconds. */
  readonly exp: number
  readonly token: string
}

/**
 * Counters returned by `sim.stats()`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SimulatorStats {
  /** Token requests by the `key` they presented (valid or not). */
  readonly tokenRequests: Readonly<Record<string, number>>
  readonly tokenRequestsTotal: number
  /** Every request by `"METHOD /path -> status"` (status `reset` / `no-response` for socket faults). */
  readonly apiRequests: Readonly<Record<string, number>>
}
