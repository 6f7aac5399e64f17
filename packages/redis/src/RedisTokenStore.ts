/**
 * A fleet token store on Redis: every process of a service (replicas, serverless instances) shares one token
 * per client, and a lease makes one token request per token lifetime across all of them. The process that
 * takes the lease (`SET NX PX` with a fencing value, renewed while it works) fetches and stores the token,
 * then releases the lease (compare-and-delete) and wakes the others over pub/sub; they read the stored token.
 * After a 498 the token is invalidated by compare-and-delete in one script, so the fleet regenerates once.
 *
 * Faults: every command answers within `commandTimeout` (500 ms) or counts as failed; while Redis is
 * unreachable (at start, or restarting) each process makes its own single flight, warns once (a
 * `StoreUnavailable` event and one log line), reconnects in the background and coordinates again once Redis
 * answers. A lease holder that dies stops renewing: its lease lapses within `leaseTtl` (3 s) and another
 * process takes over.
 *
 * The token value is kept in clear in Redis unless a `cipher` is given: then every token and refresh token is
 * sealed with AES-256-GCM (see `TokenCipher`) and a dump of Redis alone exposes none. Either way Redis must be
 * private and authenticated; use `rediss://` for TLS. Keys: `<keyPrefix>token:<source id>` (expires with the
 * token), `<keyPrefix>lease:<source id>`, `<keyPrefix>refresh:<Capture session key>`, channel
 * `<keyPrefix>changed`.
 *
 * @example
 * ```ts
 * import { createCapillaryClient, TokenCipher } from "@capauth/node"
 * import { redisTokenStore } from "@capauth/redis"
 * import { Result } from "effect"
 *
 * // CAPAUTH_TOKEN_KEYS=k1:<openssl rand -base64 32>: tokens sealed at rest (optional)
 * const cipher = Result.getOrThrow(TokenCipher.fromEnv((name) => process.env[name]))
 * const tokenStore = redisTokenStore({ url: process.env.CAPAUTH_REDIS_URL!, cipher })
 * const cap = createCapillaryClient({ tokenStore }) // CAPILLARY_* from the environment
 * // ...
 * await cap.close()
 * await tokenStore.close()
 * ```
 * @module
 * @since 0.1.0
 */
import { ConfigError, type RefreshTokenStore, TokenCipher, type TokenStore } from "@capauth/core"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as Connection from "./internal/connection.ts"
import * as Store from "./internal/store.ts"

/**
 * Options of {@link make}, {@link layer} and {@link redisTokenStore}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. */
  readonly url: string | Redacted.Redacted<string>
  /** Prefix of every key and of the channel (default `capauth:`), so several services can share one Redis. */
  readonly keyPrefix?: string | undefined
  /** Every Redis command answers within this or counts as failed (default 500 ms). */
  readonly commandTimeout?: Duration.Input | undefined
  /** How long a lease lasts unless renewed: a dead holder is replaced within it (default 3 s). */
  readonly leaseTtl?: Duration.Input | undefined
  /**
   * Seal every token and refresh token (AES-256-GCM, see `TokenCipher`). Records that do not open with it
   * (sealed under an unknown key id, or written in clear) read as absent and are replaced by the next write.
   */
  readonly cipher?: TokenCipher.TokenCipher | undefined
}

/**
 * The store: a `TokenStore` with a lease, the Capture refresh tokens on the same connection, and whether Redis
 * is connected now.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service extends TokenStore.TokenStore {
  readonly lease: TokenStore.Lease
  /** For the Capture client's `tokenStore`: refresh tokens, and the sessions' access tokens under the lease. */
  readonly refreshTokens: RefreshTokenStore.RefreshTokenStore
  /** Whether the connection to Redis is up now (it reconnects on its own). */
  readonly connected: () => boolean
}

/**
 * The service tag, for Effect users: put the store in `CapillaryConfig`'s `tokenStore`.
 *
 * @since 0.1.0
 * @category services
 */
export class RedisTokenStore extends Context.Service<RedisTokenStore, Service>()(
  "@capauth/redis/RedisTokenStore"
) {}

const millis = (input: Duration.Input | undefined, fallback: number, field: string): number => {
  if (input === undefined) return fallback
  const duration = Duration.fromInputUnsafe(input)
  const ms = Duration.toMillis(duration)
  if (!(ms > 0 && Number.isFinite(ms))) {
    throw new ConfigError({ field, message: `${field} must be a positive, finite duration` })
  }
  return ms
}

/**
 * Check the options; a typed `ConfigError` names what to fix.
 *
 * @since 0.1.0
 * @category constructors
 */
