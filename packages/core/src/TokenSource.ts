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
import * as Effect from "effect/Effect"
import type { IssuedToken } from "./AccessToken.ts"
import type { AuthError } from "./AuthError.ts"
import { nextCredential } from "./internal/lifecycle.ts"

/**
 * Whoever issues tokens: a stable id and an effect asking for a new token.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenSource {
  /**
   * Non-secret identity of the credential in use, with its origin (the store key, a span attribute): two
   * sources share an id only if they would be issued interchangeable tokens. A source over several credentials
   * (`fallback`) changes it when it switches, so read it at each use, never keep it.
   */
  readonly id: string
  /** Ask for a new token. Must record `sentAt` from `Clock` just before sending. */
  readonly fetch: Effect.Effect<IssuedToken, AuthError>
}

/**
 * One source over several, tried in order: the first that works is used. When the one in use is rejected as
 * invalid credentials (a revoked or deleted API client), the next is asked at once, in the same fetch (no
 * backoff, no cooldown in between), wrapping round, each at most once per fetch; the one that works stays in
 * use, and `id` follows it (so does the store key). Any other error is the fetch's error. The `TokenManager`
 * publishes a `CredentialSwitched` event when the id changes. Rotation without downtime: list the new API
 * client after the old one (or before it), then delete the old one.
 *
 * @example
 * ```ts
 * import { TokenSource } from "@capauth/core"
 * import { Clock, Effect, Redacted } from "effect"
 *
 * const fixed = (id: string): TokenSource.TokenSource => ({
 *   id,
 *   fetch: Effect.map(Clock.currentTimeMillis, (sentAt) => ({ value: Redacted.make(id), sentAt, ttlSeconds: 60 }))
 * })
 * const source = TokenSource.fallback([fixed("old-client"), fixed("new-client")])
 * source.id // "old-client" until it is rejected
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const fallback = (sources: ReadonlyArray<TokenSource>): TokenSource => {
  if (sources.length === 0) throw new RangeError("TokenSource.fallback needs at least one source")
  if (sources.length === 1) return sources[0] as TokenSource
  let current = 0
  const attempt = (index: number, tried: number): Effect.Effect<IssuedToken, AuthError> =>
    Effect.catch((sources[index] as TokenSource).fetch, (error) => {
      const next = nextCredential(error, index, tried, sources.length)
      if (next === undefined) return Effect.fail(error)
      // The rejected one is left at once: a transient failure of the next keeps the fetch on the next.
      current = next
      return Effect.andThen(
        Effect.logWarning(
          `capauth: ${(sources[index] as TokenSource).id} was refused as invalid credentials (${error.message}); trying ${(sources[next] as TokenSource).id}`
        ),
        attempt(next, tried + 1)
      )
    })
  return {
    get id() {
      return (sources[current] as TokenSource).id
    },
    fetch: Effect.suspend(() => attempt(current, 1))
  }
}
