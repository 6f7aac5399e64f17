/**
 * The port between the lifecycle and whoever issues tokens. The `TokenManager` knows nothing of Capillary:
 * Capillary's token/generate is one source (see `TokenEndpoint`); Capture's code exchange with refresh-token
 * rotation, or any RFC 6749 client-credentials endpoint, are others. The manager guarantees a source is never
 * asked twice at once, so a source may keep single-use state (a rotating refresh token) without locking.
 *
 * @example
 * ```ts
 * import { TokenSource } from "@capauth/core"
 * import { Clock, Effect, Redacted } from "effect"
 *
 * const fixed: TokenSource.TokenSource = {
 *   id: "fixed",
 *   fetch: Effect.map(Clock.currentTimeMillis, (sentAt) => ({ value: Redacted.make("t"), sentAt, ttlSeconds: 60 }))
 * }
 * ```
 * @module
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type { IssuedToken } from "./AccessToken.ts"
import type { AuthError } from "./AuthError.ts"

/**
 * Whoever issues tokens: a stable id and an effect asking for a new token.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenSource {
  /** Stable, non-secret identity of the credential (store key, span attribute). */
  readonly id: string
  /** Ask for a new token. Must record `sentAt` from `Clock` just before sending. */
  readonly fetch: Effect.Effect<IssuedToken, AuthError>
}
