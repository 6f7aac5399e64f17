/**
 * A `TokenStore` over Deno KV: processes (or isolates, or restarts) sharing one KV database share one token
 * instead of each asking Capillary for its own. Compare-and-delete and guarded writes use KV's atomic
 * versionstamp checks, so a process never drops or overwrites a token newer than the one it knows.
 *
 * Deno KV is still unstable in Deno 2: run with `--unstable-kv` (or `"unstable": ["kv"]` in deno.json), plus
 * `--allow-read=<path> --allow-write=<path>` for a KV file. The token is stored in clear (protect the file)
 * unless a `cipher` is given: then each entry is sealed with AES-256-GCM (see `TokenCipher`).
 *
 * @example
 * ```ts
 * import { createCapillaryClient, DenoKvTokenStore } from "@capauth/deno"
 *
 * const store = await DenoKvTokenStore.open("./capauth.kv")
 * const cap = createCapillaryClient({
 *   cluster: "eu",
 *   credentials: { key: Deno.env.get("CAPILLARY_CLIENT_KEY")!, secret: Deno.env.get("CAPILLARY_CLIENT_SECRET")! },
 *   tokenStore: store
 * })
 * // ...
 * await cap.close()
 * store.close()
 * ```
 * @module
 * @since 0.1.0
 */
import { TokenCipher, TokenStore } from "@capauth/core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { isPermissionError } from "./DenoCapillary.ts"

/**
 * Options of a Deno KV store.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The KV key prefix; the store's key (the credential's non-secret id) is appended (default `["capauth", "token"]`). */
  readonly prefix?: Deno.KvKey | undefined
  /**
   * Seal every entry (AES-256-GCM, see `TokenCipher`). Entries that do not open with it (sealed under an unknown
   * key id, or written in clear) read as absent and are replaced by the next write.
   */
  readonly cipher?: TokenCipher.TokenCipher | undefined
}

/**
 * A store that owns its KV handle.
 *
 * @since 0.1.0
 * @category models
 */
export interface OwnedStore extends TokenStore.TokenStore {
  readonly kv: Deno.Kv
  /** Close the KV handle. Idempotent. */
  readonly close: () => void
}

const defaultPrefix: Deno.KvKey = ["capauth", "token"]

/**
 * How many times a guarded write retries when another writer committed in between. Every failed check means
 * another write landed, so contention resolves within one attempt per concurrent writer; a write that still
 * has not landed after this many fails (with a `TokenStoreError`), never silently.
 */
const writeAttempts = 64

const failure = (operation: string) => (cause: unknown) =>
  new TokenStore.TokenStoreError({
    // KV errors describe the operation, never the stored value; cut long ones anyway.
    message: `Deno KV ${operation} failed: ${cause instanceof Error ? `${cause.name}: ${cause.message}`.slice(0, 160) : "unknown error"}`,
    cause
  })

/**
 * A `TokenStore` over a KV handle you own (and close).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (kv: Deno.Kv, options: Options = {}): TokenStore.TokenStore => {
  const prefix = options.prefix ?? defaultPrefix
  const { cipher } = options
  const keyOf = (key: string): Deno.KvKey => [...prefix, key]
  const kvCall = <A>(operation: string, run: () => Promise<A>) =>
    Effect.tryPromise({ try: run, catch: failure(operation) })
  const tokenIn = (key: string, entry: Deno.KvEntryMaybe<unknown>) =>
    entry.value === null ? Effect.succeedNone : TokenCipher.decodeToken(cipher, key, entry.value)
  return {
    get: (key) =>
      Effect.flatMap(
        kvCall("read", () => kv.get(keyOf(key))),
        (entry) => tokenIn(key, entry)
      ),
    set: (key, token) =>
      Effect.gen(function* () {
        const k = keyOf(key)
        const record = yield* Effect.mapError(TokenCipher.encodeToken(cipher, key, token), failure("write"))
        const lifetime = token.lifetimeMillis
        for (let attempt = 0; attempt < writeAttempts; attempt++) {
          const current = yield* kvCall("write", () => kv.get(k))
          const held = yield* tokenIn(key, current)
          // Another process already stored a newer token: keep it.
          if (Option.isSome(held) && held.value.obtainedAt > token.obtainedAt) return
          const result = yield* kvCall("write", () =>
            kv
              .atomic()
              .check(current)
              .set(k, record, lifetime > 0 ? { expireIn: lifetime } : undefined)
              .commit()
          )
          if (result.ok) return
        }
        return yield* Effect.fail(
          failure("write")(new Error(`gave up after ${writeAttempts} writes by others landed first`))
        )
      }),
    remove: (key, value) =>
      Effect.gen(function* () {
        const k = keyOf(key)
        const current = yield* kvCall("delete", () => kv.get(k))
        const held = yield* tokenIn(key, current)
        if (Option.isNone(held) || Redacted.value(held.value.value) !== Redacted.value(value)) return
        // The check fails if anyone wrote since the read: then the entry holds a newer token, which stays.
        yield* kvCall("delete", () => kv.atomic().check(current).delete(k).commit())
      })
  }
}

const openError = (path: string | undefined, cause: unknown) => {
  const where = path ?? "the default location"
  if (typeof Deno.openKv !== "function") {
    return new TokenStore.TokenStoreError({
      message:
        'Deno KV is unstable in Deno 2: run with --unstable-kv (or add "unstable": ["kv"] to deno.json)',
      cause
    })
  }
  if (isPermissionError(cause)) {
    const flags =
      path === undefined ? "--allow-read --allow-write" : `--allow-read=${path} --allow-write=${path}`
    return new TokenStore.TokenStoreError({
      message: `Deno refused to open the KV store at ${where}: run with ${flags}`,
      cause
    })
  }
  return new TokenStore.TokenStoreError({
    message: `could not open the Deno KV store at ${where}: ${cause instanceof Error ? cause.message : String(cause)}`,
    cause
  })
}

/**
 * Open a KV database (`Deno.openKv(path)`; `":memory:"` for one process) and wrap it. Rejects with a
 * `TokenStoreError` that names the missing flag (`--unstable-kv`, `--allow-read`, `--allow-write`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const open = async (path?: string, options: Options = {}): Promise<OwnedStore> => {
  let kv: Deno.Kv
  try {
    if (typeof Deno.openKv !== "function") throw new TypeError("Deno.openKv is not a function")
    kv = await Deno.openKv(path)
  } catch (cause) {
    throw openError(path, cause)
  }
  let closed = false
  return {
    ...make(kv, options),
    kv,
    close: () => {
      if (closed) return
      closed = true
      kv.close()
    }
  }
}

/**
 * `open` for Effect: the KV handle closes with the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const scoped = (
  path?: string,
  options: Options = {}
): Effect.Effect<TokenStore.TokenStore, TokenStore.TokenStoreError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => open(path, options),
      catch: (error) => (error instanceof TokenStore.TokenStoreError ? error : openError(path, error))
    }),
    (store) => Effect.sync(store.close)
  )
