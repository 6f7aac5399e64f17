/**
 * The shared contracts (`@capauth/testkit/contract`) on Redis: the store contract (`storeContract`), in clear
 * and sealed with a `TokenCipher` (the at-rest scenarios), and the lease contract (`leaseContract`), each test
 * over a key prefix of its own on one real redis-server.
 */
import { inspect } from "node:util"
import { TokenCipher } from "@capauth/core"
import { leaseContract, storeContract } from "@capauth/testkit/contract"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { afterAll, beforeAll, describe, it } from "vitest"
import { type RedisServer, startRedis } from "./support/redis-server.ts"
import { dump, openStore, promisedLease, promisedStore, uniquePrefix } from "./support/stores.ts"

let server: RedisServer
beforeAll(async () => {
  server = await startRedis()
})
afterAll(async () => {
  await server.dispose()
})

const keys: Record<string, string> = {
  k1: TokenCipher.generateKey(),
  k2: TokenCipher.generateKey(),
  other: TokenCipher.generateKey()
}
const cipherOf = (...pairs: ReadonlyArray<readonly [id: string, key: string]>) =>
  Result.getOrThrow(TokenCipher.make(pairs.map(([id, key]) => ({ id, key: keys[key] as string }))))

// Once in clear, once sealed (the at-rest scenarios): the same contract either way.
for (const cipher of [undefined, cipherOf(["k1", "k1"])]) {
  describe(`RedisTokenStore${cipher === undefined ? "" : " (encrypted)"}: the store contract`, () => {
    interface Sut {
      readonly keyPrefix: string
      readonly others: Array<{ close: () => Promise<void> }>
    }
    /** Another store over `sut`'s prefix (a restart, another process), closed with it. */
    const another = async (sut: Sut, with_ = cipher) => {
      const again = await openStore(server.url, sut.keyPrefix, { cipher: with_ })
      sut.others.push(again)
      return promisedStore(again)
    }
    storeContract({
      test: (name, fn) => void it(name, fn),
      makeStore: async () => {
        const keyPrefix = uniquePrefix(cipher === undefined ? "store" : "sealed")
        const owned = await openStore(server.url, keyPrefix, { cipher })
        const others: Array<{ close: () => Promise<void> }> = [owned]
        return {
          keyPrefix,
          others,
          store: promisedStore(owned),
          close: async () => {
            await Promise.all(others.map((o) => o.close()))
          }
        }
      },
      reopen: (sut) => another(sut),
      // A hash whose data is not a token and that has no fingerprint.
      corrupt: async ({ keyPrefix }, key) => {
        await server.command(["DEL", `${keyPrefix}token:${key}`])
        await server.command(["HSET", `${keyPrefix}token:${key}`, "data", '{"value":42', "obtainedAt", "x"])
      },
      // Nothing listens there: every operation fails at once with a TokenStoreError.
      broken: async () => {
        const { redisTokenStore } = await import("../src/index.ts")
        const store = redisTokenStore({
          url: "redis://127.0.0.1:1",
          keyPrefix: uniquePrefix("broken"),
          cipher
        })
        return { store: promisedStore(store), close: store.close }
      },
      redacted: Redacted,
      writeOrder: "newest-wins",
      inspect: (value) => inspect(value, { depth: 10 }),
      sealed:
        cipher === undefined
          ? undefined
          : {
              dump: ({ keyPrefix }) => dump(server, keyPrefix),
              rotated: (sut) => another(sut, cipherOf(["k2", "k2"], ["k1", "k1"])),
              // The same key id with other bytes, and another id: neither opens k1's records.
              foreign: (sut) => another(sut, cipherOf(["k1", "other"], ["other", "other"]))
            }
    })
  })
}

describe("RedisTokenStore: the lease contract", () => {
  leaseContract({
    test: (name, fn) => void it(name, fn),
    makeLease: async () => {
      const keyPrefix = uniquePrefix("lease")
      const [one, two] = await Promise.all([
        openStore(server.url, keyPrefix),
        openStore(server.url, keyPrefix)
      ])
      return {
        lease: promisedLease(one.lease),
        other: promisedLease(two.lease),
        lapse: async (key) => {
          await server.command(["DEL", `${keyPrefix}lease:${key}`])
        },
        close: async () => {
          await Promise.all([one.close(), two.close()])
        }
      }
    }
  })
})
