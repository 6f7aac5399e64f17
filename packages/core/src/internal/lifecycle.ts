/**
 * The token lifecycle as a pure decision: given what the manager holds and the time, what does a caller get?
 *
 *   no token, or stale (past staleAt)  -> wait for the (single) flight; start it unless one is running
 *                                        or a remembered failure is still cooling down (then fail at once)
 *   refresh-ahead (refreshAt..staleAt) -> the current token now; start one background flight unless one is
 *                                        running or a failure is cooling down
 *   fresh                              -> the current token now
 */
import type { AccessToken } from "../AccessToken.ts"
import type { AuthError } from "../AuthError.ts"

export interface State<Flight> {
  readonly token: AccessToken | undefined
  /** The one token request in flight, shared by every waiting caller. */
  readonly flight: Flight | undefined
  /** The last failure, remembered until `until` so a stampede of callers makes one request. */
  readonly failure: { readonly error: AuthError; readonly until: number } | undefined
}

export type Decision<Flight> =
  | { readonly _tag: "Serve"; readonly token: AccessToken }
  | { readonly _tag: "ServeAndRefresh"; readonly token: AccessToken }
  | { readonly _tag: "Join"; readonly flight: Flight }
  | { readonly _tag: "StartAndJoin" }
  | { readonly _tag: "Fail"; readonly error: AuthError }

const coolingDown = <F>(state: State<F>, now: number) =>
  state.failure !== undefined && now < state.failure.until

export const decide = <Flight>(state: State<Flight>, now: number): Decision<Flight> => {
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

/** Jittered exponential backoff: `base * 2^(attempt-1)`, capped, with "full jitter" in its upper half. */
export const backoffMillis = (attempt: number, baseMillis: number, maxMillis: number, random: number) => {
  const ceiling = Math.min(maxMillis, baseMillis * 2 ** Math.max(0, attempt - 1))
  return Math.round(ceiling / 2 + (random * ceiling) / 2)
}
