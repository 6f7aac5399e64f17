/**
 * The token lifecycle, rule by rule. Every rule is a pure function of plain values (no fibers, no clock, no
 * randomness of its own: `random` in [0, 1) and `now` in ms are arguments), table-tested in
 * `test/lifecycle.test.ts`. `TokenManager` and the two clients only carry out what these decide.
 *
 * | rule | in words | function |
 * | --- | --- | --- |
 * | lifetime | the server's `ttlSeconds`, cross-checked with the JWT's `exp - iat`; the shorter wins; the JWT's absolute `exp` is never compared with our clock | `lifetimeMillis` |
 * | lifetime bounds | a lifetime (or `ttlSeconds`) that is not a finite number from 1 s to 31 days is a malformed answer, never a token: shorter ones would cost a request per call, longer ones are never refreshed | `lifetimeProblem` |
 * | hard window | a token is *stale* from `expiresAt - min(expiryMargin, 10 % of lifetime)`: no longer adopted from a store, and refreshed at once; it is still served until `expiresAt` (a hung or failing token endpoint never holds a caller who has a usable token), never after | `timeline`, `decide` |
 * | soft window | refresh ahead from `refreshAtFraction` (≥ 0.5) of the lifetime, minus a random jitter of up to `jitterFraction`, never before half the lifetime, never after stale | `timeline` |
 * | what a caller gets | fresh: the token; soft window or stale (not yet expired): the token, and one background flight unless one runs or a failure cools down; expired or none: join the one flight (start it if none), waiting at most the token timeout in all (its *budget*), or, while a failure cools down, see the next row | `decide` |
 * | waiting out a cooldown | a caller without a usable token, during the cooldown of a retryable (transient) failure that ends within its budget: waits for the cooldown to end, then joins the next flight (still within its budget); a cooldown ending at or after the budget, a permanent one (bad credentials, access denied), or no token timeout (no budget): fail at once with the failure's error. The callers of a failed flight get its error (its retries are spent: `maxAttempts` bounds what a caller's request costs) | `decide` |
 * | attempt timeout | each token request attempt is given up after a third of the token timeout, so a hung attempt, its backoff and a retry fit inside the wait of the callers that joined it (two hung attempts still leave a third inside it) | `attemptTimeoutMillis` |
 * | explicit refresh | join a running flight; fail at once during the cooldown of a failure that is not retryable (bad credentials, access denied); else start one | `decideRefresh` |
 * | backoff | `base · 2^(attempt-1)`, capped at `max`, "full jitter" in the upper half | `backoffMillis` |
 * | retries | only retryable errors (transient ones, and a malformed token answer other than a redirect), at most `maxAttempts` per flight; `Retry-After` is honoured (never shortened), and one longer than the cap ends the flight | `retryable`, `retryDelay` |
 * | cooldown | after a failed flight, retryable: the backoff for the count of consecutive failures (or `Retry-After`, if longer); permanent (bad credentials, access denied, ...): `permanentCooldown` | `cooldownMillis` |
 * | policies | refresh and backoff policies, the cooldown and the timeout must be finite and in range (`policyBounds`; each option named), else the configuration is refused | `policyProblem`, `policiesProblem` |
 * | adopting a stored token | a token another process left in the store is taken if it is not stale, newer than ours, and not one this process saw rejected | `adoptable` |
 * | credential list | with several credentials, one rejected as invalid credentials hands over at once (same flight, no backoff, no cooldown) to the next in order, wrapping round, each tried at most once per fetch; any other error stays with the credential in use; the one that works stays in use | `nextCredential` |
 * | fleet flight | with a lease-capable store: an adoptable stored token -> adopt it; the lease ours -> fetch (and store, then release); the lease held by another -> wait for its result (woken by the store, polling with backoff, never past the lease's expiry) and look again; the store failing -> this process's own single flight | `decideFleet`, `fleetWaitMillis` |
 * | lease renewal | the holder renews its lease every third of the lease's TTL while it fetches, so a live holder keeps it through two lost renewals and a dead one loses it within the TTL | `leaseRenewMillis` |
 * | store outage | one warning when the store starts failing (not one per call), one notice when it answers again | `outageTransition` |
 * | clock steps | lifetimes are kept on the wall clock (a store shares them with other processes). When it steps *back* (more than 1 s against the monotonic clock, between two readings), the cached token's instants and the cooldown move back with it, so the token expires when it would have. A forward step is followed: it cannot be told from a suspend, during which the token did age, and following it costs at most one early refresh, never a 498 | `backwardStepMillis` |
 * | compare-and-invalidate | a rejection (498, 401) drops the cached token only if it is the very token that was rejected | `shouldInvalidate` |
 * | replays | a response saying "expired" or "rejected" invalidates the token it carried at once (HTTP 498/401 at the status line, before the body is read; a body code as soon as it is found), so no other caller picks it up; the request is replayed with a new token at most `maxReplays` (1) times, and never when its body could be sent only once | `invalidates`, `afterResponse` |
 */
