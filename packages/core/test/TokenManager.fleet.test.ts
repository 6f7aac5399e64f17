/**
 * TokenManager with a lease-capable store (rule "fleet flight"): several managers stand for several processes
 * sharing one medium, an in-memory lease store written here (its TTL on Effect's clock, so TestClock drives
 * lapses), against the simulator's real token endpoint. The Redis store runs the same scenarios across real
 * processes in packages/redis.
 */
import { type Simulator, startSimulator } from "@capauth/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Deferred, Effect, Exit, Fiber, Option, PubSub, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { afterAll, beforeAll } from "vitest"
import { AccessToken, type TokenManager, TokenStore } from "../src/index.ts"
import { freshClient, managerFor } from "./support.ts"

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator()
})
afterAll(() => sim.close())

const TTL = 3_000

/** One shared medium (what Redis is to a fleet); `store()` is one process's view of it. */
const sharedMedium = () => {
  const tokens = new Map<string, AccessToken.AccessToken>()
  const leases = new Map<string, { readonly fence: string; readonly until: number }>()
  let waiters: Array<() => void> = []
  let fences = 0
  const faults = { down: false, removeFails: false }
  const wake = () => {
    const woken = waiters
    waiters = []
    for (const w of woken) w()
  }
  const guard = <A>(effect: Effect.Effect<A>, failing = faults.down) =>
    Effect.suspend(() =>
      failing || faults.down
        ? Effect.fail(new TokenStore.TokenStoreError({ message: "the medium is down" }))
        : effect
    )
  const lease: TokenStore.Lease = {
    ttlMillis: TTL,
    acquire: (key) =>
      guard(
        Effect.map(Clock.currentTimeMillis, (now): TokenStore.LeaseAttempt => {
          const held = leases.get(key)
          if (held !== undefined && held.until > now)
            return { _tag: "Held", expiresInMillis: held.until - now }
          const fence = `fence-${++fences}`
          leases.set(key, { fence, until: now + TTL })
          return { _tag: "Acquired", fence }
        })
      ),
    renew: (key, fence) =>
      guard(
        Effect.map(Clock.currentTimeMillis, (now) => {
          const held = leases.get(key)
          if (held === undefined || held.fence !== fence || held.until <= now) return false
          leases.set(key, { fence, until: now + TTL })
          return true
        })
      ),
    release: (key, fence) =>
      guard(
        Effect.sync(() => {
          if (leases.get(key)?.fence === fence) {
            leases.delete(key)
            wake()
          }
        })
      ),
    awaitChange: (_key, millis) =>
      Effect.suspend(() => {
        const woken = Deferred.makeUnsafe<void>()
        waiters.push(() => void Deferred.doneUnsafe(woken, Exit.void))
        return Effect.raceFirst(Deferred.await(woken), Effect.sleep(millis))
      })
  }
  const store = (): TokenStore.TokenStore => ({
    get: (key) => guard(Effect.sync(() => Option.fromUndefinedOr(tokens.get(key)))),
    set: (key, token) =>
      guard(
        Effect.sync(() => {
          tokens.set(key, token)
          wake()
        })
      ),
    remove: (key, value) =>
      Effect.suspend(() =>
        guard(
          Effect.sync(() => {
            const current = tokens.get(key)
            if (current !== undefined && AccessToken.sameValue(current, value)) tokens.delete(key)
          }),
          faults.removeFails
        )
      ),
    lease
  })
  return { store, tokens, leases, faults }
}

const value = (t: { value: Redacted.Redacted<string> }) => Redacted.value(t.value)

/** Let real I/O happen until `condition` holds (bounded): waiting for an event, not for time. */
const until = (condition: () => boolean) =>
  Effect.promise(async () => {
    for (let i = 0; i < 5_000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve))
  })

const drain = (sub: PubSub.Subscription<TokenManager.TokenEvent>) =>
  Effect.map(PubSub.takeUpTo(sub, 10_000), (events) => events.map((e) => e._tag))

