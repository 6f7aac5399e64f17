import { type Simulator, startSimulator } from "@capauth/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Clock, Effect, Exit, Fiber, Metric, PubSub, Redacted, Scope } from "effect"
import { TestClock } from "effect/testing"
import { afterAll, afterEach, beforeAll } from "vitest"
import { TokenManager, type TokenSource } from "../src/index.ts"
import { freshClient, managerFor, soleFailure } from "./support.ts"

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator()
})
afterAll(() => sim.close())
afterEach(() => sim.faults.clear())

/** Let real I/O happen until `condition` holds (bounded): waiting for an event, not for time. */
const until = (condition: () => boolean) =>
  Effect.promise(async () => {
    for (let i = 0; i < 2_000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve))
  })

const value = (t: { value: Redacted.Redacted<string> }) => Redacted.value(t.value)

/** Let a flight the last call may have forked start and finish (real I/O), before the TestClock moves on. */
const quiet = (tokens: TokenManager.Service) =>
  Effect.gen(function* () {
    for (let i = 0; i < 5; i++) yield* Effect.yieldNow
    for (let i = 0; i < 2_000; i++) {
      const stats = yield* tokens.stats
      if (stats.requests === stats.fetched + stats.failed) return
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
    }
  })
const TOKEN_PATH = "/v3/oauth/token/generate"

describe("TokenManager: single flight", () => {
  it.effect("1,000 concurrent fibers on a cold cache make exactly 1 token request", () =>
    Effect.gen(function* () {
      const client = freshClient(sim)
      const tokens = yield* managerFor(sim, client)
      const results = yield* Effect.all(
        Array.from({ length: 1000 }, () => tokens.get),
        { concurrency: "unbounded" }
      )
      expect(client.requests()).toBe(1)
      expect(new Set(results.map(value)).size).toBe(1)
    })
  )

  it.effect("and likewise at expiry: 1,000 fibers past expiry make exactly 1 more", () =>
    Effect.gen(function* () {
      const client = freshClient(sim, { ttlSeconds: 600 })
      const tokens = yield* managerFor(sim, client)
      const first = yield* tokens.get
      yield* TestClock.adjust(first.expiresAt - first.obtainedAt)
      const results = yield* Effect.all(
        Array.from({ length: 1000 }, () => tokens.get),
        { concurrency: "unbounded" }
      )
      expect(client.requests()).toBe(2)
      const values = new Set(results.map(value))
      expect(values.size).toBe(1)
      expect(values.has(value(first))).toBe(false)
    })
  )

  it.effect("an interrupted caller does not cancel the shared fetch", () =>
    Effect.gen(function* () {
      const client = freshClient(sim)
      sim.faults.add({ path: TOKEN_PATH, fault: { kind: "latency", ms: 100 }, times: 1 })
      const tokens = yield* managerFor(sim, client)
      const sub = yield* tokens.subscribe
      const impatient = yield* Effect.forkChild(tokens.get)
      for (let i = 0; i < 1000 && (yield* tokens.stats).requests === 0; i++) yield* Effect.yieldNow
      expect((yield* tokens.stats).requests).toBe(1)
      yield* Fiber.interrupt(impatient)
      const token = yield* tokens.get
      expect(value(token)).toMatch(/^eyJ/)
      expect(client.requests()).toBe(1)
      expect((yield* PubSub.take(sub))._tag).toBe("Fetched")
    })
  )
})