import type { AuthError } from "../AuthError.ts"
import { isTransient } from "../AuthError.ts"

/** When to refresh ahead and when a token is too close to expiry to use. */
export interface RefreshPolicy {
  /** Refresh-ahead starts at this fraction of the lifetime (default 0.8). Never below 0.5. */
  readonly refreshAtFraction: number
  /** Up to this fraction of the lifetime is taken off `refreshAt` at random, so a fleet spreads out (default 0.05). */
  readonly jitterFraction: number
  /**
   * From this close to expiry (ms) a token is stale: renewed at once, no longer adopted from a store, still served
   * until it expires (default 30 s, at most 10 % of the lifetime).
   */
  readonly expiryMarginMillis: number
}

export const defaultRefreshPolicy: RefreshPolicy = {
  refreshAtFraction: 0.8,
  jitterFraction: 0.05,
  expiryMarginMillis: 30_000
}

/** How token requests are retried within one flight. */
export interface BackoffPolicy {
  /** Attempts per flight for transient errors (default 4). */
  readonly maxAttempts: number
  readonly baseMillis: number
  readonly maxMillis: number
}

export const defaultBackoffPolicy: BackoffPolicy = { maxAttempts: 4, baseMillis: 250, maxMillis: 30_000 }

/** How long a permanent failure (bad credentials, access denied) is remembered by default. */
export const defaultPermanentCooldownMillis = 30_000

/** The instants of a token's life, in ms on the local clock. */
export interface Timeline {
  readonly obtainedAt: number
  readonly refreshAt: number
  readonly staleAt: number
  readonly expiresAt: number
}

/** Rule "lifetime": the server's ttl and the JWT's own `exp - iat`, the shorter wins. */
export const lifetimeMillis = (
  ttlSeconds: number,
  claims: Readonly<Record<string, unknown>> | undefined
): number => {
  const iat = claims?.iat
  const exp = claims?.exp
  const jwtSeconds =
    typeof iat === "number" && typeof exp === "number" && exp > iat ? exp - iat : Number.POSITIVE_INFINITY
  return Math.min(ttlSeconds, jwtSeconds) * 1000
}

/** The shortest lifetime accepted (ms). */
const minLifetimeMillis = 1_000
/** The longest lifetime accepted (ms): 31 days (Capillary allows at most 30). */
const maxLifetimeMillis = 31 * 24 * 3600 * 1000

/**
 * Rule "lifetime bounds": why a lifetime (ms) cannot be used, or `undefined` if it can. `what` names it in the
 * message (e.g. "ttlSeconds 0.001").
 */
export const lifetimeProblem = (lifetime: number, what: string): string | undefined =>
  Number.isFinite(lifetime) && lifetime >= minLifetimeMillis && lifetime <= maxLifetimeMillis
    ? undefined
    : `${what} is not a lifetime from 1 second to 31 days`

/** Rules "hard window" and "soft window": place a token obtained at `obtainedAt` on its timeline. */
export const timeline = (
  obtainedAt: number,
  lifetime: number,
  policy: RefreshPolicy,
  random: number
): Timeline => {
  const expiresAt = obtainedAt + lifetime
  // Whole milliseconds: every instant compares exactly with Clock readings.
  const staleAt = Math.floor(expiresAt - Math.min(policy.expiryMarginMillis, lifetime * 0.1))
  const fraction = Math.max(0.5, Math.min(policy.refreshAtFraction, 1))
  const jitter = random * Math.max(0, policy.jitterFraction) * lifetime
  const refreshAt = Math.floor(
    Math.min(staleAt, Math.max(obtainedAt + lifetime / 2, obtainedAt + lifetime * fraction - jitter))
  )
  return { obtainedAt, refreshAt, staleAt, expiresAt }
}

/** What the manager holds, as far as the rules care. */
export interface State<Token extends Timeline, Flight> {
  readonly token: Token | undefined
  /** The one token request in flight, shared by every waiting caller. */
  readonly flight: Flight | undefined
  /** The last failure, remembered until `until` so a stampede of callers makes one request. */
  readonly failure: { readonly error: AuthError; readonly until: number } | undefined
}

