/**
 * The store contract (`@capauth/testkit/contract`) run against core's own stores: `TokenStore.memory` and
 * `TokenStore.fromKeyValue` over a Map (the shape of a file, localStorage or any string key-value medium).
 */

import { inspect } from "node:util"
import type { ContractTokenStore } from "@capauth/testkit/contract"
import { storeContract } from "@capauth/testkit/contract"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { describe, it } from "vitest"
import { TokenStore } from "../src/index.ts"

/** The port's Effects as Promises, `get`'s Option as `undefined`. */
const promised = (store: TokenStore.TokenStore): ContractTokenStore<Redacted.Redacted<string>> => ({
  get: (key) => Effect.runPromise(Effect.map(store.get(key), Option.getOrUndefined)),
  set: (key, token) => Effect.runPromise(store.set(key, token)),
  remove: (key, value) => Effect.runPromise(store.remove(key, value))
})

const test = (name: string, fn: () => Promise<void>) => void it(name, fn)
const show = (value: unknown) => inspect(value, { depth: 10 })

describe("TokenStore.memory: the store contract", () => {
  storeContract({
    test,
    makeStore: async () => ({ store: promised(TokenStore.memory()) }),
    redacted: Redacted,
    writeOrder: "last-write-wins",
    inspect: show
  })
})

/** A string key-value medium over a Map, as `fromKeyValue` takes it. */
const mapMedium = (entries: Map<string, string>) => ({
  get: (key: string) => Effect.sync(() => entries.get(key)),
  set: (key: string, value: string) => Effect.sync(() => void entries.set(key, value)),
  remove: (key: string) => Effect.sync(() => void entries.delete(key))
})

const failing = Effect.fail(new TokenStore.TokenStoreError({ message: "the medium is unavailable" }))

describe("TokenStore.fromKeyValue over a Map: the store contract", () => {
  storeContract({
    test,
    makeStore: async () => {
      const entries = new Map<string, string>()
      return { entries, store: promised(TokenStore.fromKeyValue(mapMedium(entries))) }
    },
    // Another store over the same Map: what a restart over a file or localStorage would see.
    reopen: async ({ entries }) => promised(TokenStore.fromKeyValue(mapMedium(entries))),
    corrupt: async ({ entries }, key) => void entries.set(key, '{"value":"trunc'),
    broken: async () => ({
      store: promised(
        TokenStore.fromKeyValue({ get: () => failing, set: () => failing, remove: () => failing })
      )
    }),
    redacted: Redacted,
    writeOrder: "last-write-wins",
    inspect: show
  })
})
