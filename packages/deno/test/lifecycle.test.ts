/**
 * The token lifecycle on Deno through the Effect API, over real HTTP to the testkit simulator on 127.0.0.1:
 * refresh ahead and expiry on Effect's TestClock (no sleeps). Single flight and 498 recovery (status and body)
 * through the Promise client are the client contract's: client.contract.test.ts.
 */

import assert from "node:assert/strict"
import { CapillaryClient, TokenManager } from "@capauth/core"
import { SAMPLE_CLIENT, startSimulator } from "@capauth/testkit"
import * as Effect from "effect/Effect"
import * as PubSub from "effect/PubSub"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/testing/TestClock"
import { DenoCapillary } from "../mod.ts"

const credentials = { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }

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
