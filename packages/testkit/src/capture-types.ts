/**
 * Public option and record types of the Capture (Janrain / Akamai Identity Cloud) part of the simulator.
 * Kept apart from the implementation, like `types.ts`, so users can import them without the server.
 *
 * @module
 * @since 0.1.0
 */

/**
 * What a Capture API client may do, as Capture's client "features" say:
 * - `owner`: everything.
 * - `access_issuer`: `access/getAuthorizationCode`, `access/getCreationToken`.
 * - `direct_access`: `entity`, `entity.count`, `entity.update`, `entity.create` with client credentials.
 * - `direct_read_access`: `entity`, `entity.count` with client credentials.
 * - `login_client`: no client-credential operation besides `oauth/token` (exchanging codes and refresh tokens
 *   issued for it).
 *
 * Every client may call `oauth/token`; calls made with an access token or a creation token need no feature.
 *
 * @since 0.1.0
 * @category models
 */
export type CaptureClientFeature =
  | "owner"
  | "access_issuer"
  | "direct_access"
  | "direct_read_access"
  | "login_client"

/**
 * A Capture API client.
 *
 * @example
 * const spec: CaptureClientSpec = { clientId: "login-client", clientSecret: "s3cret", features: ["login_client"] }
 *
 * @since 0.1.0
 * @category models
 */
export interface CaptureClientSpec {
  readonly clientId: string
  readonly clientSecret: string
  /** Default `["owner"]`. */
  readonly features?: readonly CaptureClientFeature[]
  /**
   * Lifetime of the access tokens `oauth/token` issues to this client (its `expires_in`). Default: the
   * `accessTokenTtlSeconds` of {@link CaptureOptions}, else 3600.
   */
  readonly accessTokenTtlSeconds?: number
}

/**
 * A Capture user record (an entity of type `typeName`). `id`, `uuid`, `created` and `lastUpdated` are
 * maintained by the simulator; `attributes` is everything else (`email`, `givenName`, ...).
 *
 * @example
 * const user: CaptureUserSpec = { uuid: "0d4c6a3e-...", attributes: { email: "a@example.com" } }
 *
 * @since 0.1.0
 * @category models
 */
export interface CaptureUserSpec {
  readonly uuid: string
  /** Numeric id; default the next free one. */
  readonly id?: number
  /** Entity type; default `"user"`. */
  readonly typeName?: string
  readonly attributes?: Readonly<Record<string, unknown>>
}

/**
 * How error envelopes name their message and request id, since Capture answers both spellings and a
 * client must accept both:
 * - `standard` (default): `error_description` and `request_id`
 * - `legacy`: `message` and `request_token`
 * - `alternate`: errors cycle through `error_description`+`request_id`, `message`+`request_token`,
 *   `error_description`+`request_token`, `message`+`request_id` (the cycle restarts on `reset()`)
 *
 * @since 0.1.0
 * @category models
 */
export type CaptureErrorStyle = "standard" | "legacy" | "alternate"

/**
 * The `capture` field of {@link SimulatorOptions}. Every field is optional.
 *
 * @since 0.1.0
 * @category models
 */
export interface CaptureOptions {
  /** Default: one client, {@link SAMPLE_CAPTURE_CLIENT}. */
  readonly clients?: readonly CaptureClientSpec[]
  /** Default: one user, {@link SAMPLE_CAPTURE_USER}. */
  readonly users?: readonly CaptureUserSpec[]
  /** Access-token lifetime of clients that set none. Default 3600 (Capture's one hour). */
  readonly accessTokenTtlSeconds?: number
  /** Default `"standard"`. */
  readonly errorStyle?: CaptureErrorStyle
  /** How far (seconds) a signed request's `Date` may be from the simulator clock. Default 300. */
  readonly signatureWindowSeconds?: number
}

/**
 * How a Capture request authenticated (or tried to).
 *
 * @since 0.1.0
 * @category models
 */
export type CaptureAuthMode = "basic" | "params" | "signed" | "access_token" | "creation_token" | "none"

/**
 * One Capture request that reached an operation (fault short-circuits are only in `sim.requests`).
 *
 * @since 0.1.0
 * @category models
 */
