/** Redis stores for the tests: Promise views of the ports, a unique key prefix each, ready before use. */
import type { TokenCipher, TokenStore } from "@capauth/core"
import type { ContractLease, ContractTokenStore } from "@capauth/testkit/contract"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import { type RedisTokenStore, redisTokenStore } from "../../src/index.ts"
import type { RedisServer } from "./redis-server.ts"

export type OwnedStore = RedisTokenStore.Service & { readonly close: () => Promise<void> }

let n = 0
/** A prefix no other test uses. */
export const uniquePrefix = (name: string) => `t${process.pid}-${++n}-${name}:`

/** Resolves once the store is connected and subscribed (bounded: rejects after `millis`). */
export const ready = async (store: OwnedStore, millis = 5_000) => {
  const deadline = Date.now() + millis
  while (!store.connected()) {
    if (Date.now() > deadline) throw new Error("the Redis store did not connect")
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return store
}

export const openStore = async (
  url: string,
  keyPrefix: string,
  options: { readonly leaseTtl?: number; readonly cipher?: TokenCipher.TokenCipher | undefined } = {}
): Promise<OwnedStore> =>
  ready(redisTokenStore({ url, keyPrefix, leaseTtl: options.leaseTtl, cipher: options.cipher }))

/** The bulk strings of a RESP reply (keys, field names, values), in order. */
const bulks = (reply: string): Array<string> => {
  const out: Array<string> = []
  const lines = reply.split("\r\n")
  for (let i = 0; i < lines.length; i++) {
    if ((lines[i] as string).startsWith("$") && lines[i] !== "$-1") out.push(lines[++i] as string)
  }
  return out
}

/** Every key under `prefix` and what it holds (hash fields and values, or the string), as text: a leaked dump. */
export const dump = async (server: RedisServer, prefix: string): Promise<string> => {
  const parts: Array<string> = []
  for (const key of bulks(await server.command(["KEYS", `${prefix}*`])).sort()) {
    const type = (await server.command(["TYPE", key])).trim()
    const reply = await server.command(type === "+hash" ? ["HGETALL", key] : ["GET", key])
    parts.push(`${key} (${type.slice(1)}): ${bulks(reply).join(" | ")}`)
  }
  return parts.join("\n")
}

/** The port's Effects as Promises, `get`'s Option as `undefined`. */
export const promisedStore = (
  store: TokenStore.TokenStore
): ContractTokenStore<Redacted.Redacted<string>> => ({
  get: (key) => Effect.runPromise(Effect.map(store.get(key), Option.getOrUndefined)),
  set: (key, token) => Effect.runPromise(store.set(key, token)),
  remove: (key, value) => Effect.runPromise(store.remove(key, value))
})

export const promisedLease = (lease: TokenStore.Lease): ContractLease => ({
  ttlMillis: lease.ttlMillis,
  acquire: (key) => Effect.runPromise(lease.acquire(key)),
  renew: (key, fence) => Effect.runPromise(lease.renew(key, fence)),
  release: (key, fence) => Effect.runPromise(lease.release(key, fence)),
  awaitChange: (key, millis) => Effect.runPromise(lease.awaitChange(key, millis))
})