export type Decision<Token, Flight> =
  | { readonly _tag: "Serve"; readonly token: Token }
  | { readonly _tag: "ServeAndRefresh"; readonly token: Token }
  | { readonly _tag: "Join"; readonly flight: Flight }
  | { readonly _tag: "StartAndJoin" }
  /** Sleep `millis` (the rest of a transient cooldown), then decide again. */
  | { readonly _tag: "AwaitCooldown"; readonly millis: number }
  | { readonly _tag: "Fail"; readonly error: AuthError }

const coolingDown = (state: State<Timeline, unknown>, now: number) =>
  state.failure !== undefined && now < state.failure.until

/**
 * Rule "what a caller gets". A stale token is still served until it expires: its expiry is reckoned from the
 * moment the request for it was *sent*, so it is valid on the server at least that long, and a request that
 * lands just too late is answered 498 and replayed once. Making callers wait instead would let a hung token
 * request hold every caller for the whole token timeout.
 *
 * Rule "waiting out a cooldown": `budget` is how much longer (ms) this caller may wait for a token (the rest of
 * its token timeout; 0 without one). A transient cooldown that ends within it is waited out: failing callers
 * for the whole cooldown would turn one failed flight into thousands of failed calls.
 */
export const decide = <Token extends Timeline, Flight>(
  state: State<Token, Flight>,
  now: number,
  budget = 0
): Decision<Token, Flight> => {
  const { token, flight, failure } = state
  if (token !== undefined && now < token.refreshAt) return { _tag: "Serve", token }
  if (token !== undefined && now < token.expiresAt) {
    return flight !== undefined || coolingDown(state, now)
      ? { _tag: "Serve", token }
      : { _tag: "ServeAndRefresh", token }
  }
  if (flight !== undefined) return { _tag: "Join", flight }
  if (failure !== undefined && now < failure.until) {
    // Strictly within the budget: the caller must have time left to join the next flight.
    return retryable(failure.error) && failure.until - now < budget
      ? { _tag: "AwaitCooldown", millis: failure.until - now }
      : { _tag: "Fail", error: failure.error }
  }
  return { _tag: "StartAndJoin" }
}

/**
 * Rule "attempt timeout": how long one token request attempt may take, given the token timeout (the longest a
 * caller waits). A third: with the default 8 s, an attempt is given up after 2.67 s, so a caller that joined a
 * hung attempt still sees its retry (after a backoff of at most 250 ms, then 500 ms), even a second hung one.
 */
export const attemptTimeoutMillis = (timeoutMillis: number): number =>
  Math.max(1, Math.floor(timeoutMillis / 3))

/** Rule "explicit refresh": a caller asks for a new token now. */
export const decideRefresh = <Flight>(
  state: State<Timeline, Flight>,
  now: number
): Exclude<Decision<never, Flight>, { readonly _tag: "Serve" | "ServeAndRefresh" | "AwaitCooldown" }> => {
  if (state.flight !== undefined) return { _tag: "Join", flight: state.flight }
  const failure = state.failure
  if (failure !== undefined && now < failure.until && !retryable(failure.error)) {
    return { _tag: "Fail", error: failure.error }
  }
  return { _tag: "StartAndJoin" }
}

/** Rule "backoff": `base * 2^(attempt-1)`, capped, with "full jitter" in its upper half. */
export const backoffMillis = (attempt: number, baseMillis: number, maxMillis: number, random: number) => {
  const ceiling = Math.min(maxMillis, baseMillis * 2 ** Math.max(0, attempt - 1))
  return Math.round(ceiling / 2 + (random * ceiling) / 2)
}

/**
 * Rule "retries": whether a failed token request is worth another attempt. Transient errors are; so is a
 * malformed answer (a proxy's error page, a truncated body: the next one is likely fine), except a redirect,
 * which is configuration. Refusals (bad credentials, access denied) and the rest are not.
 */
export const retryable = (error: AuthError): boolean =>
  isTransient(error) ||
  (error._tag === "MalformedResponse" &&
    !(error.status !== undefined && error.status >= 300 && error.status < 400))

const retryAfterOf = (error: AuthError): number | undefined =>
  error._tag === "RateLimited" ? error.retryAfterMillis : undefined

/**
 * Rule "retries": after attempt number `attempt` failed with `error`, how long to wait before the next one, or
 * `undefined` to give up (a permanent error, the attempts spent, or a `Retry-After` beyond the cap).
 */
