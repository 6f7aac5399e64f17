/**
 * The lifecycle rules as tables of plain values: no fibers, no clock. One `describe` per rule of the module header
 * of `src/internal/lifecycle.ts`.
 */
import { describe, expect, it } from "vitest"
import type { AuthError } from "../src/AuthError.ts"
import {
  AccessDenied,
  ConfigError,
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

describe("rule: lifetime bounds (1 s to 31 days)", () => {
  const day = 24 * 3600 * 1000
  it.each([
    ["1 s", 1_000, true],
    ["31 days", 31 * day, true],
    ["an hour", 3_600_000, true],
    ["just under 1 s", 999, false],
    ["1e-9 s", 1e-6, false],
    ["zero", 0, false],
    ["negative", -1_000, false],
    ["31 days and 1 ms", 31 * day + 1, false],
    ["1e300 s", 1e303, false],
    ["Infinity", Number.POSITIVE_INFINITY, false],
    ["NaN", Number.NaN, false]
  ])("%s", (_name, lifetime, ok) => {
    const problem = L.lifetimeProblem(lifetime, "ttl")
    expect(problem === undefined).toBe(ok)
    if (!ok) expect(problem).toMatch(/^ttl is not a lifetime from 1 second to 31 days/)
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
    ["1 s lifetime, 30 s margin: margin capped at 10 %", 0, 1_000, policy, 0, 800, 900, 1_000],
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
    ["stale: still served, one flight started", state({ token }), token.staleAt, "ServeAndRefresh"],
    ["stale, flight running (hung): still served", state({ token, flight }), token.staleAt, "Serve"],
    [
      "stale, cooling down: still served until expiry",
      state({ token, failure: { ...failure, until: 200_000 } }),
      token.expiresAt - 1,
      "Serve"
    ],
    ["stale, the last ms before expiry", state({ token }), token.expiresAt - 1, "ServeAndRefresh"],
    ["expired: never served", state({ token }), token.expiresAt, "StartAndJoin"],
    ["expired, flight running", state({ token, flight }), token.expiresAt, "Join"],
    [
      "expired, cooling down",
      state({ token, failure: { ...failure, until: 200_000 } }),
      token.expiresAt,
      "Fail"
    ],
    ["expired", state({ token }), token.expiresAt + 1, "StartAndJoin"]
  ])("%s", (_name, s, now, expected) => {
    expect(L.decide(s, now)._tag).toBe(expected)
  })
})

describe("rule: waiting out a cooldown (decide with a budget)", () => {
  const cooling = (error: AuthError, until: number) => ({ error, until })
  const limited = new RateLimited({ message: "m", retryAfterMillis: 20_000 })
  it.each([
    [
      "transient, ends within the budget: wait",
      state({ failure: cooling(transient, 300) }),
      100,
      8_000,
      "AwaitCooldown",
      200
    ],
    [
      "transient, ends just inside the budget",
      state({ failure: cooling(transient, 8_099) }),
      100,
      8_000,
      "AwaitCooldown",
      7_999
    ],
    [
      "transient, ends exactly at the budget: fail",
      state({ failure: cooling(transient, 8_100) }),
      100,
      8_000,
      "Fail",
      undefined
    ],
    [
      "transient, a long Retry-After: fail at once",
      state({ failure: cooling(limited, 20_100) }),
      100,
      8_000,
      "Fail",
      undefined
    ],
    [
      "transient, no budget (no token timeout): fail",
      state({ failure: cooling(transient, 300) }),
      100,
      0,
      "Fail",
      undefined
    ],
    [
      "permanent, within the budget: still fail at once",
      state({ failure: cooling(permanent, 300) }),
      100,
      8_000,
      "Fail",
      undefined
    ],
    [
      "transient, expired token: wait",
      state({ token, failure: cooling(transient, token.expiresAt + 50) }),
      token.expiresAt,
      8_000,
      "AwaitCooldown",
      50
    ],
    [
      "a usable token is served, never waits",
      state({ token, failure: cooling(transient, 95_000) }),
      token.staleAt,
      8_000,
      "Serve",
      undefined
    ],
    [
      "a running flight is joined",
      state({ flight, failure: cooling(transient, 300) }),
      100,
      8_000,
      "Join",
      undefined
    ],
    ["cooled down: start", state({ failure: cooling(transient, 300) }), 300, 8_000, "StartAndJoin", undefined]
  ])("%s", (_name, s, now, budget, expected, millis) => {
    const decision = L.decide(s, now, budget)
    expect(decision._tag).toBe(expected)
    expect(decision._tag === "AwaitCooldown" ? decision.millis : undefined).toBe(millis)
  })
})

describe("rule: attempt timeout (a third of the token timeout)", () => {
  it.each([
    ["the default 8 s", 8_000, 2_666],
    ["3 s", 3_000, 1_000],
    ["1 ms: at least 1 ms", 1, 1],
    ["10 min", 600_000, 200_000]
  ])("%s", (_name, timeout, expected) => {
    const attempt = L.attemptTimeoutMillis(timeout)
    expect(attempt).toBe(expected)
    // Two hung attempts and the two longest default backoffs (250 ms, 500 ms) still leave room for a third.
    if (timeout >= 3_000) expect(2 * attempt + 750).toBeLessThan(timeout)
  })
})

describe("rules together: a lifetime shorter than the margin costs one request per lifetime, not per call", () => {
  it("1 s tokens, a call every ms for 10 s, answers in no time: 13 token requests", () => {
    let current: L.Timeline | undefined
    let requests = 0
    for (let now = 0; now < 10_000; now++) {
      const decision = L.decide(state({ token: current }), now)
      if (decision._tag === "StartAndJoin" || decision._tag === "ServeAndRefresh") {
        requests++
        current = L.timeline(now, 1_000, policy, 0)
      }
    }
    expect(requests).toBe(13) // at 0, 800, 1600, ... 9600: refreshed at 80 % of each lifetime
  })
})

describe("rule: policies (finite, in range, named)", () => {
  it.each([
    ["refreshAtFraction", 0.8, undefined],
    ["refreshAtFraction", Number.NaN, "refresh.refreshAtFraction must be a finite number from 0 to 1"],
    ["refreshAtFraction", 1.5, "refresh.refreshAtFraction must be a finite number from 0 to 1"],
    ["jitterFraction", -0.1, "refresh.jitterFraction must be a finite number from 0 to 1"],
    [
      "expiryMarginMillis",
      Number.POSITIVE_INFINITY,
      "refresh.expiryMarginMillis must be a finite number from 0 to 2678400000"
    ],
    ["maxAttempts", 0, "backoff.maxAttempts must be a whole number from 1 to 20"],
    ["maxAttempts", 2.5, "backoff.maxAttempts must be a whole number from 1 to 20"],
    ["maxAttempts", 4, undefined],
    ["baseMillis", "250", "backoff.baseMillis must be a finite number from 0 to 3600000"],
    ["permanentCooldownMillis", -1, "cooldown must be a finite number from 0 to 86400000"],
    ["timeoutMillis", 0, "timeout must be a finite number from 1 to 600000"],
    ["timeoutMillis", 10_000, undefined]
  ] as const)("%s = %s", (setting, value, expected) => {
    const field =
      setting === "permanentCooldownMillis"
        ? "cooldown"
        : setting === "timeoutMillis"
          ? "timeout"
          : ["maxAttempts", "baseMillis", "maxMillis"].includes(setting)
            ? `backoff.${setting}`
            : `refresh.${setting}`
    expect(L.policyProblem(setting, value, field)).toBe(expected)
  })
  it("policiesProblem names the first bad setting, and refuses unknown ones", () => {
    const allowed = ["refreshAtFraction", "jitterFraction", "expiryMarginMillis"] as const
    expect(L.policiesProblem({ jitterFraction: 0.1 }, allowed, "refresh")).toBeUndefined()
    expect(L.policiesProblem({ expiryMarginMillis: Number.NaN }, allowed, "refresh")?.[0]).toBe(
      "refresh.expiryMarginMillis"
    )
    expect(L.policiesProblem({ margin: 1 }, allowed, "refresh")).toEqual([
      "refresh.margin",
      "refresh.margin is not a setting of refresh (refreshAtFraction, jitterFraction, expiryMarginMillis)"
    ])
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
    ],
    [
      "malformed answer cooling down: try anyway",
      state({ failure: { ...failure, error: new MalformedResponse({ message: "m" }) } }),
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

describe("rule: retries, what is retryable", () => {
  it.each([
    ["ServiceUnavailable", transient, true],
    ["a timeout", new TransportError({ message: "m", reason: "Timeout" }), true],
    ["a malformed answer", new MalformedResponse({ message: "m", status: 200 }), true],
    ["a malformed answer without a status", new MalformedResponse({ message: "m" }), true],
    ["a redirect answer (malformed, 301)", new MalformedResponse({ message: "m", status: 301 }), false],
    ["a refused redirect", new TransportError({ message: "m", reason: "Redirect" }), false],
    ["bad credentials", permanent, false],
    ["access denied", new AccessDenied({ message: "m" }), false],
    ["a config error", new ConfigError({ message: "m" }), false]
  ])("%s: %s", (_name, error, expected) => {
    expect(L.retryable(error)).toBe(expected)
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
    ["a malformed answer is retried (transient)", new MalformedResponse({ message: "m" }), 1, 0, 50],
    [
      "a malformed answer on the last attempt ends the flight",
      new MalformedResponse({ message: "m" }),
      4,
      0,
      undefined
    ],
    [
      "a redirect (malformed, 3xx) is configuration: never retried",
      new MalformedResponse({ message: "m", status: 302 }),
      1,
      0,
      undefined
    ],
    ["a config error is never retried", new ConfigError({ message: "m" }), 1, 0, undefined],
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
      "malformed answer: the backoff, never the permanent cooldown",
      new MalformedResponse({ message: "m" }),
      1,
      100
    ],
    [
      "an undocumented code (ServiceUnavailable): the backoff",
      new ServiceUnavailable({ message: "m", code: 498, status: 200 }),
      2,
      200
    ],
    ["access denied: the fixed cooldown", new AccessDenied({ message: "m" }), 1, 30_000],
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

  it.each([
    ["a token this process saw rejected is refused, however fresh", true, false],
    ["any other token is judged as above", false, true]
  ])("%s", (_name, seenRejected, expected) => {
    expect(L.adoptable(newer, undefined, 0, seenRejected)).toBe(expected)
  })
})

describe("rule: fleet flight (decideFleet, fleetWaitMillis)", () => {
  const fleet: L.FleetPolicy = { waitBaseMillis: 20, waitMaxMillis: 1_000 }
  it.each<[string, L.FleetObservation, L.FleetDecision]>([
    ["the store failing -> this process's own single flight", { _tag: "StoreDown" }, { _tag: "Local" }],
    ["an adoptable token in the store -> adopt it", { _tag: "Stored" }, { _tag: "Adopt" }],
    ["the lease ours -> fetch", { _tag: "Acquired" }, { _tag: "Fetch" }],
    [
      "the lease held, first wait -> the base (a wake-up ends it sooner)",
      { _tag: "Held", expiresInMillis: 3_000, waits: 0 },
      { _tag: "Wait", millis: 20 }
    ],
    [
      "the lease held, fourth wait -> doubled three times",
      { _tag: "Held", expiresInMillis: 3_000, waits: 3 },
      { _tag: "Wait", millis: 160 }
    ],
    [
      "the lease held, many waits -> capped",
      { _tag: "Held", expiresInMillis: 3_000, waits: 30 },
      { _tag: "Wait", millis: 1_000 }
    ],
    [
      "never past the holder's lease: it lapses in 40 ms -> wait 41",
      { _tag: "Held", expiresInMillis: 40, waits: 5 },
      { _tag: "Wait", millis: 41 }
    ],
    [
      "a lease that lapses now -> at least 1 ms",
      { _tag: "Held", expiresInMillis: 0, waits: 0 },
      { _tag: "Wait", millis: 1 }
    ]
  ])("%s", (_name, observation, expected) => {
    expect(L.decideFleet(observation, fleet, 1)).toEqual(expected)
  })

  it("the wait's jitter stays in the upper half of the backoff", () => {
    expect(L.fleetWaitMillis(3, 10_000, fleet, 0)).toBe(80)
    expect(L.fleetWaitMillis(3, 10_000, fleet, 0.5)).toBe(120)
  })
})

describe("rule: lease renewal (leaseRenewMillis)", () => {
  it.each([
    ["a 3 s lease is renewed every second", 3_000, 1_000],
    ["a 100 ms lease every 33 ms", 100, 33],
    ["never less than 1 ms", 1, 1]
  ])("%s", (_name, ttl, expected) => {
    expect(L.leaseRenewMillis(ttl)).toBe(expected)
  })
})

describe("rule: store outage (outageTransition)", () => {
  it.each([
    ["a first failure warns", false, false, "Warn"],
    ["further failures of the same outage stay quiet", true, false, "None"],
    ["the first success after it ends the outage", true, true, "Recovered"],
    ["successes stay quiet", false, true, "None"]
  ] as const)("%s", (_name, down, ok, expected) => {
    expect(L.outageTransition(down, ok)).toBe(expected)
  })
})

describe("rule: credential list (nextCredential)", () => {
  it.each([
    ["the first rejected: the second at once", permanent, 0, 1, 3, 1],
    ["the second rejected: the third", permanent, 1, 2, 3, 2],
    ["the last rejected: round to the first not yet tried", permanent, 2, 1, 3, 0],
    ["every one tried and rejected: fail", permanent, 1, 3, 3, undefined],
    ["a single credential rejected: fail (the cooldown applies)", permanent, 0, 1, 1, undefined],
    ["a transient error stays with the credential in use", transient, 0, 1, 3, undefined],
    ["access denied is no reason to switch", new AccessDenied({ message: "m" }), 0, 1, 3, undefined]
  ] as const)("%s", (_name, error, index, tried, count, expected) => {
    expect(L.nextCredential(error, index, tried, count)).toBe(expected)
  })
})

describe("rule: clock steps (backwardStepMillis)", () => {
  it.each([
    ["no step: both clocks moved alike", 5_000, 5_000, 0],
    ["drift under a second is not a step", 5_000, 5_900, 0],
    ["the wall clock stepped back an hour", -3_600_000 + 10, 10, -3_600_000],
    ["the wall clock stood still for 2 s", 0, 2_000, -2_000],
    ["a forward step is followed (it may be a suspend)", 3_600_000, 10, 0]
  ])("%s", (_, wall, monotonic, expected) => {
    expect(L.backwardStepMillis(wall, monotonic)).toBe(expected)
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

describe("rule: replays, first half (invalidates: at once, the moment the verdict is known)", () => {
  it.each([
    ["498, OAuth", "expired", true, true],
    ["401, OAuth", "rejected", true, true],
    ["403 keeps the token", "forbidden", true, false],
    ["ok keeps the token", "ok", true, false],
    ["Basic: no token to drop", "expired", false, false]
  ] as const)("%s", (_name, verdict, renewable, expected) => {
    expect(L.invalidates(verdict, renewable)).toBe(expected)
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