describe("TokenManager: refresh windows", () => {
  it.effect("fresh: served from the cache with no request", () =>
    Effect.gen(function* () {
      const client = freshClient(sim)
      const tokens = yield* managerFor(sim, client)
      const first = yield* tokens.get
      yield* TestClock.adjust(first.refreshAt - first.obtainedAt - 1)
      expect(value(yield* tokens.get)).toBe(value(first))
      expect(client.requests()).toBe(1)
      expect((yield* tokens.stats).reused).toBe(1)
    })
  )

  it.effect("soft window: callers get the current token at once and one background refresh runs", () =>
    Effect.gen(function* () {
      const client = freshClient(sim)
      const tokens = yield* managerFor(sim, client)
      const first = yield* tokens.get
      yield* TestClock.adjust(first.refreshAt - first.obtainedAt)
      const served = yield* Effect.all(
        Array.from({ length: 50 }, () => tokens.get),
        { concurrency: "unbounded" }
      )
      expect(served.every((t) => value(t) === value(first))).toBe(true)
      const refreshed = yield* tokens.refresh // joins the background flight; starts none
      expect(value(refreshed)).not.toBe(value(first))
      expect(client.requests()).toBe(2)
      expect(value(yield* tokens.get)).toBe(value(refreshed))
      const stats = yield* tokens.stats
      expect(stats.fetched).toBe(2)
      expect(stats.refreshed).toBe(1)
    })
  )

  it.effect("hard window: a stale token is still served at once while one flight renews it", () =>
    Effect.gen(function* () {
      const client = freshClient(sim)
      const tokens = yield* managerFor(sim, client)
      const sub = yield* tokens.subscribe
      const first = yield* tokens.get
      expect((yield* PubSub.take(sub))._tag).toBe("Fetched")
      yield* TestClock.adjust(first.staleAt - first.obtainedAt)
      const served = yield* Effect.all(
        Array.from({ length: 20 }, () => tokens.get),
        { concurrency: "unbounded" }
      )
      expect(served.every((t) => value(t) === value(first))).toBe(true)
      const fetched = yield* PubSub.take(sub)
      expect(fetched._tag === "Fetched" && fetched.ahead).toBe(true)
      const next = yield* tokens.get
      expect(value(next)).not.toBe(value(first))
      expect(client.requests()).toBe(2)
    })
  )

  it.effect("past expiry a token is never served: callers wait for the new one", () =>
    Effect.gen(function* () {
      const client = freshClient(sim)
      const tokens = yield* managerFor(sim, client)
      const first = yield* tokens.get
      yield* TestClock.adjust(first.expiresAt - first.obtainedAt)
      const next = yield* tokens.get
      expect(value(next)).not.toBe(value(first))
      expect(client.requests()).toBe(2)
      expect((yield* tokens.stats).refreshed).toBe(0)
    })
  )

  it.effect(
    "a lifetime shorter than the margin (1 s vs 30 s) costs one request per lifetime, not per call",
    () =>
      Effect.gen(function* () {
        const client = freshClient(sim, { ttlSeconds: 1 })
        const tokens = yield* managerFor(sim, client)
        let calls = 0
        for (let ms = 0; ms < 3_000; ms += 10) {
          yield* tokens.get
          calls++
          yield* quiet(tokens) // a background flight this call started gets its real HTTP answer first
          yield* TestClock.adjust(10)
        }
        expect(calls).toBe(300)
        // Renewed at 80 % of each 1 s life: 0, 0.8, 1.6, 2.4 s.
        expect(client.requests()).toBeGreaterThanOrEqual(3)
        expect(client.requests()).toBeLessThanOrEqual(5)
      })
  )

  it.effect("expiry is relative to the moment the request was sent", () =>
    Effect.gen(function* () {
      const client = freshClient(sim, { ttlSeconds: 120 })
      yield* TestClock.setTime(1_000_000)
      const tokens = yield* managerFor(sim, client)
      const token = yield* tokens.get
      expect(token.obtainedAt).toBe(1_000_000) // the TestClock did not move: sentAt is local time
      expect(token.expiresAt).toBe(1_000_000 + 120_000)
      expect(token.claims?.exp).toBeTypeOf("number")
    })
  )
})

