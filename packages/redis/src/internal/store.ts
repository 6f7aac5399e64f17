/**
 * The token store and its lease over one `Connection`. Every write is one Lua script, so each is atomic in
 * Redis and publishes the change on the store's channel in the same step.
 *
 * Keys (`prefix` defaults to `capauth:`):
 * - `<prefix>token:<source id>`: a hash `{ fp, data, obtainedAt }` that expires with the token. `data` is
 *   `TokenCipher.encodeToken` as JSON: `TokenStore.encode` (the value in clear), or a sealed record when the
 *   store has a cipher (bound to the source id); `fp` is the SHA-256 of the value, which compare-and-invalidate
 *   compares, so the scripts never read `data`.
 * - `<prefix>lease:<source id>`: the fencing value of the process that fetches, `PX` the lease's TTL.
 * - `<prefix>refresh:<session key>`: a Capture session's refresh token (in clear, or a sealed record as JSON
 *   bound to `refresh:<session key>`).
 * - `<prefix>changed`: the pub/sub channel; each message is a source id whose token or lease changed.
 */
import { createHash, randomUUID } from "node:crypto"
import { type AccessToken, type RefreshTokenStore, TokenCipher, TokenStore } from "@capauth/core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redis from "effect/persistence/Redis"
import * as Redacted from "effect/Redacted"
import type { Connection } from "./connection.ts"

/** Newest wins (by `obtainedAt`); a non-hash entry is replaced; `PX` the token's lifetime. */
const setToken = Redis.script(
  (key: string, fp: string, data: string, obtainedAt: number, px: number, channel: string, id: string) => [
    key,
    fp,
    data,
    obtainedAt,
    px,
    channel,
    id
  ],
  {
    numberOfKeys: 1,
    lua: `
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then redis.call('DEL', KEYS[1]) end
local held = tonumber(redis.call('HGET', KEYS[1], 'obtainedAt'))
if held ~= nil and held > tonumber(ARGV[3]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'data', ARGV[2], 'obtainedAt', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1`
  }
).withReturnType<number>()

/** Compare-and-invalidate: delete the entry only if it holds the token with fingerprint `fp`. */
const removeToken = Redis.script(
  (key: string, fp: string, channel: string, id: string) => [key, fp, channel, id],
  {
    numberOfKeys: 1,
    lua: `
if redis.call('TYPE', KEYS[1]).ok == 'hash' and redis.call('HGET', KEYS[1], 'fp') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return 1
end
return 0`
  }
).withReturnType<number>()

/** `SET NX PX` with the fencing value; else the holder's remaining time (ms). */
const acquireLease = Redis.script((key: string, fence: string, ttl: number) => [key, fence, ttl], {
  numberOfKeys: 1,
  lua: `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return -1 end
return redis.call('PTTL', KEYS[1])`
}).withReturnType<number>()

/** Compare-and-expire: extend the lease only for its holder. */
const renewLease = Redis.script((key: string, fence: string, ttl: number) => [key, fence, ttl], {
  numberOfKeys: 1,
  lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`
}).withReturnType<number>()

/** Compare-and-delete: give the lease up only for its holder, and wake the waiters. */
const releaseLease = Redis.script(
  (key: string, fence: string, channel: string, id: string) => [key, fence, channel, id],
  {
    numberOfKeys: 1,
    lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return 1
end
return 0`
  }
).withReturnType<number>()

/** The fingerprint compare-and-invalidate compares: a SHA-256 of the value, never the value. */
const fingerprint = (value: Redacted.Redacted<string>): string =>
  createHash("sha256").update(Redacted.value(value), "utf8").digest("base64url")

/** JSON text as a value; anything else (not a string, not JSON) as `undefined`, which reads as absent. */
const parseJson = (data: unknown): unknown => {
  if (typeof data !== "string") return undefined
  try {
    return JSON.parse(data)
  } catch {
    return undefined
  }
}

/** A cipher that cannot seal: a store error that says so (the cipher's message carries no secret). */
const sealFailed = (what: string) => (error: TokenCipher.TokenCipherError) =>
  new TokenStore.TokenStoreError({ message: `Redis ${what}: could not seal it: ${error.message}` })

export interface Names {
  readonly prefix: string
  readonly channel: string
}

export const names = (prefix: string): Names => ({ prefix, channel: `${prefix}changed` })

