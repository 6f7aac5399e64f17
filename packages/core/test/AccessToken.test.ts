import { Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { AccessToken } from "../src/index.ts"

const jwt = (claims: object) =>
  ["e30", Buffer.from(JSON.stringify(claims)).toString("base64url"), "sig"].join(".")

describe("AccessToken", () => {
  it("measures expiry from the moment the request was sent, on ttlSeconds alone for opaque tokens", () => {
    const t = AccessToken.make(
      { value: Redacted.make("opaque-token"), sentAt: 1_000, ttlSeconds: 300 },
      undefined,
      0
    )
    expect(t.claims).toBeUndefined()
    expect(t.obtainedAt).toBe(1_000)
    expect(t.expiresAt).toBe(301_000)
    expect(t.staleAt).toBe(301_000 - 30_000)
    expect(t.refreshAt).toBe(1_000 + 240_000)
  })

  it("takes the shorter of ttlSeconds and the JWT's exp - iat, never the absolute exp", () => {
    // iat/exp from a server whose clock is a year off: only their difference matters.
    const value = Redacted.make(jwt({ iat: 1_600_000_000, exp: 1_600_000_060 }))
    const t = AccessToken.make({ value, sentAt: 5_000, ttlSeconds: 300 })
    expect(t.lifetimeMillis).toBe(60_000)
    expect(t.expiresAt).toBe(65_000)
    expect(t.claims).toEqual({ iat: 1_600_000_000, exp: 1_600_000_060 })
    const longer = AccessToken.make({
      value: Redacted.make(jwt({ iat: 0, exp: 9_999 })),
      sentAt: 0,
      ttlSeconds: 300
    })
    expect(longer.lifetimeMillis).toBe(300_000)
  })

  it("jitters refreshAt within bounds and never before half the lifetime", () => {
    const issued = { value: Redacted.make("t"), sentAt: 0, ttlSeconds: 1000 }
    const early = AccessToken.make(issued, AccessToken.defaultRefreshPolicy, 0.999999)
    const late = AccessToken.make(issued, AccessToken.defaultRefreshPolicy, 0)
    expect(late.refreshAt).toBe(800_000)
    expect(early.refreshAt).toBeGreaterThanOrEqual(750_000)
    expect(early.refreshAt).toBeLessThan(late.refreshAt)
    const aggressive = AccessToken.make(
      issued,
      { refreshAtFraction: 0.1, jitterFraction: 0.9, expiryMarginMillis: 0 },
      1
    )
    expect(aggressive.refreshAt).toBe(500_000)
  })

  it("caps the hard margin at 10% of short lifetimes and keeps refreshAt <= staleAt", () => {
    const t = AccessToken.make({ value: Redacted.make("t"), sentAt: 0, ttlSeconds: 10 })
    expect(t.staleAt).toBe(9_000)
    expect(t.refreshAt).toBeLessThanOrEqual(t.staleAt)
    expect(AccessToken.freshness(t, 0)).toBe("fresh")
    expect(AccessToken.freshness(t, t.refreshAt)).toBe("refresh-ahead")
    expect(AccessToken.freshness(t, t.staleAt)).toBe("stale")
  })
})
