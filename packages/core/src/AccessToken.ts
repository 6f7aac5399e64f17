/**
 * A token and its timeline. All instants are milliseconds on the *local* clock: `obtainedAt` is when the
 * token request was sent, so network latency eats into the lifetime and never extends it.
 *
 * ```
 * obtainedAt ─────────── refreshAt ─────────── staleAt ──────────── expiresAt
 *    fresh: served as is │ refresh ahead: served,  │ stale: still served, │ expired: callers
 *                        │ one background refresh  │ renewed at once      │ wait for a new one
 * ```
 *
 * @example
 * ```ts
 * import { AccessToken } from "@capauth/core"
 * import { Redacted } from "effect"
 *
 * const token = AccessToken.make({ value: Redacted.make("opaque"), sentAt: 0, ttlSeconds: 300 })
 * token.expiresAt // 300_000
 * ```
 * @module
 * @since 0.1.0
 */
import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex } from "@noble/hashes/utils.js"
import * as Redacted from "effect/Redacted"
import { MalformedResponse } from "./AuthError.ts"
import { decodeClaims } from "./internal/jwt.ts"
import * as Lifecycle from "./internal/lifecycle.ts"

/**
 * What a token source hands back: the raw token, when it was asked for, and how long it lives.
 *
 * @since 0.1.0
 * @category models
 */
export interface IssuedToken {
  readonly value: Redacted.Redacted<string>
  /** Local clock (ms) at the moment the request that produced this token was sent. */
  readonly sentAt: number
  /** The lifetime the server stated (`ttlSeconds`, `expires_in`). */
  readonly ttlSeconds: number
}

/**
 * The longest token accepted (Capillary's JWTs are about 1 KB; servers refuse much larger headers with 431).
 *
 * @since 0.1.0
 * @category constants
 */
export const maxLength = 8192

/** A token must be sendable as a header value as is: visible ASCII, no space, CR, LF or control byte. */
const headerSafe = /^[\x21-\x7E]+$/

/**
 * Why an issued token cannot be used, or `undefined` if it can: blank, holding what a header cannot carry,
 * longer than `maxLength`, or living less than 1 s or more than 31 days (its `ttlSeconds` cross-checked with
 * the JWT's `exp - iat`). Every source's tokens pass here (the `TokenManager` checks them), so such a token is
 * refused before it is ever sent.
 *
 * @since 0.1.0
 * @category validation
 */
export const unusable = (issued: IssuedToken): MalformedResponse | undefined => {
  const value = Redacted.value(issued.value)
  if (!headerSafe.test(value) || value.length > maxLength) {
    return new MalformedResponse({
      message:
        value.length > maxLength
          ? `the issued token is longer than ${maxLength} characters: no header could carry it`
          : "the issued token is blank or holds characters a header cannot carry (only visible ASCII is allowed)"
    })
  }
  // The lifetime as the timeline will use it (ttl cross-checked with the JWT): 1 s to 31 days.
  const lifetime = Lifecycle.lifetimeMillis(issued.ttlSeconds, decodeClaims(value))
  const problem = Lifecycle.lifetimeProblem(lifetime, `the token's lifetime (${String(lifetime / 1000)} s)`)
  return problem === undefined ? undefined : new MalformedResponse({ message: problem })
}

/**
 * When to refresh ahead and when a token is too close to expiry to use (the rules: `internal/lifecycle.ts`).
 *
 * @since 0.1.0
 * @category models
 */
export type RefreshPolicy = Lifecycle.RefreshPolicy

/**
 * The default refresh policy: refresh ahead at 80 % of the lifetime, up to 5 % jitter, 30 s margin.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultRefreshPolicy: RefreshPolicy = Lifecycle.defaultRefreshPolicy

/**
 * A usable access token. Its value is `Redacted`: it prints as `<redacted>` in logs, JSON and inspect.
 *
 * @since 0.1.0
 * @category models
 */
export interface AccessToken {
  readonly value: Redacted.Redacted<string>
  readonly obtainedAt: number
  readonly refreshAt: number
  readonly staleAt: number
  readonly expiresAt: number
  readonly lifetimeMillis: number
  /** The JWT's claims, unverified; `undefined` for opaque tokens. */
  readonly claims: Readonly<Record<string, unknown>> | undefined
}

/**
 * The lifetime in ms: the server's `ttlSeconds`, cross-checked with the JWT's `exp - iat` (the shorter wins).
 * The JWT's absolute `exp` is never compared with the local clock: the two clocks may disagree.
 *
 * @since 0.1.0
 * @category utils
 */
export const lifetimeMillis = Lifecycle.lifetimeMillis

/**
 * Place a freshly issued token on its timeline. `random` in [0, 1) picks the jitter; pass a fixed value in tests.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  issued: IssuedToken,
  policy: RefreshPolicy = defaultRefreshPolicy,
  random = 0
): AccessToken => {
  const claims = decodeClaims(Redacted.value(issued.value))
  const lifetime = Lifecycle.lifetimeMillis(issued.ttlSeconds, claims)
  const instants = Lifecycle.timeline(issued.sentAt, lifetime, policy, random)
  return { value: issued.value, ...instants, lifetimeMillis: lifetime, claims }
}

/**
 * The same token with every instant moved by `millis` (its lifetime unchanged): how the `TokenManager` follows
 * the wall clock stepping back.
 *
 * @example
 * import { AccessToken } from "@capauth/core"
 * import { Redacted } from "effect"
 *
 * const token = AccessToken.make({ value: Redacted.make("opaque"), sentAt: 10_000, ttlSeconds: 300 })
 * AccessToken.shift(token, -5_000).expiresAt // token.expiresAt - 5_000
 *
 * @since 0.1.0
 * @category utils
 */
export const shift = (token: AccessToken, millis: number): AccessToken => ({
  ...token,
  obtainedAt: token.obtainedAt + millis,
  refreshAt: token.refreshAt + millis,
  staleAt: token.staleAt + millis,
  expiresAt: token.expiresAt + millis
})

/**
 * Where a token stands at `now`.
 *
 * @since 0.1.0
 * @category models
 */
export type Freshness = "fresh" | "refresh-ahead" | "stale"

/**
 * Where a token stands at `now` (ms): `fresh`, `refresh-ahead` or `stale`.
 *
 * @since 0.1.0
 * @category utils
 */
export const freshness = (token: AccessToken, now: number): Freshness =>
  now < token.refreshAt ? "fresh" : now < token.staleAt ? "refresh-ahead" : "stale"

/**
 * Milliseconds of life left at `now` (never negative).
 *
 * @since 0.1.0
 * @category utils
 */
export const remainingMillis = (token: AccessToken, now: number): number => Math.max(0, token.expiresAt - now)

/**
 * Whether two tokens carry the same value (compare-and-invalidate compares values, not objects).
 *
 * @since 0.1.0
 * @category utils
 */
export const sameValue = (
  a: AccessToken | Redacted.Redacted<string>,
  b: AccessToken | Redacted.Redacted<string>
) => reveal(a) === reveal(b)

const reveal = (t: AccessToken | Redacted.Redacted<string>): string =>
  Redacted.value(Redacted.isRedacted(t) ? t : t.value)

/**
 * A short, one-way name for a token (SHA-256, first 16 bytes, hex). Lets a browser worker tell its broker
 * which token Capillary refused, so the broker can compare-and-invalidate without the token travelling.
 *
 * @since 0.1.0
 * @category utils
 */
export const fingerprint = (token: AccessToken | Redacted.Redacted<string>): string =>
  bytesToHex(sha256(new TextEncoder().encode(reveal(token))).subarray(0, 16))