/** The `TokenStore` (with its lease) over a connection. */
export const tokenStore = (
  connection: Connection,
  names: Names,
  leaseTtlMillis: number,
  cipher?: TokenCipher.TokenCipher | undefined
): TokenStore.TokenStore & { readonly lease: TokenStore.Lease } => {
  const tokenKey = (id: string) => `${names.prefix}token:${id}`
  const leaseKey = (id: string) => `${names.prefix}lease:${id}`
  const ttl = Math.max(1, Math.round(leaseTtlMillis))
  // The cipher's context is the source id (as in the file and KV stores), not the prefixed Redis key.
  const read = (
    what: string,
    id: string
  ): Effect.Effect<Option.Option<AccessToken.AccessToken>, TokenStore.TokenStoreError> =>
    Effect.flatMap(
      connection.use(what, (redis) => redis.send<unknown>("HGET", tokenKey(id), "data")),
      (data) => {
        const record = parseJson(data)
        return record === undefined ? Effect.succeedNone : TokenCipher.decodeToken(cipher, id, record)
      }
    )
  const invalidate = (id: string, value: Redacted.Redacted<string>) =>
    connection.use("delete", (redis) =>
      Effect.asVoid(redis.eval(removeToken)(tokenKey(id), fingerprint(value), names.channel, id))
    )
  return {
    get: (id) => read("read", id),
    // A write once begun completes (bounded by the command timeout): closing a client right after its fetch
    // still leaves the token in Redis, though sealing takes a tick before the command goes out.
    set: (id, token) =>
      TokenCipher.encodeToken(cipher, id, token).pipe(
        Effect.mapError(sealFailed("write")),
        Effect.flatMap((record) =>
          connection.use("write", (redis) =>
            Effect.asVoid(
              redis.eval(setToken)(
                tokenKey(id),
                fingerprint(token.value),
                JSON.stringify(record),
                token.obtainedAt,
                Math.max(1, Math.ceil(token.lifetimeMillis)),
                names.channel,
                id
              )
            )
          )
        ),
        Effect.uninterruptible
      ),
    // With a cipher, only a store that opens the record may drop it: the fingerprint is not keyed, so a store
    // under other keys must not delete by a value it merely knows. The script still compares `fp`, so a newer
    // token written between the read and the delete stays.
    remove: (id, value) =>
      cipher === undefined
        ? invalidate(id, value)
        : Effect.flatMap(read("delete", id), (held) =>
            Option.isSome(held) && Redacted.value(held.value.value) === Redacted.value(value)
              ? invalidate(id, value)
              : Effect.void
          ),
    lease: {
      ttlMillis: ttl,
      acquire: (id) =>
        Effect.suspend(() => {
          const fence = randomUUID()
          return connection.use("lease", (redis) =>
            Effect.map(
              redis.eval(acquireLease)(leaseKey(id), fence, ttl),
              (pttl): TokenStore.LeaseAttempt =>
                Number(pttl) === -1
                  ? { _tag: "Acquired", fence }
                  : { _tag: "Held", expiresInMillis: Math.max(0, Number(pttl)) }
            )
          )
        }),
      renew: (id, fence) =>
        connection.use("lease renewal", (redis) =>
          Effect.map(redis.eval(renewLease)(leaseKey(id), fence, ttl), (n) => Number(n) === 1)
        ),
      release: (id, fence) =>
        connection.use("lease release", (redis) =>
          Effect.asVoid(redis.eval(releaseLease)(leaseKey(id), fence, names.channel, id))
        ),
      awaitChange: (id, millis) => connection.awaitChange(id, millis)
    }
  }
}

/**
 * Capture refresh tokens on the same connection. `sessionTokens` shares the sessions' access tokens under the
 * lease, so one process refreshes a session and the others read the rotated pair.
 */
export const refreshTokenStore = (
  connection: Connection,
  names: Names,
  sessionTokens: TokenStore.TokenStore,
  cipher?: TokenCipher.TokenCipher | undefined
): RefreshTokenStore.RefreshTokenStore => {
  const key = (session: string) => `${names.prefix}refresh:${session}`
  const context = (session: string) => `refresh:${session}`
  /** With a cipher: only a record that opens (anything else is absent). Without: the text, unless sealed. */
  const reveal = (
    session: string,
    value: unknown
  ): Effect.Effect<Option.Option<Redacted.Redacted<string>>> => {
    if (typeof value !== "string" || value === "") return Effect.succeedNone
    if (cipher === undefined) {
      return Effect.succeed(
        TokenCipher.isSealed(parseJson(value)) ? Option.none() : Option.some(Redacted.make(value))
      )
    }
    return cipher.open(parseJson(value), context(session)).pipe(
      Effect.map((text) => (text === "" ? Option.none() : Option.some(Redacted.make(text)))),
      Effect.catch(() => Effect.succeedNone)
    )
  }
  return {
    get: (session) =>
      Effect.flatMap(
        connection.use("refresh token read", (redis) => redis.send<unknown>("GET", key(session))),
        (value) => reveal(session, value)
      ),
    // A rotated refresh token is single-use: once begun, its write completes (bounded by the command timeout).
    set: (session, refreshToken) =>
      Effect.flatMap(
        cipher === undefined
          ? Effect.succeed(Redacted.value(refreshToken))
          : Effect.map(
              Effect.mapError(
                cipher.seal(Redacted.value(refreshToken), context(session)),
                sealFailed("refresh token write")
              ),
              (sealed) => JSON.stringify(sealed)
            ),
        (text) =>
          connection.use("refresh token write", (redis) =>
            Effect.asVoid(redis.send("SET", key(session), text))
          )
      ).pipe(Effect.uninterruptible),
    sessionTokens
  }
}
