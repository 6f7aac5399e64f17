/**
 * The contract of a `TokenStore`'s `lease` (core's `TokenStore.Lease`): what a shared store (Redis, Valkey, a
 * DynamoDB table with conditional writes) must do so that a fleet makes one token request per key. Written once,
 * run by a thin runner per lease-capable store, with Promise-returning operations (`Effect.runPromise` over the
 * port's Effects).
 *
 * What it checks: one holder at a time, even under concurrent acquires from several instances (processes); a
 * fencing value unique to each acquisition; renew and release only by the current holder (compare-and-expire,
 * compare-and-delete), so a holder whose lease lapsed cannot extend or free its successor's; `Held` reports
 * the time left within the TTL; a lapsed lease can be taken; waiters are woken by a release, on any instance.
 *
 * @example
 * // vitest, over a lease-capable store `store` (and `other`, a second instance over the same backing)
 * const promised = (lease: TokenStore.Lease): ContractLease => ({
 *   ttlMillis: lease.ttlMillis,
 *   acquire: (key) => Effect.runPromise(lease.acquire(key)),
 *   renew: (key, fence) => Effect.runPromise(lease.renew(key, fence)),
 *   release: (key, fence) => Effect.runPromise(lease.release(key, fence)),
 *   awaitChange: (key, millis) => Effect.runPromise(lease.awaitChange(key, millis))
 * })
 * @module
 * @since 0.1.0
 */
import assert from "node:assert/strict"

/**
 * The lease port with Promises.
 *
 * @since 0.1.0
 * @category models
 */
export interface ContractLease {
  readonly ttlMillis: number
  readonly acquire: (
    key: string
  ) => Promise<
    | { readonly _tag: "Acquired"; readonly fence: string }
    | { readonly _tag: "Held"; readonly expiresInMillis: number }
  >
  readonly renew: (key: string, fence: string) => Promise<boolean>
  readonly release: (key: string, fence: string) => Promise<void>
  readonly awaitChange: (key: string, millis: number) => Promise<void>
}

/**
 * One lease under test over a backing of its own, and a second instance over the same backing (another process).
 *
 * @since 0.1.0
 * @category models
 */
export interface LeaseUnderTest {
  readonly lease: ContractLease
  readonly other: ContractLease
  /** The lease of `key` runs out now, as if its TTL passed with no renewal (e.g. Redis: `DEL` its key). */
  readonly lapse: (key: string) => Promise<void>
  readonly close?: (() => Promise<void>) | undefined
}

/**
 * A runner of the lease contract.
 *
 * @since 0.1.0
 * @category models
 */
export interface LeaseRunner {
  /** Declares one test (`it` of vitest, `Deno.test`, ...). Tests must run one at a time, in order. */
  readonly test: (name: string, fn: () => Promise<void>) => void
  readonly makeLease: () => Promise<LeaseUnderTest>
}

/** A wait longer than any test's timeout: a waiter that is never woken fails the test. */
const FOREVER = 600_000

/**
 * Declares the lease contract's tests with `runner.test`, in order.
 *
 * @since 0.1.0
 * @category testing
 */
