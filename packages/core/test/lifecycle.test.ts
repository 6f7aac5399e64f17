/**
 * The lifecycle rules as tables of plain values: no fibers, no clock. One `describe` per rule of the module header
 * of `src/internal/lifecycle.ts`.
 */
import { describe, expect, it } from "vitest"
import {
  AccessDenied,
  InvalidCredentials,
  MalformedResponse,
  RateLimited,
  ServiceUnavailable,
  TransportError
} from "../src/index.ts"
import * as L from "../src/internal/lifecycle.ts"

const policy: L.RefreshPolicy = L.defaultRefreshPolicy
const backoff: L.BackoffPolicy = { maxAttempts: 4, baseMillis: 100, maxMillis: 10_000 }
const token: L.Timeline = L.timeline(0, 100_000, policy, 0) // refreshAt 80 s, staleAt 90 s, expiresAt 100 s
const flight = { id: "flight" }
type S = L.State<L.Timeline, typeof flight>
const state = (s: Partial<S>): S => ({ token: undefined, flight: undefined, failure: undefined, ...s })
const permanent = new InvalidCredentials({ message: "m" })
const transient = new ServiceUnavailable({ message: "m" })
const failure = { error: permanent, until: 50_000 }

describe("rule: lifetime (ttl vs the JWT's own exp - iat, shorter wins)", () => {
  it.each([
    ["ttl only (opaque token)", 300, undefined, 300_000],
    ["JWT shorter than ttl", 300, { iat: 1000, exp: 1060 }, 60_000],
    ["ttl shorter than JWT", 30, { iat: 0, exp: 9_999 }, 30_000],
    ["JWT exp before iat is ignored", 300, { iat: 1000, exp: 900 }, 300_000],
    ["non-numeric claims are ignored", 300, { iat: "0", exp: "60" }, 300_000]
  ])("%s", (_name, ttl, claims, expected) => {
    expect(L.lifetimeMillis(ttl, claims)).toBe(expected)
  })
})

describe("rules: hard window (stale) and soft window (refresh ahead)", () => {
  it.each([
    // name, obtainedAt, lifetime, policy, random -> refreshAt, staleAt, expiresAt
    ["5 min, no jitter", 1_000, 300_000, policy, 0, 241_000, 271_000, 301_000],
    ["short life: margin capped at 10 %", 0, 10_000, policy, 0, 8_000, 9_000, 10_000],
    ["full jitter takes up to 5 % off refreshAt", 0, 1_000_000, policy, 0.5, 775_000, 970_000, 1_000_000],
    [
      "never refresh before half the lifetime",
      0,
      1_000_000,
      { refreshAtFraction: 0.1, jitterFraction: 0.9, expiryMarginMillis: 0 },
      0.99,
      500_000,
      1_000_000,
      1_000_000
    ],
    [
      "never refresh after stale",
      0,
      100_000,
      { refreshAtFraction: 1, jitterFraction: 0, expiryMarginMillis: 30_000 },
      0,
      90_000,
      90_000,
      100_000
    ],
    [
      "a negative jitter fraction counts as none",
      0,
      100_000,
      { ...policy, jitterFraction: -1 },
      0.9,
      80_000,
      90_000,
      100_000
    ]
  ])("%s", (_name, obtainedAt, lifetime, p, random, refreshAt, staleAt, expiresAt) => {
    expect(L.timeline(obtainedAt, lifetime, p, random)).toEqual({ obtainedAt, refreshAt, staleAt, expiresAt })
  })
})

describe("rule: what a caller gets (decide)", () => {
  it.each([
    ["empty, nothing running", state({}), 0, "StartAndJoin"],
    ["empty, a flight running", state({ flight }), 0, "Join"],
    ["empty, failure cooling down", state({ failure }), 10_000, "Fail"],
    ["empty, failure cooled down", state({ failure }), 50_000, "StartAndJoin"],
    ["fresh", state({ token }), token.refreshAt - 1, "Serve"],
    ["fresh, even during a cooldown", state({ token, failure }), 0, "Serve"],
    ["refresh-ahead", state({ token }), token.refreshAt, "ServeAndRefresh"],
    ["refresh-ahead, flight running", state({ token, flight }), token.refreshAt, "Serve"],
    [
      "refresh-ahead, cooling down",
      state({ token, failure: { ...failure, until: 95_000 } }),
      token.refreshAt,
      "Serve"
    ],
    ["stale", state({ token }), token.staleAt, "StartAndJoin"],
    ["stale, flight running", state({ token, flight }), token.staleAt, "Join"],
    ["stale, cooling down", state({ token, failure: { ...failure, until: 200_000 } }), token.staleAt, "Fail"],
    ["expired", state({ token }), token.expiresAt + 1, "StartAndJoin"]
  ])("%s", (_name, s, now, expected) => {
    expect(L.decide(s, now)._tag).toBe(expected)
  })
})

