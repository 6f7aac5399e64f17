/**
 * Clock skew. The core must never compare the JWT's absolute `exp` with the local clock: a token lives its
 * `ttlSeconds` from when it was asked for, on the client's own clock. The simulator's clock (manual) runs at
 * an offset of -2 h, 0 or +2 h from the client's; both move in lockstep (TestClock.adjust and clock.advance).
 * A client that read `exp` absolutely would refresh on every call (server behind) or serve the token hours
 * after the server expired it (server ahead). Then the client's wall clock alone steps (forward, then back)
 * while the server's does not: a backward step must cost nothing (the manager moves its token back with the
 * clock, so no 498), a forward step at most one early refresh (followed on purpose: it looks like a suspend),
 * and no caller may fail.
 */
import { CapillaryClient, CapillaryConfig, TokenManager } from "@capauth/core"
import { startSimulator } from "@capauth/testkit"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import * as TestClock from "effect/testing/TestClock"
import { outcomeOfExit } from "./drivers.ts"
import { keyOf } from "./outcome.ts"

const TTL = 300
const HOUR = 3600_000

interface SkewStep {
  readonly at: string
  readonly tokenRequests: number
  readonly expired498: number
  readonly outcome: string
}

export interface SkewResult {
  readonly serverOffsetHours: number
  readonly steps: ReadonlyArray<SkewStep>
  /** A token request before half the lifetime. */
  readonly early: boolean
  /** A 498 from the server, or no new token past the stale point. */
  readonly late: boolean
  readonly callerFailures: number
}

export interface JumpResult {
  readonly steps: ReadonlyArray<SkewStep>
  /** Token requests caused by the forward jump alone (the token was still valid on the server). */
  readonly earlyRefreshes: number
  /** 498s caused by the backward jump (the client held a token the server had expired). */
  readonly lateSends: number
  readonly callerFailures: number
}

const setup = async (offsetMillis: number, httpLayer: Layer.Layer<HttpClient.HttpClient>) => {
  const sim = await startSimulator({
    sharedKey: true,
    clock: "manual",
    startTime: Date.UTC(2026, 0, 1) + offsetMillis,
    clients: [{ key: "skew-key", secret: "skew-secret", ttlSeconds: TTL }]
  })
  const live = CapillaryClient.layer.pipe(
    Layer.provide(
      CapillaryConfig.layer({ baseUrl: sim.url, credentials: { key: "skew-key", secret: "skew-secret" } })
    ),
    Layer.provide(httpLayer)
  )
  const expired = () =>
    Object.entries(sim.stats().apiRequests)
      .filter(([k]) => k.endsWith("-> 498"))
      .reduce((n, [, v]) => n + v, 0)
  const steps: Array<SkewStep> = []
  let failures = 0
  const call = (at: string) =>
    Effect.gen(function* () {
      const client = yield* CapillaryClient.CapillaryClient
      const exit = yield* Effect.exit(Effect.flatMap(client.get("/v2/customers/1"), (r) => r.json))
      const outcome = keyOf(outcomeOfExit(exit as Exit.Exit<unknown, unknown>, () => ({ kind: "accepted" })))
      if (!Exit.isSuccess(exit)) failures++
      steps.push({ at, tokenRequests: sim.stats().tokenRequestsTotal, expired498: expired(), outcome })
    })
  /**
   * A refresh runs in the background while the caller is served: wait (real time, the HTTP is real) for its
   * end before moving the clocks, or TestClock would run its timeout and backoff past a request in flight.
   */
  let settled = 1
  let seen = 0
  const refreshed = (events: PubSub.Subscription<TokenManager.TokenEvent>) =>
    TestClock.withLive(
      Effect.timeoutOrElse(
        // Events of earlier flights may still be queued: wait for one more flight than the last settled.
        Effect.repeat(PubSub.take(events), {
          until: (e) => (e._tag === "Fetched" || e._tag === "Failed") && ++seen > settled
        }).pipe(Effect.tap(() => Effect.sync(() => (settled = seen)))),
        { duration: "5 seconds", orElse: () => Effect.void }
      )
    )
  /** Both clocks move by `ms`. */
  const both = (ms: number) =>
    Effect.flatMap(TestClock.adjust(ms), () => Effect.sync(() => sim.clock.advance(ms)))
  const run = <A>(
    program: (
      events: PubSub.Subscription<TokenManager.TokenEvent>
    ) => Effect.Effect<A, never, CapillaryClient.CapillaryClient | TokenManager.TokenManager>
  ) =>
    Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          // The client's clock starts at the same instant as an unskewed server.
          yield* TestClock.setTime(Date.UTC(2026, 0, 1))
          const tokens = yield* TokenManager.TokenManager
          return yield* program(yield* tokens.subscribe)
        }).pipe(Effect.provide(live), Effect.provide(TestClock.layer()))
      )
    )
  return { sim, steps, call, both, run, refreshed, failures: () => failures }
}