export const retryDelay = (
  error: AuthError,
  attempt: number,
  policy: BackoffPolicy,
  random: number
): number | undefined => {
  if (!retryable(error) || attempt >= policy.maxAttempts) return undefined
  const computed = backoffMillis(attempt, policy.baseMillis, policy.maxMillis, random)
  const asked = retryAfterOf(error)
  if (asked === undefined) return computed
  return asked > policy.maxMillis ? undefined : Math.max(asked, computed)
}

/**
 * Rule "cooldown": how long the failure of a flight is remembered (no new flight meanwhile; callers without a
 * usable token wait it out within their budget if it is retryable, else fail at once).
 */
export const cooldownMillis = (
  error: AuthError,
  consecutiveFailures: number,
  policy: BackoffPolicy,
  permanentCooldown: number,
  random: number
): number =>
  retryable(error)
    ? Math.max(
        backoffMillis(consecutiveFailures, policy.baseMillis, policy.maxMillis, random),
        retryAfterOf(error) ?? 0
      )
    : permanentCooldown

/** What each policy setting may be: a finite number in `[min, max]` (a whole one when `integer`). */
const policyBounds = {
  refreshAtFraction: { min: 0, max: 1, integer: false },
  jitterFraction: { min: 0, max: 1, integer: false },
  expiryMarginMillis: { min: 0, max: maxLifetimeMillis, integer: false },
  maxAttempts: { min: 1, max: 20, integer: true },
  baseMillis: { min: 0, max: 3_600_000, integer: false },
  maxMillis: { min: 0, max: 3_600_000, integer: false },
  permanentCooldownMillis: { min: 0, max: 86_400_000, integer: false },
  timeoutMillis: { min: 1, max: 600_000, integer: false }
} as const

/** A policy setting's name. */
export type PolicySetting = keyof typeof policyBounds

/**
 * Rule "policies": why `value` cannot be the policy setting `setting`, or `undefined` if it can. `field` is the
 * option's name as the user wrote it (e.g. `refresh.jitterFraction`, `CAPILLARY_TOKEN_TIMEOUT_MS`). NaN,
 * infinities, negative numbers and non-numbers are refused: a NaN margin would serve expired tokens.
 */
export const policyProblem = (setting: PolicySetting, value: unknown, field: string): string | undefined => {
  const { min, max, integer } = policyBounds[setting]
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    value >= min &&
    value <= max &&
    (!integer || Number.isInteger(value))
  return ok ? undefined : `${field} must be a ${integer ? "whole" : "finite"} number from ${min} to ${max}`
}

/** The first problem of a set of refresh and backoff settings, as `[field, message]`; `prefix` names their option. */
export const policiesProblem = (
  settings: Readonly<Record<string, unknown>> | undefined,
  allowed: ReadonlyArray<PolicySetting>,
  prefix: string
): readonly [string, string] | undefined => {
  for (const [key, value] of Object.entries(settings ?? {})) {
    if (value === undefined) continue
    const field = `${prefix}.${key}`
    if (!(allowed as ReadonlyArray<string>).includes(key)) {
      return [field, `${field} is not a setting of ${prefix} (${allowed.join(", ")})`]
    }
    const problem = policyProblem(key as PolicySetting, value, field)
    if (problem !== undefined) return [field, problem]
  }
  return undefined
}

/**
 * Rule "adopting a stored token": not stale at `now`, newer than the one we hold, and not a token this process
 * saw rejected (a compare-and-invalidate that could not reach the store leaves it there).
 */
export const adoptable = (
  stored: Timeline,
  current: Timeline | undefined,
  now: number,
  seenRejected = false
): boolean =>
  !seenRejected && now < stored.staleAt && (current === undefined || stored.obtainedAt > current.obtainedAt)

/**
 * Rule "credential list": after credential `index` of `count` failed with `error`, with `tried` of them tried in
 * this fetch, the index to try next at once, or `undefined` to fail with the error.
 */
export const nextCredential = (
  error: AuthError,
  index: number,
  tried: number,
  count: number
): number | undefined =>
  error._tag === "InvalidCredentials" && tried < count ? (index + 1) % count : undefined

/** How a flight waits for another process's (the lease holder's) result. */
export interface FleetPolicy {
  /** The first poll after a missed wake-up (default 25 ms), doubling. */
  readonly waitBaseMillis: number
  /** The longest poll (default 1 s). */
  readonly waitMaxMillis: number
}

export const defaultFleetPolicy: FleetPolicy = { waitBaseMillis: 25, waitMaxMillis: 1_000 }