describe("TokenManager: compare-and-invalidate", () => {
  it.effect(
    "the wall clock stepped back moves the token with it: it expires when it would have, not later",
    () =>
      Effect.gen(function* () {
        const client = freshClient(sim, { ttlSeconds: 600 })
        const tokens = yield* managerFor(sim, client)
        const first = yield* tokens.get
        const lifeLeft = first.expiresAt - (yield* Clock.currentTimeMillis)
        yield* TestClock.adjust(60_000) // time passes on both clocks
        yield* TestClock.setTime((yield* Clock.currentTimeMillis) - 3_600_000) // the wall clock steps back 1 h
        expect(value(yield* tokens.get)).toBe(value(first))
        expect(client.requests()).toBe(1)
        // At the token's real expiry (an hour earlier than the stepped wall clock would say): a new token.
        yield* TestClock.adjust(lifeLeft - 60_000)
        const second = yield* tokens.get
        expect(value(second)).not.toBe(value(first))
        expect(client.requests()).toBe(2)
      })
  )

  it.effect(
    "a forward step of the wall clock is followed (a suspend looks the same): one new token, no error",
    () =>
      Effect.gen(function* () {
        const client = freshClient(sim, { ttlSeconds: 600 })
        const tokens = yield* managerFor(sim, client)
        const first = yield* tokens.get
        yield* TestClock.setTime(first.expiresAt + 3_600_000)
        const second = yield* tokens.get
        expect(value(second)).not.toBe(value(first))
        expect(client.requests()).toBe(2)
      })
  )

  it.effect("a straggler rejection for an old token does not drop the fresh one", () =>
    Effect.gen(function* () {
      const client = freshClient(sim)
      const tokens = yield* managerFor(sim, client)
      const old = yield* tokens.get
      const fresh = yield* tokens.refresh
      expect(yield* tokens.invalidate(old)).toBe(false)
      expect(value(yield* tokens.get)).toBe(value(fresh))
      expect(client.requests()).toBe(2)
      expect(yield* tokens.invalidate(fresh.value)).toBe(true)
      const third = yield* tokens.get
      expect(value(third)).not.toBe(value(fresh))
      expect(client.requests()).toBe(3)
      expect((yield* tokens.stats).invalidated).toBe(1)
    })
  )
})

describe("TokenManager: failures", () => {
  it.effect("transient failures (503/4001, 500) back off with jitter, then succeed", () =>
    Effect.gen(function* () {
      const client = freshClient(sim)
      sim.faults.add({ path: TOKEN_PATH, fault: { kind: "status", status: 503, errorCode: 4001 }, times: 1 })
      sim.faults.add({ path: TOKEN_PATH, fault: { kind: "status", status: 500 }, times: 1 })
      const tokens = yield* managerFor(sim, client, { backoff: { baseMillis: 1_000 } })
      const sub = yield* tokens.subscribe
      const waiting = yield* Effect.forkChild(tokens.get)
      const delays: Array<number> = []
      for (const attempt of [1, 2]) {
        const event = yield* PubSub.take(sub)
        if (event._tag !== "Retrying") throw new Error(`expected Retrying, got ${event._tag}`)
        expect(event.attempt).toBe(attempt)
        expect(event.error).toBe("ServiceUnavailable")
        delays.push(event.delayMillis)
        yield* TestClock.adjust(event.delayMillis)
      }
      // Exponential with jitter in the upper half: [500, 1000] then [1000, 2000].
      expect(delays[0]).toBeGreaterThanOrEqual(500)
      expect(delays[0]).toBeLessThanOrEqual(1_000)
      expect(delays[1]).toBeGreaterThanOrEqual(1_000)
      expect(delays[1]).toBeLessThanOrEqual(2_000)
      const token = yield* Fiber.join(waiting)
      expect(value(token)).toMatch(/^eyJ/)
      expect(client.requests()).toBe(3)
    })
  )

  it.effect("429 with Retry-After waits at least that long", () =>
    Effect.gen(function* () {
      const client = freshClient(sim)
      sim.faults.add({ path: TOKEN_PATH, fault: { kind: "rate-limit", retryAfterSeconds: 5 }, times: 1 })
      const tokens = yield* managerFor(sim, client)
      const sub = yield* tokens.subscribe
      const waiting = yield* Effect.forkChild(tokens.get)
      const event = yield* PubSub.take(sub)
      expect(event._tag === "Retrying" && event.error).toBe("RateLimited")
      expect(event._tag === "Retrying" && event.delayMillis).toBeGreaterThanOrEqual(5_000)
      yield* TestClock.adjust(4_999)
      expect(client.requests()).toBe(1)
      yield* TestClock.adjust(event._tag === "Retrying" ? event.delayMillis : 0)
      yield* Fiber.join(waiting)
      expect(client.requests()).toBe(2)
    })
  )

  it.effect("a still-valid token keeps being served while the background refresh backs off", () =>
    Effect.gen(function* () {
      const client = freshClient(sim)
      const tokens = yield* managerFor(sim, client, { backoff: { maxAttempts: 2 } })
      const first = yield* tokens.get
      sim.faults.add({ path: TOKEN_PATH, fault: { kind: "status", status: 502 }, times: 2 })
      const sub = yield* tokens.subscribe
      yield* TestClock.adjust(first.refreshAt - first.obtainedAt)
      expect(value(yield* tokens.get)).toBe(value(first)) // starts the background flight
      const retrying = yield* PubSub.take(sub)
      expect(retrying._tag).toBe("Retrying")
      expect(value(yield* tokens.get)).toBe(value(first))
      yield* TestClock.adjust(retrying._tag === "Retrying" ? retrying.delayMillis : 0)
      const failed = yield* PubSub.take(sub)
      expect(failed._tag).toBe("Failed")
      // During the cooldown the valid token is still served and no request is made.
      expect(value(yield* tokens.get)).toBe(value(first))
      expect(client.requests()).toBe(3)
      const cooldown = failed._tag === "Failed" ? failed.cooldownMillis : 0
      yield* TestClock.adjust(cooldown)
      expect(value(yield* tokens.get)).toBe(value(first)) // triggers the next background refresh
      const next = yield* PubSub.take(sub)
      expect(next._tag).toBe("Fetched")
      expect(value(yield* tokens.get)).not.toBe(value(first))
      expect(client.requests()).toBe(4)
      expect((yield* tokens.stats).failed).toBe(1)
    })
  )

  it.effect(
    "permanent failures fail fast and are remembered: 100 callers in the cooldown cause 1 request",
    () =>
      Effect.gen(function* () {
        const client = freshClient(sim)
        const tokens = yield* managerFor(sim, { key: client.key, secret: "wrong" })
        const first = yield* Effect.exit(tokens.get)
        expect(soleFailure(first)?._tag).toBe("InvalidCredentials")
        const during = yield* Effect.all(
          Array.from({ length: 100 }, () => Effect.flip(tokens.get)),
          { concurrency: "unbounded" }
        )
        expect(during.every((e) => e._tag === "InvalidCredentials")).toBe(true)
        expect(client.requests()).toBe(1)
        yield* TestClock.adjust("30 seconds")
        yield* Effect.flip(tokens.get)
        expect(client.requests()).toBe(2)
      })
  )

  it.effect("100 concurrent callers on a cold cache with bad credentials make 1 request", () =>
    Effect.gen(function* () {
      const client = freshClient(sim)
      const tokens = yield* managerFor(sim, { key: client.key, secret: "wrong" })
      const errors = yield* Effect.all(
        Array.from({ length: 100 }, () => Effect.flip(tokens.get)),
        { concurrency: "unbounded" }
      )
      expect(errors.every((e) => e._tag === "InvalidCredentials")).toBe(true)
      expect(client.requests()).toBe(1)
    })
  )
})

