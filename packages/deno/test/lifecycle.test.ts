/**
 * The token lifecycle on Deno, over real HTTP to the testkit simulator on 127.0.0.1: single flight, 498
 * recovery (status and body), refresh ahead and expiry on Effect's TestClock (no sleeps).
 */

import assert from "node:assert/strict"
import { CapillaryClient, TokenManager } from "@capauth/core"
import { type ExpirySignal, SAMPLE_CLIENT, startSimulator } from "@capauth/testkit"
import * as Effect from "effect/Effect"
import * as PubSub from "effect/PubSub"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/testing/TestClock"
import { createCapillaryClient, DenoCapillary } from "../mod.ts"

const credentials = { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }

Deno.test("50 concurrent calls on a cold client send one token request", async () => {
  await using sim = await simulator()
  const cap = createCapillaryClient({ baseUrl: sim.url, credentials })
  try {
    const responses = await Promise.all(Array.from({ length: 50 }, () => cap.fetch("/v2/customers/1")))
    assert.deepEqual(new Set(responses.map((r) => r.status)), new Set([200]))
    const bodies = await Promise.all(responses.map((r) => r.text()))
    assert.match(bodies[0] ?? "", /Sample/)
    assert.equal(sim.stats().tokenRequestsTotal, 1)
    assert.equal((await cap.stats()).fetched, 1)
    // Every API request carried the one token.
    const tokens = new Set(
      sim.requests
        .filter((r) => r.path === "/v2/customers/1")
        .map((r) => header(r.headers, "x-cap-api-oauth-token"))
    )
    assert.equal(tokens.size, 1)
  } finally {
    await cap.close()
  }
})

for (const signal of [
  "http-498",
  "body-string",
  "body-number"
] as const satisfies ReadonlyArray<ExpirySignal>) {
  Deno.test(`an expired token (${signal}) is renewed once and the request replayed`, async () => {
    await using sim = await simulator({ expirySignal: signal })
    const cap = createCapillaryClient({ baseUrl: sim.url, credentials })
    try {
      assert.equal((await cap.fetch("/v2/customers/1")).status, 200)
      const before = Redacted.value((await cap.token()).value)
      sim.expireAllTokens()
      const body = JSON.stringify({ root: { customer: [{ mobile: "919800000001", firstname: "Ada" }] } })
      const response = await cap.fetch("/v1.1/customer/add?format=json", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body
      })
      assert.equal(response.status, 200)
      assert.notEqual(Redacted.value((await cap.token()).value), before)
      assert.equal(sim.stats().tokenRequestsTotal, 2)
      const stats = await cap.stats()
      assert.equal(stats.invalidated, 1)
      assert.equal(stats.fetched, 2)
      // The replay sent the same body.
      const adds = sim.requests.filter((r) => r.path === "/v1.1/customer/add")
      assert.equal(adds.length, 2)
      assert.deepEqual(adds[1]?.body, adds[0]?.body)
      assert.equal(sim.writes.length, 1)
    } finally {
      await cap.close()
    }
  })
}

Deno.test("ky goes through the same auth and recovery", async () => {
  await using sim = await simulator()
  const cap = createCapillaryClient({
    baseUrl: sim.url,
    credentials,
    attribution: { type: "TILL", code: "store.till1" }
  })
  try {
    const first = await cap.ky.get("v2/customers/1").json<Record<string, unknown>>()
    sim.expireAllTokens()
    const second = await cap.ky.get("v2/customers/1").json<Record<string, unknown>>()
    assert.deepEqual(second, first)
    assert.equal(sim.stats().tokenRequestsTotal, 2)
    const last = sim.requests.at(-1)
    assert.equal(header(last?.headers, "x-cap-api-attribution-entity-code"), "store.till1")
  } finally {
    await cap.close()
  }
})

Deno.test("refresh ahead, then expiry, on TestClock (Effect API, DenoCapillary.layer)", async () => {
  await using sim = await simulator({ clock: "manual" })
  const minutes = (n: number) => n * 60_000
  const program = Effect.gen(function* () {
    const client = yield* CapillaryClient.CapillaryClient
    const tokens = yield* TokenManager.TokenManager
    const events = yield* tokens.subscribe
    const advance = (ms: number) =>
      Effect.andThen(
        Effect.sync(() => sim.clock.advance(ms)),
        TestClock.adjust(ms)
      )
    const call = Effect.flatMap(client.get("/v2/customers/1"), (r) => Effect.succeed(r.status))

    assert.equal(yield* call, 200)
    assert.equal((yield* takeFetched(events)).ahead, false)
    const first = yield* tokens.get
    assert.equal(sim.stats().tokenRequestsTotal, 1)

    // 49 of 60 minutes: past refreshAt (80 %), before staleAt. The call is served at once with the old
    // token while one background request renews it.
    yield* advance(minutes(49))
    assert.equal(yield* call, 200)
    assert.equal(header(lastCall(sim)?.headers, "x-cap-api-oauth-token"), Redacted.value(first.value))
    const fetched = yield* takeFetched(events)
    assert.equal(fetched.ahead, true)
    assert.equal(sim.stats().tokenRequestsTotal, 2)
    const second = yield* tokens.get
    assert.notEqual(Redacted.value(second.value), Redacted.value(first.value))
    assert.equal((yield* tokens.stats).refreshed, 1)

    // Past the second token's staleAt: callers wait for a new token (not ahead).
    yield* advance(minutes(60))
    assert.equal(yield* call, 200)
    const expired = yield* takeFetched(events)
    assert.equal(expired.ahead, false)
    assert.equal(sim.stats().tokenRequestsTotal, 3)
  })
  await Effect.runPromise(
    program.pipe(
      Effect.provide(DenoCapillary.layer({ baseUrl: sim.url, credentials, refresh: { jitterFraction: 0 } })),
      Effect.scoped,
      Effect.provide(TestClock.layer())
    )
  )
})

const takeFetched = (events: PubSub.Subscription<TokenManager.TokenEvent>) =>
  Effect.flatMap(
    Effect.repeat(PubSub.take(events), { until: (e) => e._tag === "Fetched" || e._tag === "Failed" }),
    (e) =>
      e._tag === "Fetched" ? Effect.succeed(e) : Effect.die(new Error(`token flight failed: ${e._tag}`))
  )

const lastCall = (sim: {
  readonly requests: ReadonlyArray<{ path: string; headers: Readonly<Record<string, string>> }>
}) => sim.requests.filter((r) => r.path === "/v2/customers/1").at(-1)

const header = (headers: Readonly<Record<string, string>> | undefined, name: string) => headers?.[name]

const simulator = async (options: Parameters<typeof startSimulator>[0] = {}) => {
  const sim = await startSimulator({ seed: 1, ...options })
  return Object.assign(sim, { [Symbol.asyncDispose]: () => sim.close() })
}
