/**
 * Where credentials may travel. capauth follows redirects itself (or refuses them), so a fetch-based
 * `HttpClient` is told not to follow any: fetch strips only `Authorization` on a cross-origin redirect, never
 * Capillary's custom token header, and would carry a token endpoint's JSON body (key and secret) anywhere.
 */
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Option from "effect/Option"
import * as AuthHeaders from "../AuthHeaders.ts"

/** Credential and attribution headers: what must never travel to another origin. */
export const credentialHeaders: ReadonlyArray<string> = [
  AuthHeaders.names.oauthToken,
  AuthHeaders.names.authorization,
  AuthHeaders.names.attributionType,
  AuthHeaders.names.attributionCode,
  AuthHeaders.names.legacyTillCode,
  AuthHeaders.names.lookupType,
  AuthHeaders.names.lookup
]

/** How many redirects one call follows before it gives up. */
export const maxRedirects = 10

/** The redirect statuses a client may follow. */
export const redirectStatuses: ReadonlySet<number> = new Set([301, 302, 303, 307, 308])

/** Whether a status is a redirect (or a browser's opaque redirect, status 0, whose target cannot be read). */
export const isRedirect = (status: number): boolean => status === 0 || redirectStatuses.has(status)

/** Run `effect` with fetch-based clients set to `redirect: "manual"` (the caller's other `RequestInit` kept). */
export const withoutRedirects = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Effect.serviceOption(FetchHttpClient.RequestInit), (init) =>
    Effect.provideService(effect, FetchHttpClient.RequestInit, {
      ...Option.getOrUndefined(init),
      redirect: "manual"
    })
  )
