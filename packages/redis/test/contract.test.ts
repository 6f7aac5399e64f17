/**
 * The shared contracts (`@capauth/testkit/contract`) on Redis: the store contract (`storeContract`) and the
 * lease contract (`leaseContract`), each test over a key prefix of its own on one real redis-server.
 */
import { inspect } from "node:util"
import { leaseContract, storeContract } from "@capauth/testkit/contract"
import * as Redacted from "effect/Redacted"
import { afterAll, beforeAll, describe, it } from "vitest"
import { type RedisServer, startRedis } from "./support/redis-server.ts"
import { openStore, promisedLease, promisedStore, uniquePrefix } from "./support/stores.ts"

let server: RedisServer
beforeAll(async () => {
  server = await startRedis()
})
afterAll(async () => {
  await server.dispose()
})

describe("RedisTokenStore: the store contract", () => {
  storeContract({
    test: (name, fn) => void it(name, fn),
    makeStore: async () => {
      const keyPrefix = uniquePrefix("store")
      const owned = await openStore(server.url, keyPrefix)
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
    reopen: async (sut) => {
      const again = await openStore(server.url, sut.keyPrefix)
      sut.others.push(again)
      return promisedStore(again)
    },
    // A hash whose data is not a token and that has no fingerprint.
    corrupt: async ({ keyPrefix }, key) => {
      await server.command(["DEL", `${keyPrefix}token:${key}`])
      await server.command(["HSET", `${keyPrefix}token:${key}`, "data", '{"value":42', "obtainedAt", "x"])
    },
    // Nothing listens there: every operation fails at once with a TokenStoreError.
    broken: async () => {
      const { redisTokenStore } = await import("../src/index.ts")
      const store = redisTokenStore({ url: "redis://127.0.0.1:1", keyPrefix: uniquePrefix("broken") })
      return { store: promisedStore(store), close: store.close }
    },
    redacted: Redacted,
    writeOrder: "newest-wins",
    inspect: (value) => inspect(value, { depth: 10 })
  })
})

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