/** The server's clock `offsetHours` away from the client's; both advance together through a token's life. */
export const runServerSkew = async (
  offsetHours: number,
  httpLayer: Layer.Layer<HttpClient.HttpClient>
): Promise<SkewResult> => {
  const s = await setup(offsetHours * HOUR, httpLayer)
  try {
    await s.run((events) =>
      Effect.gen(function* () {
        yield* s.call("0")
        yield* s.both(TTL * 490)
        yield* s.call("0.49 ttl")
        yield* s.both(TTL * 460)
        yield* s.call("0.95 ttl")
        yield* s.refreshed(events)
        yield* s.both(TTL * 480)
        yield* s.call("1.43 ttl")
        yield* s.both(TTL * 490)
        yield* s.call("1.92 ttl")
        yield* s.refreshed(events)
      })
    )
  } finally {
    await s.sim.close()
  }
  const at = (label: string) => s.steps.find((x) => x.at === label)!
  return {
    serverOffsetHours: offsetHours,
    steps: s.steps,
    early: at("0.49 ttl").tokenRequests !== 1 || at("1.43 ttl").tokenRequests !== 2,
    late:
      s.sim.stats().tokenRequestsTotal !== 3 ||
      s.steps.some((x) => x.expired498 > 0) ||
      at("0.95 ttl").expired498 > 0,
    callerFailures: s.failures()
  }
}

/** The client's clock jumps forward 1 h, then back 2 h, while the server's runs on. */
export const runClientJumps = async (httpLayer: Layer.Layer<HttpClient.HttpClient>): Promise<JumpResult> => {
  const s = await setup(0, httpLayer)
  try {
    await s.run((events) =>
      Effect.gen(function* () {
        yield* s.call("0")
        yield* s.both(TTL * 100)
        yield* s.call("0.1 ttl")
        // A step of the wall clock alone (TestClock.setTime leaves the monotonic clock where it is).
        yield* TestClock.setTime((yield* Clock.currentTimeMillis) + HOUR)
        yield* s.call("client +1 h")
        yield* s.refreshed(events)
        const now = yield* Clock.currentTimeMillis
        yield* TestClock.setTime(now - 2 * HOUR)
        yield* s.call("client -2 h")
        yield* s.both(TTL * 1100)
        yield* s.call("+1.1 ttl on both")
        yield* s.refreshed(events)
        yield* s.both(TTL * 100)
        yield* s.call("+1.2 ttl on both")
      })
    )
  } finally {
    await s.sim.close()
  }
  const at = (label: string) => s.steps.find((x) => x.at === label)!
  return {
    steps: s.steps,
    earlyRefreshes: at("client +1 h").tokenRequests - at("0.1 ttl").tokenRequests,
    lateSends: at("+1.2 ttl on both").expired498,
    callerFailures: s.failures()
  }
}
