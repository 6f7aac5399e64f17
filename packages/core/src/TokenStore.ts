/**
 * Where tokens live beyond one `TokenManager`'s memory: a file that survives restarts, Deno KV, Redis for a
 * fleet. The manager reads the store before asking the source (another process may have a fresh token) and
 * writes every new token to it. Store failures never fail a caller: the manager logs them and goes on.
 *
 * @example
 * ```ts
 * import { TokenStore, TokenManager } from "@capauth/core"
 * import { Effect } from "effect"
 *
 * const store = TokenStore.memory()
 * // TokenManager.layer({ source, store })
 * ```
 * @module
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type { AccessToken } from "./AccessToken.ts"
import { decodeClaims } from "./internal/jwt.ts"

/**
 * A store operation failed (I/O, permissions, a corrupt entry). Carries no token.
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenStoreError extends Data.TaggedError("TokenStoreError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * A token store: read, write and compare-and-delete the token of a key (the source's id). A store shared by
 * several processes (Redis) adds a `lease`: the manager then makes one token request per key across all of them.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenStore {
  readonly get: (key: string) => Effect.Effect<Option.Option<AccessToken>, TokenStoreError>
  readonly set: (key: string, token: AccessToken) => Effect.Effect<void, TokenStoreError>
  /** Compare-and-delete: remove the entry only if it still holds `value`. */
  readonly remove: (key: string, value: Redacted.Redacted<string>) => Effect.Effect<void, TokenStoreError>
  /** Cross-process single flight. Without it every process makes its own token requests. */
  readonly lease?: Lease | undefined
}

/**
 * What an attempt to take a lease found: the lease is ours (with its fencing value), or another process holds
 * it for `expiresInMillis` more unless it renews it.
 *
 * @since 0.1.0
 * @category models
 */
export type LeaseAttempt =
  | { readonly _tag: "Acquired"; readonly fence: string }
  | { readonly _tag: "Held"; readonly expiresInMillis: number }

/**
 * The lease of a key: at most one process fetches its token at a time. Every operation is atomic in the shared
 * medium (Redis: `SET NX PX`, compare-and-expire and compare-and-delete scripts). A holder that dies stops
 * renewing, and the lease lapses after `ttlMillis`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Lease {
  /** How long a lease lasts unless renewed (the holder renews it every third of this). */
  readonly ttlMillis: number
  /** Take the lease of `key` if no one holds it, with a fencing value unique to this acquisition. */
  readonly acquire: (key: string) => Effect.Effect<LeaseAttempt, TokenStoreError>
  /** Extend the lease by `ttlMillis` if `fence` still holds it; false if it lapsed or another took it. */
  readonly renew: (key: string, fence: string) => Effect.Effect<boolean, TokenStoreError>
  /** Compare-and-delete: give the lease up only if `fence` still holds it, and wake the waiters. */
  readonly release: (key: string, fence: string) => Effect.Effect<void, TokenStoreError>
  /**
   * Wait until the token or the lease of `key` may have changed (a release, a write, a removal), or `millis`
   * have passed, whichever comes first. A wake-up may be missed (pub/sub is best effort): callers poll.
   */
  readonly awaitChange: (key: string, millis: number) => Effect.Effect<void, TokenStoreError>
}

/**
 * The serialised form (the token value in clear: only stores that protect their medium should hold it).
 *
 * @since 0.1.0
 * @category models
 */
export interface StoredToken {
  readonly value: string
  readonly obtainedAt: number
  readonly refreshAt: number
  readonly staleAt: number
  readonly expiresAt: number
  readonly lifetimeMillis: number
}

/**
 * Serialise for a store.
 *
 * @since 0.1.0
 * @category codecs
 */
export const encode = (token: AccessToken): StoredToken => ({
  value: Redacted.value(token.value),
  obtainedAt: token.obtainedAt,
  refreshAt: token.refreshAt,
  staleAt: token.staleAt,
  expiresAt: token.expiresAt,
  lifetimeMillis: token.lifetimeMillis
})

const isNum = (u: unknown): u is number => typeof u === "number" && Number.isFinite(u)

/**
 * Deserialise from a store; anything malformed reads as absent.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decode = (u: unknown): Option.Option<AccessToken> => {
  if (typeof u !== "object" || u === null) return Option.none()
  const s = u as Partial<StoredToken>
  if (typeof s.value !== "string" || s.value === "") return Option.none()
  if (!isNum(s.obtainedAt) || !isNum(s.refreshAt) || !isNum(s.staleAt) || !isNum(s.expiresAt))
    return Option.none()
  return Option.some({
    value: Redacted.make(s.value),
    obtainedAt: s.obtainedAt,
    refreshAt: s.refreshAt,
    staleAt: s.staleAt,
    expiresAt: s.expiresAt,
    lifetimeMillis: isNum(s.lifetimeMillis) ? s.lifetimeMillis : s.expiresAt - s.obtainedAt,
    claims: decodeClaims(s.value)
  })
}

/**
 * An in-memory store, e.g. to share tokens between several managers of one process.
 *
 * @since 0.1.0
 * @category constructors
 */
export const memory = (): TokenStore => {
  const entries = new Map<string, AccessToken>()
  return {
    get: (key) => Effect.sync(() => Option.fromUndefinedOr(entries.get(key))),
    set: (key, token) => Effect.sync(() => void entries.set(key, token)),
    remove: (key, value) =>
      Effect.sync(() => {
        const current = entries.get(key)
        if (current !== undefined && Redacted.value(current.value) === Redacted.value(value))
          entries.delete(key)
      })
  }
}

/**
 * A store over any string key-value medium (file, Deno KV, localStorage-like). Compare-and-delete is
 * read-then-delete here; media with atomic operations (Deno KV, Redis) should implement `TokenStore` directly.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromKeyValue = (kv: {
  readonly get: (key: string) => Effect.Effect<string | undefined, TokenStoreError>
  readonly set: (key: string, value: string) => Effect.Effect<void, TokenStoreError>
  readonly remove: (key: string) => Effect.Effect<void, TokenStoreError>
}): TokenStore => {
  const read = (key: string) =>
    Effect.map(kv.get(key), (text) => {
      if (text === undefined) return Option.none<AccessToken>()
      try {
        return decode(JSON.parse(text))
      } catch {
        return Option.none<AccessToken>()
      }
    })
  return {
    get: read,
    set: (key, token) => kv.set(key, JSON.stringify(encode(token))),
    remove: (key, value) =>
      Effect.flatMap(read(key), (current) =>
        Option.isSome(current) && Redacted.value(current.value.value) === Redacted.value(value)
          ? kv.remove(key)
          : Effect.void
      )
  }
}
