/**
 * DenoKvTokenStore on KV's own terms: a second client adopts the token the first stored, a write caught
 * between a read and a delete by the atomic check, the prefix, the errors, permissions, `scoped`. What every
 * store must do is the store contract: store.contract.test.ts. The KV directory comes from scripts/test.sh
 * (`-- <dir>`), the only path the suite may read and write.
 */

import assert from "node:assert/strict"
import { AccessToken, TokenStore } from "@capauth/core"
import { SAMPLE_CLIENT, startSimulator } from "@capauth/testkit"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { createCapillaryClient, DenoKvTokenStore } from "../mod.ts"
import { failureOf } from "./support.ts"

const dir = Deno.args[0]
if (dir === undefined)
  throw new Error("kv.test.ts needs the KV directory: deno test ... -- <dir> (see scripts/test.sh)")
let files = 0
const kvPath = () => `${dir}/kv-${++files}.sqlite`

const credentials = { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }

const token = (value: string, obtainedAt: number) =>
  AccessToken.make({ value: Redacted.make(value), sentAt: obtainedAt, ttlSeconds: 3600 })

const held = async (store: TokenStore.TokenStore, key: string) =>
  Option.getOrUndefined(Option.map(await Effect.runPromise(store.get(key)), (t) => Redacted.value(t.value)))

Deno.test("a second client (own KV handle, as another process) adopts the stored token", async () => {
  const sim = await startSimulator({ seed: 4 })
  const path = kvPath()
  const storeA = await DenoKvTokenStore.open(path)
  const storeB = await DenoKvTokenStore.open(path)
  const capA = createCapillaryClient({ baseUrl: sim.url, credentials, tokenStore: storeA })
  const capB = createCapillaryClient({ baseUrl: sim.url, credentials, tokenStore: storeB })
  try {
    assert.equal((await capA.fetch("/v2/customers/1")).status, 200)
    const events: Array<string> = []
    const stop = capB.onEvent((e) => events.push(e._tag))
    assert.equal((await capB.fetch("/v2/customers/1")).status, 200)
    stop()
    assert.equal(sim.stats().tokenRequestsTotal, 1)
    assert.equal((await capB.stats()).fetched, 0)
    assert.equal(Redacted.value((await capB.token()).value), Redacted.value((await capA.token()).value))

    // A expires and renews; B, still holding the old token, hits 498: its compare-and-delete leaves A's new
    // token in place and B adopts it instead of asking Capillary again.
    sim.expireAllTokens()
    assert.equal((await capA.fetch("/v2/customers/1")).status, 200)
    assert.equal((await capB.fetch("/v2/customers/1")).status, 200)
    assert.equal(sim.stats().tokenRequestsTotal, 2)
    const renewed = Redacted.value((await capA.token()).value)
    assert.equal(Redacted.value((await capB.token()).value), renewed)
    const [key] = Object.keys(sim.stats().tokenRequests)
    assert.equal(key, SAMPLE_CLIENT.key)
    const stored = await Array.fromAsync(storeA.kv.list({ prefix: ["capauth", "token"] }))
    assert.equal(stored.length, 1)
    assert.equal((stored[0]?.value as TokenStore.StoredToken | undefined)?.value, renewed)
  } finally {
    await capA.close()
    await capB.close()
    storeA.close()
    storeB.close()
    await sim.close()
  }
})

Deno.test("a write landing between the read and the delete wins (atomic check)", async () => {
  const store = await DenoKvTokenStore.open(kvPath())
  try {
    await Effect.runPromise(store.set("k", token("old", 1_000)))
    // A KV handle whose reads let another writer in right after them.
    let interleave = true
    const racy = new Proxy(store.kv, {
      get: (target, prop) => {
        if (prop === "get") {
          return async (key: Deno.KvKey) => {
            const entry = await target.get(key)
            if (interleave) {
              interleave = false
              await target.set(key, TokenStore.encode(token("new", 2_000)))
            }
            return entry
          }
        }
        const value = Reflect.get(target, prop, target)
        return typeof value === "function" ? value.bind(target) : value
      }
    })
    await Effect.runPromise(DenoKvTokenStore.make(racy).remove("k", Redacted.make("old")))
    assert.equal(await held(store, "k"), "new")
  } finally {
    store.close()
  }
})

Deno.test("keys are namespaced by the prefix option", async () => {
  const store = await DenoKvTokenStore.open(kvPath())
  try {
    await Effect.runPromise(store.set("k", token("t-default", 1_000)))
    const other = DenoKvTokenStore.make(store.kv, { prefix: ["elsewhere"] })
    assert.equal(await held(other, "k"), undefined)
    await Effect.runPromise(other.set("k", token("t-elsewhere", 2_000)))
    assert.equal(await held(store, "k"), "t-default")
    assert.equal(await held(other, "k"), "t-elsewhere")
    assert.notEqual((await store.kv.get(["elsewhere", "k"])).versionstamp, null)
  } finally {
    store.close()
  }
})

Deno.test("a store failure names the KV operation", async () => {
  const store = await DenoKvTokenStore.open(kvPath())
  store.close()
  const operations: ReadonlyArray<readonly [string, Effect.Effect<unknown, TokenStore.TokenStoreError>]> = [
    ["write", store.set("k", token("t", 1_000))],
    ["read", store.get("k")],
    ["delete", store.remove("k", Redacted.make("t"))]
  ]
  for (const [operation, effect] of operations) {
    const error = failureOf(await Effect.runPromiseExit(effect))
    assert.equal(error?._tag, "TokenStoreError")
    assert.match(error?.message ?? "", new RegExp(`Deno KV ${operation} failed`))
  }
})

Deno.test({
  name: "without read/write permission, open names the flags for that path",
  permissions: { read: false, write: false },
  fn: async () => {
    const path = kvPath()
    await assert.rejects(DenoKvTokenStore.open(path), (error: Error) => {
      assert.equal((error as { _tag?: string })._tag, "TokenStoreError")
      assert.ok(error.message.includes(`--allow-read=${path} --allow-write=${path}`), error.message)
      return true
    })
  }
})

Deno.test("scoped closes the KV handle with the scope", async () => {
  const path = kvPath()
  const kv = await Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const store = yield* DenoKvTokenStore.scoped(path)
        yield* store.set("k", token("t", 1_000))
        return Option.isSome(yield* store.get("k"))
      })
    )
  )
  assert.equal(kv, true)
  const reopened = await DenoKvTokenStore.open(path)
  try {
    assert.equal(await held(reopened, "k"), "t")
  } finally {
    reopened.close()
  }
})