export const validate = (options: Options) => {
  const url = Redacted.isRedacted(options.url) ? options.url : Redacted.make(String(options.url ?? ""))
  let protocol: string | undefined
  try {
    protocol = new URL(Redacted.value(url)).protocol
  } catch {
    protocol = undefined
  }
  if (protocol !== "redis:" && protocol !== "rediss:") {
    throw new ConfigError({
      field: "url",
      message: "url must be a redis:// or rediss:// URL (e.g. redis://:password@10.0.0.5:6379/0)"
    })
  }
  const keyPrefix = options.keyPrefix ?? "capauth:"
  if (typeof keyPrefix !== "string" || /\s/.test(keyPrefix)) {
    throw new ConfigError({ field: "keyPrefix", message: "keyPrefix must be a string without spaces" })
  }
  const cipher: Partial<TokenCipher.TokenCipher> | undefined = options.cipher
  if (cipher !== undefined && (typeof cipher.seal !== "function" || typeof cipher.open !== "function")) {
    throw new ConfigError({
      field: "cipher",
      message: "cipher must be a TokenCipher (TokenCipher.make, TokenCipher.parse or TokenCipher.fromEnv)"
    })
  }
  return {
    url,
    keyPrefix,
    commandTimeoutMillis: millis(options.commandTimeout, 500, "commandTimeout"),
    leaseTtlMillis: millis(options.leaseTtl, 3_000, "leaseTtl")
  }
}

/**
 * Build the store; its connection closes with the scope. Returns at once, even while Redis is unreachable
 * (it connects in the background). Fails with a `ConfigError` for a malformed URL or option.
 *
 * @example
 * ```ts
 * import { RedisTokenStore } from "@capauth/redis"
 * import { Effect } from "effect"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const store = yield* RedisTokenStore.make({ url: "redis://127.0.0.1:6379" })
 *     return store.connected()
 *   })
 * )
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Service, ConfigError, Scope.Scope> =>
  Effect.gen(function* () {
    const checked = yield* Effect.try({
      try: () => validate(options),
      catch: (e) => (e instanceof ConfigError ? e : new ConfigError({ field: "url", message: String(e) }))
    })
    const names = Store.names(checked.keyPrefix)
    const connection = yield* Connection.make({
      url: checked.url,
      channel: names.channel,
      commandTimeoutMillis: checked.commandTimeoutMillis
    })
    const tokens = Store.tokenStore(connection, names, checked.leaseTtlMillis, options.cipher)
    return {
      ...tokens,
      refreshTokens: Store.refreshTokenStore(connection, names, tokens, options.cipher),
      connected: connection.connected
    } satisfies Service
  })

/**
 * A layer of the store.
 *
 * @example
 * ```ts
 * import { RedisTokenStore } from "@capauth/redis"
 *
 * const StoreLive = RedisTokenStore.layer({ url: "rediss://:password@redis.internal:6380" })
 * ```
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<RedisTokenStore, ConfigError> =>
  Layer.effect(RedisTokenStore, make(options))

/**
 * A layer of the store from config: `CAPAUTH_REDIS_URL` (required, redacted), `CAPAUTH_REDIS_KEY_PREFIX`, and
 * `CAPAUTH_TOKEN_KEYS` (redacted; when set, the store seals what it writes: see `TokenCipher`).
 *
 * @example
 * ```ts
 * import { RedisTokenStore } from "@capauth/redis"
 *
 * const StoreLive = RedisTokenStore.layerConfig // reads CAPAUTH_REDIS_URL
 * ```
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<RedisTokenStore, ConfigError> = Layer.effect(
  RedisTokenStore,
  Effect.gen(function* () {
    const read = <A>(name: string, config: Config.Config<A>) =>
      Effect.mapError(
        Config.option(config),
        (error) => new ConfigError({ field: name, message: `${name} could not be read: ${error.message}` })
      )
    const url = yield* read("CAPAUTH_REDIS_URL", Config.Redacted("CAPAUTH_REDIS_URL"))
    if (url._tag === "None") {
      return yield* new ConfigError({
        field: "CAPAUTH_REDIS_URL",
        message:
          "CAPAUTH_REDIS_URL is not set: give the Redis URL, e.g. rediss://:password@redis.internal:6380"
      })
    }
    const keyPrefix = yield* read("CAPAUTH_REDIS_KEY_PREFIX", Config.String("CAPAUTH_REDIS_KEY_PREFIX"))
    const keys = yield* read(TokenCipher.envVar, Config.Redacted(TokenCipher.envVar))
    const cipher = keys._tag === "Some" ? yield* TokenCipher.fromConfig : undefined
    return yield* make({
      url: url.value,
      keyPrefix: keyPrefix._tag === "Some" ? keyPrefix.value : undefined,
      cipher
    })
  })
)

/**
 * The store for Promise code: `createCapillaryClient({ tokenStore })`, and `refreshTokens` for the Capture
 * client's `tokenStore`. Throws a `ConfigError` at once for a malformed URL; connects in the background.
 * `close()` ends the connection (the process can exit).
 *
 * @example
 * ```ts
 * import { createCaptureClient } from "@capauth/node"
 * import { redisTokenStore } from "@capauth/redis"
 *
 * declare const captureOptions: Omit<Parameters<typeof createCaptureClient>[0], "tokenStore">
 * const store = redisTokenStore({ url: "redis://127.0.0.1:6379", keyPrefix: "shop:" })
 * const capture = createCaptureClient({ ...captureOptions, tokenStore: store.refreshTokens })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const redisTokenStore = (options: Options): Service & { readonly close: () => Promise<void> } => {
  validate(options)
  const scope = Effect.runSync(Scope.make())
  const store = Effect.runSync(Scope.provide(scope)(Effect.orDie(make(options))))
  let closing: Promise<void> | undefined
  return {
    ...store,
    close: () => {
      closing ??= Effect.runPromise(Scope.close(scope, Exit.void))
      return closing
    }
  }
}