describe("TokenManager: scope and observability", () => {
  it.effect("closing the scope stops the flight and leaves nothing running", () =>
    Effect.gen(function* () {
      const client = freshClient(sim)
      sim.faults.add({ path: TOKEN_PATH, fault: { kind: "no-response" }, times: 1 })
      const scope = yield* Scope.make()
      const tokens = yield* Scope.provide(scope)(managerFor(sim, client))
      const waiting = yield* Effect.forkChild(tokens.get)
      yield* until(() => client.requests() === 1)
      expect(client.requests()).toBe(1)
      yield* Scope.close(scope, Exit.void)
      const exit = yield* Fiber.await(waiting)
      expect(Exit.hasInterrupts(exit)).toBe(true)
    })
  )

  it.effect("token fetches run in a span; counters and events report the lifecycle", () =>
    Effect.gen(function* () {
      const client = freshClient(sim)
      const inner = yield* managerFor(sim, client)
      const spans: Array<string> = []
      // Wrap a real source to see the span it runs in.
      const fetchedBefore = yield* Metric.value(TokenManager.metrics.fetched)
      const probe: TokenSource.TokenSource = {
        id: "probe",
        fetch: Effect.flatMap(Effect.orDie(Effect.currentSpan), (span) => {
          spans.push(span.name)
          return Effect.map(inner.get, (t) => ({ value: t.value, sentAt: t.obtainedAt, ttlSeconds: 3600 }))
        })
      }
      const tokens = yield* TokenManager.make({ source: probe })
      const sub = yield* tokens.subscribe
      const token = yield* tokens.get
      yield* tokens.get
      yield* tokens.invalidate(token)
      expect(spans).toEqual(["capauth.token.fetch"])
      const events = [yield* PubSub.take(sub), yield* PubSub.take(sub)].map((e) => e._tag)
      expect(events).toEqual(["Fetched", "Invalidated"])
      expect(yield* tokens.stats).toEqual({
        fetched: 1,
        refreshed: 0,
        reused: 1,
        invalidated: 1,
        failed: 0,
        requests: 1
      })
      const fetchedAfter = yield* Metric.value(TokenManager.metrics.fetched)
      expect(fetchedAfter.count).toBeGreaterThan(fetchedBefore.count)
    })
  )
})