export const leaseContract = (runner: LeaseRunner): void => {
  const test = (name: string, fn: (sut: LeaseUnderTest) => Promise<void>) =>
    runner.test(name, async () => {
      const sut = await runner.makeLease()
      try {
        await fn(sut)
      } finally {
        await sut.close?.()
      }
    })
  const acquired = async (lease: ContractLease, key: string) => {
    const attempt = await lease.acquire(key)
    assert.equal(attempt._tag, "Acquired", `expected to take the lease of ${key}`)
    return (attempt as { readonly fence: string }).fence
  }
  const held = async (lease: ContractLease, key: string) => {
    const attempt = await lease.acquire(key)
    assert.equal(attempt._tag, "Held", `expected the lease of ${key} to be held`)
    return (attempt as { readonly expiresInMillis: number }).expiresInMillis
  }

  test("1a. a free lease is taken, with a fencing value; then it is held, for at most its TTL", async ({
    lease,
    other
  }) => {
    assert.ok(lease.ttlMillis > 0)
    const fence = await acquired(lease, "k")
    assert.ok(typeof fence === "string" && fence.length >= 8, "a fencing value of some length")
    for (const l of [lease, other]) {
      const left = await held(l, "k")
      assert.ok(left > 0 && left <= lease.ttlMillis, `time left ${left} within the TTL ${lease.ttlMillis}`)
    }
  })

  test("1b. every acquisition gets a fencing value of its own", async ({ lease, other }) => {
    const fences = new Set<string>()
    for (let i = 0; i < 5; i++) {
      const fence = await acquired(i % 2 === 0 ? lease : other, "k")
      fences.add(fence)
      await (i % 2 === 0 ? lease : other).release("k", fence)
    }
    assert.equal(fences.size, 5)
  })

  test("1c. leases of different keys are independent", async ({ lease, other }) => {
    await acquired(lease, "a")
    await acquired(other, "b")
    await acquired(lease, "a:b")
    await held(other, "a")
  })

  test("2a. release by the holder frees the lease; release with another fence leaves it held", async ({
    lease,
    other
  }) => {
    const fence = await acquired(lease, "k")
    await other.release("k", `${fence}x`)
    await other.release("k", "not-the-fence")
    await held(other, "k")
    await other.release("k", fence) // the fence is what counts, not the instance
    const next = await acquired(other, "k")
    assert.notEqual(next, fence)
  })

  test("2b. renew by the holder keeps the lease; renew with another fence answers false", async ({
    lease,
    other
  }) => {
    const fence = await acquired(lease, "k")
    assert.equal(await lease.renew("k", fence), true)
    assert.equal(await other.renew("k", "not-the-fence"), false)
    const left = await held(other, "k")
    assert.ok(left > 0 && left <= lease.ttlMillis)
  })

  test("2c. a lapsed lease can be taken; the old holder can neither renew nor release its successor's", async (sut) => {
    const { lease, other } = sut
    const old = await acquired(lease, "k")
    await sut.lapse("k")
    assert.equal(await lease.renew("k", old), false, "renew after the lapse")
    const successor = await acquired(other, "k")
    assert.equal(await lease.renew("k", old), false, "the old fence renews nothing")
    await lease.release("k", old)
    await held(lease, "k")
    assert.equal(await other.renew("k", successor), true)
  })

  test("2d. release and renew of a free key do nothing and do not fail", async ({ lease }) => {
    await lease.release("free", "f")
    assert.equal(await lease.renew("free", "f"), false)
    await acquired(lease, "free")
  })

  test("3a. concurrent acquires from two instances: exactly one holder", async ({ lease, other }) => {
    const attempts = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? lease : other).acquire("race"))
    )
    assert.equal(attempts.filter((a) => a._tag === "Acquired").length, 1)
  })

  test("3b. after a release, again exactly one of many concurrent acquires wins", async ({
    lease,
    other
  }) => {
    for (let round = 0; round < 3; round++) {
      const attempts = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? lease : other).acquire("rounds"))
      )
      const winners = attempts.flatMap((a) => (a._tag === "Acquired" ? [a.fence] : []))
      assert.equal(winners.length, 1, `round ${round}`)
      await lease.release("rounds", winners[0]!)
    }
  })

  test("4a. a waiter on another instance is woken by the release", async ({ lease, other }) => {
    const fence = await acquired(lease, "k")
    const woken = other.awaitChange("k", FOREVER)
    await settle(other) // the waiter is registered by now
    await lease.release("k", fence)
    await woken
    await acquired(other, "k")
  })

  test("4b. a waiter on the same instance is woken by the release", async ({ lease }) => {
    const fence = await acquired(lease, "k")
    const woken = lease.awaitChange("k", FOREVER)
    await settle(lease)
    await lease.release("k", fence)
    await woken
  })

  test("4c. a wait with no change ends by its deadline (a poll)", async ({ lease }) => {
    const started = Date.now()
    await lease.awaitChange("quiet", 30)
    assert.ok(Date.now() - started >= 25, "not before its deadline")
  })
}

/** One round trip through the instance (an acquire of an unrelated key), so a just-made waiter is in place. */
const settle = async (lease: ContractLease) => {
  const probe = `settle-${Math.random().toString(36).slice(2)}`
  const attempt = await lease.acquire(probe)
  if (attempt._tag === "Acquired") await lease.release(probe, attempt.fence)
}
