/**
 * Time, on Effect's TestClock (the HTTP is real): bad credentials hold one token request per cooldown, and
 * a skewed server clock or a jumping client clock never cuts a token's life short or stretches it.
 */
import { NodeCapillary } from "@capauth/node"
import { describe, expect, it } from "vitest"
import { runBadCredentials } from "../src/badCredentials.ts"
import { runClientJumps, runServerSkew } from "../src/skew.ts"

describe("bad credentials", () => {
  it("1,000 callers over 60 simulated seconds: at most one token request per 30 s cooldown, all InvalidCredentials", async () => {
    const r = await runBadCredentials({
      callers: 1000,
      seconds: 60,
      cooldownMillis: 30_000,
      httpLayer: NodeCapillary.httpLayer
    })
    expect(r.tokenRequests).toBeGreaterThanOrEqual(1)
    expect(r.tokenRequests, JSON.stringify(r)).toBeLessThanOrEqual(r.bound)
    expect(r.outcomes).toEqual({ "typed:InvalidCredentials": 1000 })
  })

  it("and with the cooldown set to 10 s (tokenCooldownMillis): at most one per 10 s", async () => {
    const r = await runBadCredentials({
      callers: 1000,
      seconds: 60,
      cooldownMillis: 10_000,
      httpLayer: NodeCapillary.httpLayer,
      clientOptions: { tokenCooldownMillis: 10_000 }
    })
    expect(r.tokenRequests).toBeGreaterThan(2)
    expect(r.tokenRequests, JSON.stringify(r)).toBeLessThanOrEqual(r.bound)
  })
})

describe("clock skew", () => {
  for (const hours of [-2, 0, 2]) {
    it(`server clock ${hours >= 0 ? "+" : ""}${hours} h: refreshed at its relative lifetime, neither early nor late`, async () => {
      const r = await runServerSkew(hours, NodeCapillary.httpLayer)
      expect({ early: r.early, late: r.late, failures: r.callerFailures }, JSON.stringify(r.steps)).toEqual({
        early: false,
        late: false,
        failures: 0
      })
    })
  }

  it("the client's wall clock steps forward 1 h and back 2 h: no caller fails, no 498, at most one early refresh", async () => {
    const r = await runClientJumps(NodeCapillary.httpLayer)
    expect(r.callerFailures, JSON.stringify(r.steps)).toBe(0)
    expect(r.earlyRefreshes).toBeLessThanOrEqual(1)
    expect(r.lateSends, JSON.stringify(r.steps)).toBe(0)
  })
})
