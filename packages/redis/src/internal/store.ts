/**
 * The token store and its lease over one `Connection`. Every write is one Lua script, so each is atomic in
 * Redis and publishes the change on the store's channel in the same step.
 *
 * Keys (`prefix` defaults to `capauth:`):
 * - `<prefix>token:<source id>`: a hash `{ fp, data, obtainedAt }` that expires with the token. `data` is
 *   `TokenStore.encode` as JSON (the token value in clear); `fp` is the SHA-256 of the value, which
 *   compare-and-invalidate compares, so the script never needs the value itself (a cipher may seal `data`).
 * - `<prefix>lease:<source id>`: the fencing value of the process that fetches, `PX` the lease's TTL.
 * - `<prefix>refresh:<session key>`: a Capture session's refresh token (in clear).
 * - `<prefix>changed`: the pub/sub channel; each message is a source id whose token or lease changed.
 */
import { createHash, randomUUID } from "node:crypto"
import { type AccessToken, type RefreshTokenStore, TokenStore } from "@capauth/core"
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

/**
 * The serialisation seam: a token as `data` and back. Encryption at rest (a `TokenCipher`) belongs here; the
 * scripts never read `data`.
 */
const serialise = (token: AccessToken.AccessToken): string => JSON.stringify(TokenStore.encode(token))
const deserialise = (data: unknown): Option.Option<AccessToken.AccessToken> => {
  if (typeof data !== "string") return Option.none()
  try {
    return TokenStore.decode(JSON.parse(data))
  } catch {
    return Option.none()
  }
}

export interface Names {
  readonly prefix: string
  readonly channel: string
}

export const names = (prefix: string): Names => ({ prefix, channel: `${prefix}changed` })

/** The `TokenStore` (with its lease) over a connection. */
export const tokenStore = (
  connection: Connection,
  names: Names,
  leaseTtlMillis: number
): TokenStore.TokenStore & { readonly lease: TokenStore.Lease } => {
  const tokenKey = (id: string) => `${names.prefix}token:${id}`
  const leaseKey = (id: string) => `${names.prefix}lease:${id}`
  const ttl = Math.max(1, Math.round(leaseTtlMillis))
  return {
    get: (id) =>
      connection.use("read", (redis) =>
        Effect.map(redis.send<unknown>("HGET", tokenKey(id), "data"), deserialise)
      ),
    set: (id, token) =>
      connection.use("write", (redis) =>
        Effect.asVoid(
          redis.eval(setToken)(
            tokenKey(id),
            fingerprint(token.value),
            serialise(token),
            token.obtainedAt,
            Math.max(1, Math.ceil(token.lifetimeMillis)),
            names.channel,
            id
          )
        )
      ),
    remove: (id, value) =>
      connection.use("delete", (redis) =>
        Effect.asVoid(redis.eval(removeToken)(tokenKey(id), fingerprint(value), names.channel, id))
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
  sessionTokens: TokenStore.TokenStore
): RefreshTokenStore.RefreshTokenStore => {
  const key = (session: string) => `${names.prefix}refresh:${session}`
  return {
    get: (session) =>
      connection.use("refresh token read", (redis) =>
        Effect.map(redis.send<unknown>("GET", key(session)), (value) =>
          typeof value === "string" && value !== "" ? Option.some(Redacted.make(value)) : Option.none()
        )
      ),
    set: (session, refreshToken) =>
      connection.use("refresh token write", (redis) =>
        Effect.asVoid(redis.send("SET", key(session), Redacted.value(refreshToken)))
      ),
    sessionTokens
  }
}
