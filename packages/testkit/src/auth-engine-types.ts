/**
 * Public option and record types of the end-customer Auth Engine part of the simulator (Capillary's OTP /
 * password login for a brand's own mobile and web apps, and the API gateway that takes its tokens). Kept apart
 * from the implementation, like `types.ts`, so users can import them without the server.
 *
 * @module
 * @since 0.1.0
 */

/**
 * How a customer identifies themselves to the Auth Engine (`identifierType`).
 *
 * @since 0.1.0
 * @category models
 */
export type AuthEngineIdentifierType = "MOBILE" | "EMAIL" | "USERNAME"

/**
 * A brand (an org's app) the Auth Engine serves. Requests name it in `brand`, compared without regard to case.
 *
 * @example
 * const brand: AuthEngineBrandSpec = { name: "DocDemo", orgId: 100737, passwordLogin: false }
 *
 * @since 0.1.0
 * @category models
 */
export interface AuthEngineBrandSpec {
  readonly name: string
  /** Default 100. */
  readonly orgId?: number
  /**
   * Whether password login is enabled for the brand. `password/validate` answers 1524 without it, and tokens
   * can be regenerated (`token/regenerate`) only with it: otherwise 1525. Default true.
   */
  readonly passwordLogin?: boolean
}

/**
 * A customer of a brand. Give at least one identifier; `password` makes `password/validate` possible.
 *
 * @example
 * const user: AuthEngineUserSpec = { mobile: "919900000001", password: "s3cret!", firstname: "Asha" }
 *
 * @since 0.1.0
 * @category models
 */
export interface AuthEngineUserSpec {
  /** Customer id (the token's `uid`). Default: the next free one. */
  readonly id?: number
  /** The brand's `name`. Default: the first brand of the options. */
  readonly brand?: string
  readonly mobile?: string
  /** Compared without regard to case. */
  readonly email?: string
  readonly username?: string
  readonly password?: string
  readonly firstname?: string
  readonly lastname?: string
}

/**
 * How Auth Engine and gateway errors travel:
 * - `status` (default): an HTTP status chosen per code (400, 401, 429; see the README) and the code in the body
 * - `body`: HTTP 200 and the code in the body only (`status.success: false`), to prove a client reads the body
 *
 * @since 0.1.0
 * @category models
 */
export type AuthEngineErrorSignal = "status" | "body"

/**
 * The `authEngine` field of {@link SimulatorOptions}. Every field is optional.
 *
 * @example
 * const options: AuthEngineOptions = { tokenTtlSeconds: 3600, otpAttempts: 2, otp: "999999" }
 *
 * @since 0.1.0
 * @category models
 */
export interface AuthEngineOptions {
  /** Lifetime of USER tokens: `exp - iat`. Default 900 (the documented 15 minutes; the reference's samples show 3600). */
  readonly tokenTtlSeconds?: number
  /** Lifetime of a `sessionId` on the simulator clock, after which it answers 1505. Default 900. */
  readonly sessionTtlSeconds?: number
  /** Wrong OTPs a session allows (each answers 1506); any further `otp/validate` on it answers 1518. Default 3. */
  readonly otpAttempts?: number
  /** OTPs one customer identifier may generate per window; the next one answers 1534. Default 10. */
  readonly otpGenerateLimit?: number
  /** The window of `otpGenerateLimit`, on the simulator clock. Default 86400 (a day). */
  readonly otpGenerateWindowSeconds?: number
  /** Wrong passwords a customer may enter (each answers 1528); after that `password/validate` answers 1530. Default 5. */
  readonly passwordAttempts?: number
  /** Every OTP is this value (as Capillary's demo orgs do with `999999`). Default: random, 6 digits, no leading 0. */
  readonly otp?: string
  /** The HS256 signing secret. Default: 32 random bytes, hex; read it back at `sim.authEngine.secret`. */
  readonly secret?: string
  /** Default: one brand, {@link SAMPLE_AUTH_ENGINE_BRAND}. */
  readonly brands?: readonly AuthEngineBrandSpec[]
  /** Default: one customer, {@link SAMPLE_AUTH_ENGINE_USER}. */
  readonly users?: readonly AuthEngineUserSpec[]
  /** Default `"status"`. */
  readonly errorSignal?: AuthEngineErrorSignal
}

/**
 * One request that reached the Auth Engine or its gateway (fault short-circuits and the admin route are only in
 * `sim.requests`).
 *
 * @since 0.1.0
 * @category models
 */