export interface CaptureRequestLogEntry {
  /** The operation, as signed: `/oauth/token`, `/entity.count`, ... (no `/capture` prefix). */
  readonly operation: string
  readonly method: string
  /** Received parameters (query and form body), values form-decoded; `client_secret` redacted. */
  readonly params: Readonly<Record<string, string>>
  readonly auth: CaptureAuthMode
  /** The client that authenticated (or whose access token was used), when known. */
  readonly clientId?: string
  readonly httpStatus: number
  readonly stat: "ok" | "error"
  /** Capture error code when `stat` is `error`. */
  readonly code?: number
  /** Simulator clock, epoch ms. */
  readonly at: number
  /** Same as the `sim.requests` entry and the `X-Cap-Requestid` header. */
  readonly requestId: string
}

/**
 * An accepted `entity.update` or `entity.create`, as recorded in `sim.capture.writes`.
 *
 * @since 0.1.0
 * @category models
 */
export interface CaptureWriteRecord {
  readonly operation: "entity.update" | "entity.create"
  readonly typeName: string
  readonly uuid: string
  /** The `attributes` JSON as received. */
  readonly attributes: Readonly<Record<string, unknown>>
  /** `client:<clientId>`, `access_token:<clientId>` or `creation_token` (`creation_token:<forClientId>`). */
  readonly principal: string
  readonly at: number
}

/**
 * An access/refresh token pair issued by `oauth/token`, as recorded in `sim.capture.tokens`.
 *
 * @since 0.1.0
 * @category models
 */
export interface CaptureTokenRecord {
  readonly accessToken: string
  readonly refreshToken: string
  readonly clientId: string
  readonly uuid: string
  readonly grantType: "authorization_code" | "refresh_token"
  /** Simulator clock, epoch ms. */
  readonly issuedAt: number
  readonly expiresAt: number
}

/**
 * Counters returned by `sim.capture.stats()`.
 *
 * @since 0.1.0
 * @category models
 */
export interface CaptureStats {
  /** `oauth/token` requests by `grant_type` as sent (`(none)` when missing), valid or not. */
  readonly tokenRequests: Readonly<Record<string, number>>
  /** Token pairs issued (successful `oauth/token`). */
  readonly tokensIssued: number
  /** Refresh tokens successfully exchanged (each is then spent). */
  readonly refreshTokensUsed: number
  /** Exchanges refused because the refresh token was already spent (or revoked). */
  readonly refreshTokenReuse: number
  readonly authorizationCodesIssued: number
  readonly authorizationCodesRedeemed: number
  readonly creationTokensIssued: number
  readonly creationTokensRedeemed: number
  /** `Authorization: Signature` verifications. */
  readonly signatureChecks: { readonly passed: number; readonly failed: number }
  /** Requests by how they authenticated. */
  readonly authModes: Readonly<Record<string, number>>
  /** Requests by `"<operation> -> ok"` or `"<operation> -> <code>"`, e.g. `"/entity -> 414"`. */
  readonly operations: Readonly<Record<string, number>>
}

/**
 * The Capture controls at `sim.capture`.
 *
 * @since 0.1.0
 * @category models
 */
export interface CaptureControls {
  /** Requests that reached an operation, oldest first. */
  readonly requests: readonly CaptureRequestLogEntry[]
  /** Accepted writes, oldest first. */
  readonly writes: readonly CaptureWriteRecord[]
  /** Token pairs issued, oldest first. */
  readonly tokens: readonly CaptureTokenRecord[]
  addClient(spec: CaptureClientSpec): void
  addUser(spec: CaptureUserSpec): void
  /** The current record of a user (attributes plus `id`, `uuid`, `created`, `lastUpdated`). */
  user(uuid: string): Readonly<Record<string, unknown>> | undefined
  /** Every access token issued so far answers 414 access_token_expired; later ones are unaffected. */
  expireAccessTokens(): void
  /** That access token answers 413 no_access_grant. */
  revokeAccessToken(token: string): void
  /** That refresh token is refused by `oauth/token` (400, code 210). */
  revokeRefreshToken(token: string): void
  /** Every access token, refresh token and unused authorization code of that user is revoked. */
  revokeUser(uuid: string): void
  setErrorStyle(style: CaptureErrorStyle): void
  stats(): CaptureStats
}
