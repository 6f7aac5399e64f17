/**
 * Where credentials may travel. capauth follows redirects itself (or refuses them), so a fetch-based
 * `HttpClient` is told not to follow any: fetch strips only `Authorization` on a cross-origin redirect, never
 * Capillary's custom token header, and would carry a token endpoint's JSON body (key and secret) anywhere.
 */
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Option from "effect/Option"
import { TransportError } from "../AuthError.ts"
import * as AuthHeaders from "../AuthHeaders.ts"
import type { CrossOriginRedirect } from "../CapillaryConfig.ts"

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
const maxRedirects = 10

/** The redirect statuses a client may follow. */
const redirectStatuses: ReadonlySet<number> = new Set([301, 302, 303, 307, 308])

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

/**
 * Run one of capauth's own requests (token, Capture, Auth Engine, broker): no redirect followed, and
 * `cache: "no-store"` for a fetch-based client, so a framework that caches fetch (Next.js) never hands back a
 * stored token response.
 */
export const ownRequest = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Effect.serviceOption(FetchHttpClient.RequestInit), (init) =>
    Effect.provideService(effect, FetchHttpClient.RequestInit, {
      ...Option.getOrUndefined(init),
      redirect: "manual",
      cache: "no-store"
    })
  )

/** What to do with a response that may be a redirect, by capauth's rules (the same for the facade and middleware). */
export type Hop =
  /** Not a redirect to follow: hand the response to the caller. */
  | { readonly _tag: "Return" }
  | { readonly _tag: "Refuse"; readonly message: string }
  /** Send again to `url`; `asGet`: as a GET without a body; `strip`: drop `credentialHeaders` from now on. */
  | { readonly _tag: "Follow"; readonly url: string; readonly asGet: boolean; readonly strip: boolean }

/**
 * The redirect rule. Credentials stay on `origin`: a redirect within it is followed with them; one that leaves
 * it (an `https:` to `http:` downgrade always does) is refused, or followed without them under "strip", and
 * once stripped they are never put back. 303, and 301/302 after a POST, turn into a GET without a body (as
 * fetch does); any other redirect would resend the body, which a stream cannot be.
 */
export const nextHop = (step: {
  readonly status: number
  readonly location: string | null | undefined
  /** The URL that answered. */
  readonly from: string
  readonly origin: string
  readonly method: string
  readonly hops: number
  /** Whether this request still carries credentials. */
  readonly credentialed: boolean
  readonly crossOrigin: CrossOriginRedirect
  readonly streamBody: boolean
}): Hop => {
  if (!isRedirect(step.status)) return { _tag: "Return" }
  if (step.status === 0) {
    return {
      _tag: "Refuse",
      message: "the server answered a redirect whose target cannot be read here; not followed"
    }
  }
  if (step.location === null || step.location === undefined) return { _tag: "Return" }
  if (step.hops >= maxRedirects) return { _tag: "Refuse", message: `more than ${maxRedirects} redirects` }
  const next = new URL(step.location, step.from)
  const strip = step.credentialed && next.origin !== step.origin
  if (strip && step.crossOrigin === "refuse") {
    return {
      _tag: "Refuse",
      message: `refused to follow a redirect from ${step.origin} to ${next.origin} with credentials (set crossOriginRedirect: "strip" to follow it without them)`
    }
  }
  const method = step.method.toUpperCase()
  const asGet =
    step.status === 303
      ? method !== "HEAD"
      : (step.status === 301 || step.status === 302) && method === "POST"
  if (!asGet && step.streamBody) {
    return {
      _tag: "Refuse",
      message: "redirected, but the request body is a stream that was already sent: not replayed"
    }
  }
  return { _tag: "Follow", url: next.href, asGet, strip }
}

/** The error for a refused redirect: not transient (retrying meets the same redirect). */
export const redirectRefused = (
  status: number,
  requestId: string | undefined,
  message: string
): TransportError => new TransportError({ reason: "Redirect", status, requestId, message })