export interface AuthEngineRequestLogEntry {
  /** The path without the `/auth-engine` prefix: `/auth/v1/otp/validate`, `/gateway/v1/customer/profile`. */
  readonly operation: string
  readonly method: string
  /** The JSON body as received, `password` redacted; undefined for a GET or an unparseable body. */
  readonly body?: unknown
  /** The session the request named or created, when known. */
  readonly sessionId?: string
  readonly httpStatus: number
  /** `status.code` of the answer: 200 on success, else the 15xx code (404 / 405 for routing errors). */
  readonly code: number
  readonly success: boolean
  /** Simulator clock, epoch ms. */
  readonly at: number
  /** Same as the `sim.requests` entry and the `X-Cap-Requestid` header. */
  readonly requestId: string
}

/**
 * A USER token issued by the Auth Engine, as recorded in `sim.authEngine.tokens`.
 *
 * @since 0.1.0
 * @category models
 */
export interface AuthEngineTokenRecord {
  readonly token: string
  /** The mobile `key` (claim `rol` AUTH, no `exp`) returned with it; absent for web. */
  readonly key?: string
  readonly variant: "mobile" | "web"
  /** How it was obtained: a validated OTP or password, or a regeneration with the `key` or an `expiredToken`. */
  readonly via: "otp" | "password" | "key" | "expiredToken"
  /** The customer id (the `uid` claim, as a number). */
  readonly userId: number
  readonly brand: string
  /** `null` for web tokens. */
  readonly deviceId: string | null
  readonly identifierType: AuthEngineIdentifierType
  readonly identifierValue: string
  /** Epoch seconds. */
  readonly iat: number
  /** Epoch seconds; `exp - iat` is `tokenTtlSeconds`. */
  readonly exp: number
}

/**
 * Counters returned by `sim.authEngine.stats()`.
 *
 * @since 0.1.0
 * @category models
 */
export interface AuthEngineStats {
  readonly sessionsCreated: number
  readonly otpGenerated: number
  readonly otpValidated: number
  /** Wrong OTPs (1506). */
  readonly otpRejected: number
  readonly passwordValidated: number
  /** Wrong passwords (1528). */
  readonly passwordRejected: number
  /** USER tokens issued by a validated OTP or password. */
  readonly tokensGenerated: number
  /** USER tokens issued by `token/regenerate`. */
  readonly tokensRegenerated: number
  /** Regenerations refused (1525). */
  readonly regenerateRefused: number
  /** Gateway calls by outcome: `"ok"` or the code, e.g. `{ ok: 2, "1529": 1 }`. */
  readonly gatewayCalls: Readonly<Record<string, number>>
  /** Requests by `"<operation> -> ok"` or `"<operation> -> <code>"`, e.g. `"/auth/v1/otp/validate -> 1506"`. */
  readonly operations: Readonly<Record<string, number>>
}

/**
 * The Auth Engine controls at `sim.authEngine`.
 *
 * @since 0.1.0
 * @category models
 */
export interface AuthEngineControls {
  /** Requests that reached the Auth Engine or its gateway, oldest first. */
  readonly requests: readonly AuthEngineRequestLogEntry[]
  /** USER tokens issued, oldest first. */
  readonly tokens: readonly AuthEngineTokenRecord[]
  /** The HS256 secret every token and key is signed with. */
  readonly secret: string
  /** The OTP currently pending in a session (what the customer would receive by SMS or email). */
  otp(sessionId: string): string | undefined
  addBrand(spec: AuthEngineBrandSpec): void
  addUser(spec: AuthEngineUserSpec): void
  /** The customer with that mobile, email or username (in `brand`, default any), customers signed up by OTP included. */
  user(identifierValue: string, brand?: string): AuthEngineUserSpec | undefined
  /** Every USER token issued so far answers 1529 at the gateway (they can still be regenerated); later ones are unaffected. */
  expireTokens(): void
  /** Every session created so far answers 1505. */
  expireSessions(): void
  /** That token answers 1505 at the gateway and cannot be regenerated (1525). */
  revokeToken(token: string): void
  /** That mobile key cannot regenerate tokens (1525). */
  revokeKey(key: string): void
  /** Every token and key of that customer is revoked. */
  revokeUser(identifierValue: string, brand?: string): void
  setErrorSignal(mode: AuthEngineErrorSignal): void
  stats(): AuthEngineStats
}