describe("rule: explicit refresh (decideRefresh)", () => {
  it.each([
    ["nothing running", state({ token }), 0, "StartAndJoin"],
    ["a flight running", state({ flight }), 0, "Join"],
    ["permanent failure cooling down", state({ failure }), 10_000, "Fail"],
    ["permanent failure cooled down", state({ failure }), 50_000, "StartAndJoin"],
    [
      "transient failure cooling down: try anyway",
      state({ failure: { ...failure, error: transient } }),
      0,
      "StartAndJoin"
    ]
  ])("%s", (_name, s, now, expected) => {
    expect(L.decideRefresh(s, now)._tag).toBe(expected)
  })
})

describe("rule: backoff (doubling, capped, jitter in the upper half)", () => {
  it.each([
    [1, 0, 50],
    [1, 1, 100],
    [2, 0.5, 150],
    [3, 1, 400],
    [30, 1, 10_000],
    [30, 0, 5_000],
    [0, 1, 100] // attempt numbers start at 1; 0 is treated as 1
  ])("attempt %i, random %f -> %i ms", (attempt, random, expected) => {
    expect(L.backoffMillis(attempt, 100, 10_000, random)).toBe(expected)
  })
})

describe("rule: retries (retryDelay)", () => {
  const limited = (retryAfterMillis: number | undefined) =>
    new RateLimited({ message: "m", retryAfterMillis })
  it.each([
    ["transient, first attempt", transient, 1, 1, 100],
    ["transient, third attempt", transient, 3, 1, 400],
    ["transient, attempts spent", transient, 4, 1, undefined],
    ["network failure", new TransportError({ message: "m", reason: "Network" }), 1, 0, 50],
    [
      "a refused redirect is not retried",
      new TransportError({ message: "m", reason: "Redirect" }),
      1,
      0,
      undefined
    ],
    ["bad credentials are never retried", permanent, 1, 0, undefined],
    ["access denied is never retried", new AccessDenied({ message: "m" }), 1, 0, undefined],
    ["a malformed answer is never retried", new MalformedResponse({ message: "m" }), 1, 0, undefined],
    ["Retry-After longer than the backoff wins", limited(2_000), 1, 1, 2_000],
    ["Retry-After shorter than the backoff is not used to hurry", limited(10), 3, 1, 400],
    ["Retry-After beyond the cap ends the flight", limited(60_000), 1, 1, undefined],
    ["429 without Retry-After backs off", limited(undefined), 2, 1, 200]
  ])("%s", (_name, error, attempt, random, expected) => {
    expect(L.retryDelay(error, attempt, backoff, random)).toBe(expected)
  })
})

describe("rule: cooldown after a failed flight", () => {
  it.each([
    ["permanent: the fixed cooldown", permanent, 1, 30_000],
    ["permanent, many failures: still the fixed cooldown", permanent, 9, 30_000],
    ["transient, first failure: one backoff step", transient, 1, 100],
    ["transient, fourth consecutive failure", transient, 4, 800],
    ["transient, capped", transient, 40, 10_000],
    [
      "429 with Retry-After beyond the backoff",
      new RateLimited({ message: "m", retryAfterMillis: 5_000 }),
      1,
      5_000
    ]
  ])("%s", (_name, error, failures, expected) => {
    expect(L.cooldownMillis(error, failures, backoff, 30_000, 1)).toBe(expected)
  })
})

describe("rule: adopting a stored token", () => {
  const older = L.timeline(0, 100_000, policy, 0)
  const newer = L.timeline(10_000, 100_000, policy, 0)
  it.each([
    ["nothing held, stored usable", newer, undefined, 0, true],
    ["stored newer than ours", newer, older, 50_000, true],
    ["stored older than ours", older, newer, 50_000, false],
    ["stored is ours", older, older, 50_000, false],
    ["stored is stale", newer, undefined, newer.staleAt, false]
  ])("%s", (_name, stored, current, now, expected) => {
    expect(L.adoptable(stored, current, now)).toBe(expected)
  })
})

describe("rule: compare-and-invalidate", () => {
  const same = (a: string, b: string) => a === b
  it.each([
    ["the rejected token is the cached one", "t1", "t1", true],
    ["a newer token is cached: keep it", "t2", "t1", false],
    ["nothing cached", undefined, "t1", false]
  ])("%s", (_name, current, rejected, expected) => {
    expect(L.shouldInvalidate(current, rejected, same)).toBe(expected)
  })
})

describe("rule: replays (afterResponse)", () => {
  const oauth = { renewable: true, replayable: true, replays: 0 }
  it.each([
    ["ok", "ok", oauth, "Settle"],
    ["403 is never replayed", "forbidden", oauth, "Settle"],
    ["498: invalidate and replay", "expired", oauth, "InvalidateAndReplay"],
    ["401: invalidate and replay", "rejected", oauth, "InvalidateAndReplay"],
    [
      "498 on the replay: invalidate and settle (TokenExpired)",
      "expired",
      { ...oauth, replays: 1 },
      "InvalidateAndSettle"
    ],
    [
      "498 on a one-shot body: invalidate, never replay",
      "expired",
      { ...oauth, replayable: false },
      "InvalidateAndSettle"
    ],
    ["Basic credentials: nothing to renew", "rejected", { ...oauth, renewable: false }, "Settle"]
  ] as const)("%s", (_name, verdict, request, expected) => {
    expect(L.afterResponse(verdict, request)).toBe(expected)
  })
  it("replays at most once", () => {
    expect(L.maxReplays).toBe(1)
  })
})
