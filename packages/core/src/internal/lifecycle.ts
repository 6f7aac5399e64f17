/**
 * The token lifecycle, rule by rule. Every rule is a pure function of plain values (no fibers, no clock, no
 * randomness of its own: `random` in [0, 1) and `now` in ms are arguments), table-tested in
 * `test/lifecycle.test.ts`. `TokenManager` and the two clients only carry out what these decide.
 *
 * | rule | in words | function |
 * | --- | --- | --- |
 * | lifetime | the server's `ttlSeconds`, cross-checked with the JWT's `exp - iat`; the shorter wins; the JWT's absolute `exp` is never compared with our clock | `lifetimeMillis` |
 * | hard window | a token is *stale* (never handed out) from `expiresAt - min(expiryMargin, 10 % of lifetime)` | `timeline` |
 * | soft window | refresh ahead from `refreshAtFraction` (≥ 0.5) of the lifetime, minus a random jitter of up to `jitterFraction`, never before half the lifetime, never after stale | `timeline` |
 * | what a caller gets | fresh: the token; soft window: the token, and one background flight unless one runs or a failure cools down; stale or none: join the one flight, start it if none, fail at once while a failure cools down | `decide` |
 * | explicit refresh | join a running flight; fail at once during the cooldown of a *permanent* failure; else start one | `decideRefresh` |
 * | backoff | `base · 2^(attempt-1)`, capped at `max`, "full jitter" in the upper half | `backoffMillis` |
 * | retries | only transient errors, at most `maxAttempts` per flight; `Retry-After` is honoured (never shortened), and one longer than the cap ends the flight | `retryDelay` |
 * | cooldown | after a failed flight, transient: the backoff for the count of consecutive failures (or `Retry-After`, if longer); permanent (bad credentials, access denied): `permanentCooldown` | `cooldownMillis` |
 * | adopting a stored token | a token another process left in the store is taken if it is not stale and newer than ours | `adoptable` |
 * | compare-and-invalidate | a rejection (498, 401) drops the cached token only if it is the very token that was rejected | `shouldInvalidate` |
 * | replays | a response saying "expired" or "rejected" invalidates the token it carried; the request is replayed with a new token at most `maxReplays` (1) times, and never when its body could be sent only once | `afterResponse` |
 */
import type { AuthError } from "../AuthError.ts"
import { isTransient } from "../AuthError.ts"

/** When to refresh ahead and when a token is too close to expiry to use. */
export interface RefreshPolicy {
  /** Refresh-ahead starts at this fraction of the lifetime (default 0.8). Never below 0.5. */
  readonly refreshAtFraction: number
  /** Up to this fraction of the lifetime is taken off `refreshAt` at random, so a fleet spreads out (default 0.05). */
  readonly jitterFraction: number
  /** A token this close to expiry (ms) is not handed out (default 30 s, at most 10 % of the lifetime). */
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
  | { readonly _tag: "Fail"; readonly error: AuthError }

const coolingDown = (state: State<Timeline, unknown>, now: number) =>
  state.failure !== undefined && now < state.failure.until

/** Rule "what a caller gets". */
export const decide = <Token extends Timeline, Flight>(
  state: State<Token, Flight>,
  now: number
): Decision<Token, Flight> => {
  const { token, flight } = state
  if (token !== undefined && now < token.refreshAt) return { _tag: "Serve", token }
  if (token !== undefined && now < token.staleAt) {
    return flight !== undefined || coolingDown(state, now)
      ? { _tag: "Serve", token }
      : { _tag: "ServeAndRefresh", token }
  }
  if (flight !== undefined) return { _tag: "Join", flight }
  if (coolingDown(state, now)) return { _tag: "Fail", error: state.failure!.error }
  return { _tag: "StartAndJoin" }
}

/** Rule "explicit refresh": a caller asks for a new token now. */
export const decideRefresh = <Flight>(
  state: State<Timeline, Flight>,
  now: number
): Exclude<Decision<never, Flight>, { readonly _tag: "Serve" | "ServeAndRefresh" }> => {
  if (state.flight !== undefined) return { _tag: "Join", flight: state.flight }
  const failure = state.failure
  if (failure !== undefined && now < failure.until && !isTransient(failure.error)) {
    return { _tag: "Fail", error: failure.error }
  }
  return { _tag: "StartAndJoin" }
}

/** Rule "backoff": `base * 2^(attempt-1)`, capped, with "full jitter" in its upper half. */
export const backoffMillis = (attempt: number, baseMillis: number, maxMillis: number, random: number) => {
  const ceiling = Math.min(maxMillis, baseMillis * 2 ** Math.max(0, attempt - 1))
  return Math.round(ceiling / 2 + (random * ceiling) / 2)
}

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
  if (!isTransient(error) || attempt >= policy.maxAttempts) return undefined
  const computed = backoffMillis(attempt, policy.baseMillis, policy.maxMillis, random)
  const asked = retryAfterOf(error)
  if (asked === undefined) return computed
  return asked > policy.maxMillis ? undefined : Math.max(asked, computed)
}

/** Rule "cooldown": how long the failure of a flight is remembered (callers fail at once meanwhile). */
export const cooldownMillis = (
  error: AuthError,
  consecutiveFailures: number,
  policy: BackoffPolicy,
  permanentCooldown: number,
  random: number
): number =>
  isTransient(error)
    ? Math.max(
        backoffMillis(consecutiveFailures, policy.baseMillis, policy.maxMillis, random),
        retryAfterOf(error) ?? 0
      )
    : permanentCooldown

/** Rule "adopting a stored token": not stale at `now`, and newer than the one we hold. */
export const adoptable = (stored: Timeline, current: Timeline | undefined, now: number): boolean =>
  now < stored.staleAt && (current === undefined || stored.obtainedAt > current.obtainedAt)

/**
 * Rule "compare-and-invalidate": drop the cached token only if it is the one that was rejected. `same` compares
 * token values (the caller's equality, so this module never sees a token's value).
 */
export const shouldInvalidate = <Current, Rejected>(
  current: Current | undefined,
  rejected: Rejected,
  same: (current: Current, rejected: Rejected) => boolean
): boolean => current !== undefined && same(current, rejected)

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
export const afterResponse = (
  verdict: Verdict,
  request: { readonly renewable: boolean; readonly replayable: boolean; readonly replays: number }
): AfterResponse => {
  if ((verdict !== "expired" && verdict !== "rejected") || !request.renewable) return "Settle"
  return request.replayable && request.replays < maxReplays ? "InvalidateAndReplay" : "InvalidateAndSettle"
}