/** What one look at the shared store found. */
export type FleetObservation =
  /** A read, a lease command or a wait failed (or timed out). */
  | { readonly _tag: "StoreDown" }
  /** The store holds an adoptable token. */
  | { readonly _tag: "Stored" }
  /** No adoptable token, and the lease is now ours. */
  | { readonly _tag: "Acquired" }
  /** No adoptable token; another process holds the lease for `expiresInMillis` more. `waits`: how often we waited. */
  | { readonly _tag: "Held"; readonly expiresInMillis: number; readonly waits: number }

export type FleetDecision =
  | { readonly _tag: "Local" }
  | { readonly _tag: "Adopt" }
  | { readonly _tag: "Fetch" }
  | { readonly _tag: "Wait"; readonly millis: number }

/**
 * Rule "fleet flight", the wait: a backoff from `waitBaseMillis` (a wake-up normally ends it sooner), never
 * beyond the instant the holder's lease lapses (then the lease is free to take), at least 1 ms.
 */
export const fleetWaitMillis = (
  waits: number,
  expiresInMillis: number,
  policy: FleetPolicy,
  random: number
): number =>
  Math.max(
    1,
    Math.min(
      backoffMillis(waits + 1, policy.waitBaseMillis, policy.waitMaxMillis, random),
      expiresInMillis + 1
    )
  )

/** Rule "fleet flight": what a flight does after looking at the shared store. */
export const decideFleet = (
  observation: FleetObservation,
  policy: FleetPolicy,
  random: number
): FleetDecision => {
  switch (observation._tag) {
    case "StoreDown":
      return { _tag: "Local" }
    case "Stored":
      return { _tag: "Adopt" }
    case "Acquired":
      return { _tag: "Fetch" }
    case "Held":
      return {
        _tag: "Wait",
        millis: fleetWaitMillis(observation.waits, observation.expiresInMillis, policy, random)
      }
  }
}

/** Rule "lease renewal": how often the holder renews a lease of `ttlMillis`. */
export const leaseRenewMillis = (ttlMillis: number): number => Math.max(1, Math.floor(ttlMillis / 3))

/** Rule "store outage": whether an operation's outcome (`ok`) starts or ends an outage (`down`: one is on). */
export const outageTransition = (down: boolean, ok: boolean): "Warn" | "Recovered" | "None" =>
  !down && !ok ? "Warn" : down && ok ? "Recovered" : "None"

/**
 * Rule "compare-and-invalidate": drop the cached token only if it is the one that was rejected. `same` compares
 * token values (the caller's equality, so this module never sees a token's value).
 */
export const shouldInvalidate = <Current, Rejected>(
  current: Current | undefined,
  rejected: Rejected,
  same: (current: Current, rejected: Rejected) => boolean
): boolean => current !== undefined && same(current, rejected)

/** Wall-clock changes smaller than this between two readings are drift or slewing, not a step. */
const clockStepThresholdMillis = 1_000

/**
 * Rule "clock steps": how far (ms, negative) the wall clock stepped back between two readings, given the time
 * that passed on each clock; 0 when it did not (a forward step is followed, see the rule).
 */
export const backwardStepMillis = (wallElapsed: number, monotonicElapsed: number): number => {
  const step = wallElapsed - monotonicElapsed
  return step < -clockStepThresholdMillis ? step : 0
}

/** How many times a request is replayed with a new token. */
export const maxReplays = 1

/** What a response says about the credential it carried (see `internal/classify.ts`). */
export type Verdict = "ok" | "expired" | "rejected" | "forbidden"

/** What to do once a response's verdict is known. */
export type AfterResponse = "Settle" | "InvalidateAndSettle" | "InvalidateAndReplay"

/**
 * Rule "replays": `replays` is how many times this request has been replayed already; `renewable` is false for
 * Basic credentials (nothing to renew); `replayable` is false for a body that could be sent only once.
 */
/**
 * Rule "replays", its first half: whether a verdict drops the token the request carried. Carried out the moment
 * the verdict is known, before anything else is awaited, so no other caller picks the token up in between.
 */
export const invalidates = (verdict: Verdict, renewable: boolean): boolean =>
  renewable && (verdict === "expired" || verdict === "rejected")

export const afterResponse = (
  verdict: Verdict,
  request: { readonly renewable: boolean; readonly replayable: boolean; readonly replays: number }
): AfterResponse => {
  if (!invalidates(verdict, request.renewable)) return "Settle"
  return request.replayable && request.replays < maxReplays ? "InvalidateAndReplay" : "InvalidateAndSettle"
}
