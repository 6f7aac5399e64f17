/**
 * Where a Capture session's refresh token lives. Capture's refresh tokens are single-use: every refresh answers a
 * new one and the old one is spent, so a session writes the rotated token here *before* it uses the new access
 * token; a process that restarts (or another one) resumes the session from the store by its key. Values are
 * `Redacted` on both sides of the port.
 *
 * @example
 * ```ts
 * import { RefreshTokenStore } from "@capauth/core"
 *
 * declare const client: { get(key: string): Promise<string | null>; set(key: string, value: string): Promise<unknown> }
 * const store = RefreshTokenStore.memory() // the default
 * // or over your own Promise-based medium:
 * const redis = RefreshTokenStore.fromPromise({
 *   get: async (key) => (await client.get(key)) ?? undefined,
 *   set: async (key, value) => void (await client.set(key, value))
 * })
 * ```
 * @module
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { type TokenStore, TokenStoreError } from "./TokenStore.ts"

/**
 * A refresh-token store: read and write the refresh token of a session key.
 *
 * @since 0.1.0
 * @category models
 */
export interface RefreshTokenStore {
  readonly get: (key: string) => Effect.Effect<Option.Option<Redacted.Redacted<string>>, TokenStoreError>
  readonly set: (key: string, refreshToken: Redacted.Redacted<string>) => Effect.Effect<void, TokenStoreError>
  /**
   * A shared store for the sessions' access tokens, with a lease (e.g. `@capauth/redis`). With it, processes
   * that share a session key refresh it once between them: the lease holder refreshes and stores the rotated
   * pair, the others read it (the access token from here, the refresh token from this store).
   */
  readonly sessionTokens?: TokenStore | undefined
}

/**
 * An in-memory store (the default): a session survives as long as the process.
 *
 * @since 0.1.0
 * @category constructors
 */
export const memory = (): RefreshTokenStore => {
  const entries = new Map<string, Redacted.Redacted<string>>()
  return {
    get: (key) => Effect.sync(() => Option.fromUndefinedOr(entries.get(key))),
    set: (key, refreshToken) => Effect.sync(() => void entries.set(key, refreshToken))
  }
}

/**
 * A store over Promise-returning functions (a database, Redis, a file), for code without Effect. The value is
 * handed over in clear: only a medium that protects its data should hold it. A rejection becomes a
 * `TokenStoreError` (logged by the session, never shown to callers).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromPromise = (medium: {
  readonly get: (key: string) => Promise<string | undefined | null>
  readonly set: (key: string, refreshToken: string) => Promise<void>
}): RefreshTokenStore => ({
  get: (key) =>
    Effect.map(
      Effect.tryPromise({
        try: () => medium.get(key),
        catch: (cause) => new TokenStoreError({ message: "refresh token store read failed", cause })
      }),
      (value) =>
        typeof value === "string" && value !== "" ? Option.some(Redacted.make(value)) : Option.none()
    ),
  set: (key, refreshToken) =>
    Effect.tryPromise({
      try: () => medium.set(key, Redacted.value(refreshToken)),
      catch: (cause) => new TokenStoreError({ message: "refresh token store write failed", cause })
    })
})

/**
 * Whether a value has the shape of a `RefreshTokenStore` (for config validation).
 *
 * @since 0.1.0
 * @category guards
 */
export const isRefreshTokenStore = (u: unknown): u is RefreshTokenStore =>
  typeof u === "object" &&
  u !== null &&
  typeof (u as { get?: unknown }).get === "function" &&
  typeof (u as { set?: unknown }).set === "function"