describe("TokenManager: availability under a failing token endpoint", () => {
  /** `effect` finished without the clock moving: it held its caller for no time at all. */
  const atOnce = <A, E>(effect: Effect.Effect<A, E>) =>
    Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(effect)
      for (let i = 0; i < 20 && fiber.pollUnsafe() === undefined; i++) yield* Effect.yieldNow
      const exit = fiber.pollUnsafe()
      if (exit === undefined) throw new Error("the call waited")
      return yield* exit
    })

  it.effect(
    "a hung refresh holds no caller with a usable token: served until expiry, then a wait of at most the timeout",
    () =>
      Effect.gen(function* () {
        const client = freshClient(sim, { ttlSeconds: 600 })
        // Cooldowns of at most 500 ms: a caller arriving in one below waits it out.
        const tokens = yield* managerFor(sim, client, {
          timeout: "5 seconds",
          backoff: { maxAttempts: 1, baseMillis: 100, maxMillis: 500 }
        })
        const first = yield* tokens.get
        sim.faults.add({ path: TOKEN_PATH, fault: { kind: "no-response" } }) // every token request hangs
        for (const at of [first.refreshAt, first.staleAt, first.expiresAt - 1]) {
          yield* TestClock.setTime(at)
          expect(value(yield* atOnce(tokens.get))).toBe(value(first))
          yield* until(() => client.requests() >= 2)
        }
        expect(client.requests()).toBeGreaterThanOrEqual(2) // refreshes were tried, and hung
        // Expired (and past the short cooldown of the hung attempts): a cold caller waits for its flight, whose
        // one attempt is given up after a third of the token timeout (1,666 ms), never longer.
        yield* TestClock.setTime(first.expiresAt + 60_000) // the hung attempts time out...
        yield* TestClock.adjust(60_000) // ...and their (backoff) cooldown passes
        const before = client.requests()
        const step = (millis: number) =>
          Effect.gen(function* () {
            for (let ms = 0; ms < millis; ms += 50) {
              yield* TestClock.adjust(Math.min(50, millis - ms))
              yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve))) // real I/O
            }
          })
        const waiting = yield* Effect.forkChild(Effect.flip(tokens.get))
        yield* step(1_665)
        expect(waiting.pollUnsafe()).toBeUndefined()
        yield* step(1)
        const error = yield* Fiber.join(waiting)
        expect(error._tag === "TransportError" && error.reason).toBe("Timeout")
        expect(error.message).toMatch(/attempt given up after/)
        // A caller arriving in the (transient, <= 500 ms) cooldown waits it out and joins the next flight.
        const next = yield* Effect.forkChild(Effect.flip(tokens.get))
        yield* step(600)
        expect(next.pollUnsafe()).toBeUndefined()
        expect(client.requests() - before).toBe(2)
        yield* step(1_700)
        expect((yield* Fiber.join(next))._tag).toBe("TransportError")
      })
  )

  it.effect(
    "a hung attempt is given up after a third of the token timeout: cold callers get the retry, within their wait",
    () =>
      Effect.gen(function* () {
        const client = freshClient(sim)
        sim.faults.add({ path: TOKEN_PATH, fault: { kind: "no-response" }, times: 1 })
        const tokens = yield* managerFor(sim, client, { timeout: "3 seconds" })
        const sub = yield* tokens.subscribe
        const cold = yield* Effect.forkChild(tokens.get)
        yield* until(() => client.requests() === 1)
        const late = yield* Effect.forkChild(tokens.get) // joins the hung attempt
        yield* TestClock.adjust(999)
        expect(client.requests()).toBe(1)
        yield* TestClock.adjust(1) // 1 s: the attempt is given up, and retried after a backoff
        const retrying = yield* PubSub.take(sub)
        expect(retrying._tag === "Retrying" && retrying.error).toBe("TransportError")
        const delay = retrying._tag === "Retrying" ? retrying.delayMillis : Number.NaN
        expect(delay).toBeLessThanOrEqual(250)
        expect(cold.pollUnsafe()).toBeUndefined()
        yield* TestClock.adjust(delay)
        const [a, b] = [yield* Fiber.join(cold), yield* Fiber.join(late)]
        expect(value(a)).toMatch(/^eyJ/)
        expect(value(b)).toBe(value(a))
        expect(client.requests()).toBe(2)
      })
  )

  it.effect(
    "a transient cooldown is waited out within the token timeout: later callers join the next flight, no error",
    () =>
      Effect.gen(function* () {
        const client = freshClient(sim)
        sim.faults.add({ path: TOKEN_PATH, fault: { kind: "status", status: 503 }, times: 1 })
        const tokens = yield* managerFor(sim, client, { timeout: "8 seconds", backoff: { maxAttempts: 1 } })
        const sub = yield* tokens.subscribe
        // The caller of the failed flight gets its error (its one attempt is spent)...
        expect((yield* Effect.flip(tokens.get))._tag).toBe("ServiceUnavailable")
        const failed = yield* PubSub.take(sub)
        const cooldown = failed._tag === "Failed" ? failed.cooldownMillis : Number.NaN
        expect(cooldown).toBeGreaterThan(0)
        expect(cooldown).toBeLessThanOrEqual(250)
        // ...callers arriving during the cooldown wait it out (they used to fail at once with ServiceUnavailable).
        const a = yield* Effect.forkChild(tokens.get)
        const b = yield* Effect.forkChild(tokens.get)
        yield* TestClock.adjust(cooldown - 1)
        expect(a.pollUnsafe()).toBeUndefined()
        expect(b.pollUnsafe()).toBeUndefined()
        expect(client.requests()).toBe(1) // no flight during the cooldown
        yield* TestClock.adjust(1)
        const [ta, tb] = [yield* Fiber.join(a), yield* Fiber.join(b)]
        expect(value(tb)).toBe(value(ta))
        expect(client.requests()).toBe(2) // one flight after it, for both
      })
  )

  it.effect(
    "a transient cooldown ending after the token timeout (a long Retry-After) fails callers at once, typed",
    () =>
      Effect.gen(function* () {
        const client = freshClient(sim)
        sim.faults.add({ path: TOKEN_PATH, fault: { kind: "rate-limit", retryAfterSeconds: 20 }, times: 1 })
        const tokens = yield* managerFor(sim, client, { timeout: "8 seconds", backoff: { maxAttempts: 1 } })
        const error = yield* atOnce(Effect.flip(tokens.get))
        expect(error._tag).toBe("RateLimited")
        expect((yield* atOnce(Effect.flip(tokens.get)))._tag).toBe("RateLimited")
        expect(client.requests()).toBe(1)
        yield* TestClock.adjust(20_000)
        expect(value(yield* tokens.get)).toMatch(/^eyJ/)
        expect(client.requests()).toBe(2)
      })
  )

  it.effect(
    "with a token timeout, refused credentials still fail every caller at once for the cooldown",
    () =>
      Effect.gen(function* () {
        const client = freshClient(sim)
        const tokens = yield* managerFor(
          sim,
          { key: client.key, secret: "wrong" },
          { timeout: "8 seconds", permanentFailureCooldown: "5 seconds" }
        )
        expect((yield* Effect.flip(tokens.get))._tag).toBe("InvalidCredentials")
        yield* TestClock.adjust(4_000) // a cooldown ending within the token timeout is not waited out
        expect((yield* atOnce(Effect.flip(tokens.get)))._tag).toBe("InvalidCredentials")
        expect(client.requests()).toBe(1)
      })
  )

  it.effect("a malformed token response is transient: retried after a backoff, never the 30 s lockout", () =>
    Effect.gen(function* () {
      const client = freshClient(sim)
      sim.faults.add({ path: TOKEN_PATH, fault: { kind: "malformed-json" }, times: 2 })
      const tokens = yield* managerFor(sim, client, { backoff: { maxAttempts: 2 } })
      const sub = yield* tokens.subscribe
      const first = yield* Effect.forkChild(Effect.flip(tokens.get))
      const retrying = yield* PubSub.take(sub)
      expect(retrying._tag === "Retrying" && retrying.error).toBe("MalformedResponse")
      yield* TestClock.adjust(retrying._tag === "Retrying" ? retrying.delayMillis : 0)
      expect((yield* Fiber.join(first))._tag).toBe("MalformedResponse")
      const failed = yield* PubSub.take(sub)
      const cooldown = failed._tag === "Failed" ? failed.cooldownMillis : -1
      expect(cooldown).toBeGreaterThan(0)
      expect(cooldown).toBeLessThanOrEqual(500) // the backoff for one failure, not 30 s
      yield* TestClock.adjust(cooldown)
      expect(value(yield* tokens.get)).toMatch(/^eyJ/)
      expect(client.requests()).toBe(3)
    })
  )

  it.effect(
    "errors [{ code: 498 }], [{}] and [null] with HTTP 200 are transient, never bad credentials",
    () =>
      Effect.gen(function* () {
        const client = freshClient(sim)
        for (const errors of [[{ code: 498, message: "m" }], [{}], [null]]) {
          sim.faults.add({
            path: TOKEN_PATH,
            fault: { kind: "status", status: 200, body: { data: null, errors } },
            times: 1
          })
        }
        const tokens = yield* managerFor(sim, client)
        const sub = yield* tokens.subscribe
        const waiting = yield* Effect.forkChild(tokens.get)
        const seen: Array<string> = []
        for (let i = 0; i < 3; i++) {
          const event = yield* PubSub.take(sub)
          if (event._tag !== "Retrying") throw new Error(`expected Retrying, got ${event._tag}`)
          seen.push(event.error)
          yield* TestClock.adjust(event.delayMillis)
        }
        expect(seen).toEqual(["ServiceUnavailable", "MalformedResponse", "MalformedResponse"])
        expect(value(yield* Fiber.join(waiting))).toMatch(/^eyJ/)
        expect(client.requests()).toBe(4)
      })
  )

  it.effect("a permanent cooldown can be set: bad credentials are remembered that long", () =>
    Effect.gen(function* () {
      const client = freshClient(sim)
      const tokens = yield* managerFor(
        sim,
        { key: client.key, secret: "wrong" },
        { permanentFailureCooldown: "5 seconds" }
      )
      expect((yield* Effect.flip(tokens.get))._tag).toBe("InvalidCredentials")
      yield* TestClock.adjust(4_999)
      expect((yield* Effect.flip(tokens.get))._tag).toBe("InvalidCredentials")
      expect(client.requests()).toBe(1)
      yield* TestClock.adjust(1)
      yield* Effect.flip(tokens.get)
      expect(client.requests()).toBe(2)
    })
  )

  it.effect("non-finite or out-of-range policies are refused with a ConfigError naming the option", () =>
    Effect.gen(function* () {
      const source: TokenSource.TokenSource = { id: "unused", fetch: Effect.never }
      const cases: ReadonlyArray<readonly [Omit<TokenManager.Options, "source">, string]> = [
        [{ refresh: { expiryMarginMillis: Number.NaN } }, "refresh.expiryMarginMillis"],
        [{ refresh: { refreshAtFraction: Number.POSITIVE_INFINITY } }, "refresh.refreshAtFraction"],
        [{ backoff: { maxAttempts: -1 } }, "backoff.maxAttempts"],
        [{ backoff: { baseMillis: Number.NaN } }, "backoff.baseMillis"],
        [{ permanentFailureCooldown: -5 }, "permanentFailureCooldown"],
        [{ timeout: 0 }, "timeout"]
      ]
      for (const [options, field] of cases) {
        const exit = yield* Effect.exit(TokenManager.make({ ...options, source }))
        const defect = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
        expect(defect).toMatchObject({ _tag: "ConfigError", field })
      }
    })
  )
})