describe("TokenManager with a lease: one token request across processes", () => {
  it.effect("4 managers x 100 concurrent cold callers make exactly 1 token request; 3 adopt it", () =>
    Effect.gen(function* () {
      const client = freshClient(sim)
      const medium = sharedMedium()
      const managers = yield* Effect.all(
        Array.from({ length: 4 }, () => managerFor(sim, client, { store: medium.store() }))
      )
      const subs = yield* Effect.all(managers.map((m) => m.subscribe))
      const results = yield* Effect.all(
        managers.flatMap((m) => Array.from({ length: 100 }, () => m.get)),
        { concurrency: "unbounded" }
      )
      expect(client.requests()).toBe(1)
      expect(new Set(results.map(value)).size).toBe(1)
      const tags = (yield* Effect.all(subs.map(drain))).flat()
      expect(tags.filter((t) => t === "Fetched")).toHaveLength(1)
      expect(tags.filter((t) => t === "Adopted")).toHaveLength(3)
      yield* until(() => medium.leases.size === 0)
      expect(medium.leases.size).toBe(0) // stored and released, in the background
    })
  )

  it.effect("a 498 seen by every manager at once regenerates exactly once", () =>
    Effect.gen(function* () {
      const client = freshClient(sim)
      const medium = sharedMedium()
      const managers = yield* Effect.all(
        Array.from({ length: 4 }, () => managerFor(sim, client, { store: medium.store() }))
      )
      const first = yield* managers[0]!.get
      for (const m of managers.slice(1)) expect(value(yield* m.get)).toBe(value(first))
      expect(client.requests()).toBe(1)
      const after = yield* Effect.all(
        managers.map((m) => Effect.andThen(m.invalidate(first), m.get)),
        { concurrency: "unbounded" }
      )
      expect(client.requests()).toBe(2)
      expect(new Set(after.map(value)).size).toBe(1)
      expect(value(after[0]!)).not.toBe(value(first))
    })
  )

  it.effect(
    "a holder that died (its lease never renewed) is replaced once the lease lapses, not before",
    () =>
      Effect.gen(function* () {
        const client = freshClient(sim)
        const medium = sharedMedium()
        const store = medium.store()
        const dead = yield* store.lease!.acquire(`capillary:${sim.url}:${client.key}`)
        expect(dead._tag).toBe("Acquired")
        const manager = yield* managerFor(sim, client, { store })
        const caller = yield* Effect.forkChild(manager.get)
        yield* TestClock.adjust(TTL - 1)
        yield* until(() => false)
        expect(client.requests()).toBe(0) // still waiting for the holder
        yield* TestClock.adjust(2)
        yield* until(() => client.requests() === 1)
        const token = yield* Fiber.join(caller)
        expect(client.requests()).toBe(1)
        yield* until(() => medium.tokens.size === 1)
        expect(value(medium.tokens.get(`capillary:${sim.url}:${client.key}`)!)).toBe(value(token))
        expect(value(token)).toMatch(/\./)
      })
  )

  it.effect(
    "the store failing: the manager's own single flight, one StoreUnavailable per outage, then recovery",
    () =>
      Effect.gen(function* () {
        const client = freshClient(sim, { ttlSeconds: 600 })
        const medium = sharedMedium()
        medium.faults.down = true
        const manager = yield* managerFor(sim, client, { store: medium.store() })
        const sub = yield* manager.subscribe
        const first = yield* Effect.all(
          Array.from({ length: 100 }, () => manager.get),
          { concurrency: "unbounded" }
        )
        expect(client.requests()).toBe(1)
        expect(new Set(first.map(value)).size).toBe(1)
        // A second flight in the same outage: no second warning.
        yield* manager.invalidate(first[0]!)
        yield* manager.get
        expect(client.requests()).toBe(2)
        const outage = yield* drain(sub)
        expect(outage.filter((t) => t === "StoreUnavailable")).toHaveLength(1)
        // The medium answers again: the next flight coordinates (and says so once).
        medium.faults.down = false
        yield* manager.refresh
        yield* until(() => medium.tokens.size === 1)
        const recovered = yield* drain(sub)
        expect(recovered.filter((t) => t === "StoreRecovered")).toHaveLength(1)
        expect(recovered.filter((t) => t === "StoreUnavailable")).toHaveLength(0)
        expect(medium.tokens.size).toBe(1)
      })
  )

  it.effect(
    "a rejected token left in the store (its compare-and-invalidate failed) is never adopted back",
    () =>
      Effect.gen(function* () {
        const client = freshClient(sim)
        const medium = sharedMedium()
        const manager = yield* managerFor(sim, client, { store: medium.store() })
        const first = yield* manager.get
        yield* until(() => medium.tokens.size === 1)
        medium.faults.removeFails = true
        expect(yield* manager.invalidate(first)).toBe(true)
        expect(medium.tokens.size).toBe(1) // still there
        const next = yield* manager.get
        expect(value(next)).not.toBe(value(first))
        expect(client.requests()).toBe(2)
      })
  )

  it.effect("a store without a lease keeps per-process flights: 2 managers at once make 2 requests", () =>
    Effect.gen(function* () {
      const client = freshClient(sim)
      const store = TokenStore.memory()
      const [a, b] = yield* Effect.all([
        managerFor(sim, client, { store }),
        managerFor(sim, client, { store })
      ])
      yield* Effect.all([a!.get, b!.get], { concurrency: "unbounded" })
      expect(client.requests()).toBe(2)
    })
  )
})
