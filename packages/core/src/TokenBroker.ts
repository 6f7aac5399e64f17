/**
 * A token broker for browser apps, runtime-neutral: an endpoint of YOUR server that hands a short-lived
 * Capillary access token (never the client secret) to callers your app authorises. A fetch-style handler
 * (`(Request) => Promise<Response>`) for Hono, Next.js route handlers, `Deno.serve`, Bun and workers; the Node
 * adapter adds a `node:http` handler. The other side lives here too: `source` is the `TokenSource` a browser
 * worker uses to ask a broker, and `providerSource` one over your own function.
 *
 * Answers `GET` and `POST` (`HEAD`/others: 405). Every answer carries `Cache-Control: no-store`,
 * `Pragma: no-cache` and `Content-Type: application/json`, and uses the envelope of Capillary's own token
 * endpoint, so a browser can decode it with the same code:
 *
 * | case | status | body |
 * | --- | --- | --- |
 * | authorised | 200 | `{"data":{"accessToken":"…","ttlSeconds":N},"errors":null}` (`N` = whole seconds left, floored) |
 * | `authorize` said no | 403 | `{"data":null,"errors":[{"code":403,"message":"…"}]}` |
 * | `authorize` threw | 500 | errors envelope, code 500 (fails closed: no token) |
 * | the upstream token request failed | `AuthError.brokerStatus`: 503 if it may pass (`ServiceUnavailable`, `RateLimited`, network), 502 if Capillary refused (`InvalidCredentials`, `AccessDenied`, `MalformedResponse`, a refused redirect, ...), 500 for a misconfigured or closed client (`ConfigError`) | errors envelope with the error tag and request id; `Retry-After` when known |
 *
 * Error bodies hold only capauth's error messages (which never contain a secret or a token) and the
 * `X-Cap-Requestid` of the failed upstream call, for Capillary support. CORS is left to your app.
 *
 * @example
 * ```ts
 * import { TokenBroker } from "@capauth/core"
 * import type { CapillaryPromiseClient } from "@capauth/core/PromiseClient"
 *
 * declare const cap: CapillaryPromiseClient // createCapillaryClient() of @capauth/node or @capauth/deno
 * const broker = TokenBroker.make({
 *   client: cap,
 *   authorize: (request) => request.headers.get("cookie")?.includes("session=") ?? false // your session check
 * })
 * export const POST = broker.fetch // e.g. a Next.js route handler; or Deno.serve(broker.fetch)
 * ```
 * @module
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Redacted from "effect/Redacted"
import {
  type AuthError,
  brokerStatus,
  ConfigError,
  isAuthError,
  TransportError,
  toWire
} from "./AuthError.ts"
import type { CapillaryPromiseClient } from "./PromiseClient.ts"
import * as TokenEndpoint from "./TokenEndpoint.ts"
import type { TokenSource } from "./TokenSource.ts"

/**
 * Request header by which a worker reports the token Capillary refused: its `AccessToken.fingerprint`
 * (SHA-256, 32 hex characters), never the token itself.
 *
 * @since 0.1.0
 * @category constants
 */
export const rejectedTokenHeader = "x-capauth-rejected-token"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The server-side client whose token is handed out (`createCapillaryClient` of any runtime adapter). */
  readonly client: Pick<CapillaryPromiseClient, "token" | "invalidate">
  /** Your app's decision: may the caller of this request have a token? Throwing counts as "no" (500). */
  readonly authorize: (request: Request) => boolean | Promise<boolean>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TokenBroker {
  /** Fetch-style handler. Never rejects: every failure is an answer. */
  readonly fetch: (request: Request) => Promise<Response>
}

const baseHeaders = {
  "cache-control": "no-store",
  pragma: "no-cache",
  "content-type": "application/json"
} as const

const answer = (status: number, body: unknown, extra?: Record<string, string>): Response =>
  new Response(JSON.stringify(body), { status, headers: { ...baseHeaders, ...extra } })

const refusal = (
  status: number,
  message: string,
  extra?: Record<string, string>,
  detail?: object
): Response => answer(status, { data: null, errors: [{ code: status, message, ...detail }] }, extra)

const upstreamFailure = (error: unknown): Response => {
  if (!isAuthError(error)) return refusal(500, "token broker failed")
  const extra: Record<string, string> = {}
  const retryAfter = error._tag === "RateLimited" ? error.retryAfterMillis : undefined
  if (retryAfter !== undefined && retryAfter > 0) extra["retry-after"] = String(Math.ceil(retryAfter / 1000))
  const detail: Record<string, unknown> = { tag: error._tag }
  if (error.requestId !== undefined) detail.requestId = error.requestId
  return refusal(brokerStatus(error), `upstream token request failed: ${error.message}`, extra, detail)
}

const fingerprintPattern = /^[0-9a-f]{32}$/

/**
 * Build a broker over a client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): TokenBroker => ({
  fetch: async (request) => {
    if (request.method !== "GET" && request.method !== "POST") {
      return refusal(405, `method ${request.method} not allowed: use GET or POST`, { allow: "GET, POST" })
    }
    let allowed: boolean
    try {
      allowed = (await options.authorize(request)) === true
    } catch {
      return refusal(500, "authorization check failed")
    }
    if (!allowed) return refusal(403, "not authorised to obtain a Capillary token")
    try {
      // A worker whose token Capillary refused names it by fingerprint; drop it only if it is still ours
      // (compare-and-invalidate), so a stale report never throws away a fresh token.
      const rejected = request.headers.get(rejectedTokenHeader)
      if (rejected !== null && fingerprintPattern.test(rejected)) {
        await options.client.invalidate({ fingerprint: rejected })
      }
      const info = await options.client.token()
      const ttlSeconds = Math.max(0, Math.floor(info.remainingMillis / 1000))
      return answer(200, { data: { accessToken: Redacted.value(info.value), ttlSeconds }, errors: null })
    } catch (error) {
      return upstreamFailure(error)
    }
  }
})

/**
 * A `TokenSource` over a broker speaking Capillary's token envelope (`make` above):
 * `{"data":{"accessToken","ttlSeconds"},"errors":null}`, decoded by core's `TokenEndpoint`. When `rejected()`
 * names a token the API refused (498/401), the request carries its fingerprint in `x-capauth-rejected-token`, so
 * a broker that caches server-side drops that token (if still current) instead of handing it back.
 *
 * @example
 * ```ts
 * import { TokenBroker, TokenManager } from "@capauth/core"
 * import { Layer } from "effect"
 * import * as FetchHttpClient from "effect/http/FetchHttpClient"
 *
 * const tokens = TokenManager.layer({ source: TokenBroker.source(new URL("https://app.example/capillary/token")) })
 *   .pipe(Layer.provide(FetchHttpClient.layer))
 * ```
 * @since 0.1.0
 * @category token sources
 */
export const source = (
  url: URL,
  options?: {
    readonly headers?: Readonly<Record<string, string>> | undefined
    readonly timeoutMillis?: number | undefined
    readonly rejected?: (() => string | undefined) | undefined
  }
): Effect.Effect<TokenSource, never, HttpClient.HttpClient> =>
  Effect.map(HttpClient.HttpClient, (http) => {
    const timeout = Duration.millis(options?.timeoutMillis ?? 10_000)
    const request = HttpClientRequest.post(url).pipe(
      HttpClientRequest.acceptJson,
      HttpClientRequest.setHeaders(options?.headers ?? {})
    )
    const fetch = Effect.suspend(() => {
      const rejected = options?.rejected?.()
      const outgoing =
        rejected === undefined ? request : HttpClientRequest.setHeader(request, rejectedTokenHeader, rejected)
      return TokenEndpoint.fetchToken(http, () => outgoing, timeout, url.origin)
    })
    return { id: `broker:${url.origin}${url.pathname}`, fetch }
  })

/**
 * Your own way to get a token: resolve `{ accessToken, ttlSeconds }`.
 *
 * @since 0.1.0
 * @category models
 */
export type TokenProvider = () => Promise<{ readonly accessToken: string; readonly ttlSeconds: number }>

/**
 * A `TokenSource` over your own function. A rejection that is not a capauth error becomes `TransportError`.
 *
 * @example
 * ```ts
 * import { TokenBroker } from "@capauth/core"
 *
 * const source = TokenBroker.providerSource(async () => {
 *   const res = await fetch("/my/token", { credentials: "include" })
 *   return (await res.json()) as { accessToken: string; ttlSeconds: number }
 * })
 * ```
 * @since 0.1.0
 * @category token sources
 */
export const providerSource = (provider: TokenProvider): TokenSource => ({
  id: "provider",
  fetch: Effect.gen(function* () {
    const sentAt = yield* Clock.currentTimeMillis
    const issued = yield* Effect.tryPromise({
      try: provider,
      catch: (e): AuthError =>
        isAuthError(e)
          ? e
          : new TransportError({
              reason: "Network",
              message: `the token provider failed: ${toWire(e).message}`
            })
    })
    if (typeof issued?.accessToken !== "string" || !(issued.ttlSeconds > 0)) {
      return yield* Effect.fail(
        new ConfigError({
          message: "the token provider must resolve { accessToken: string, ttlSeconds: number > 0 }"
        })
      )
    }
    return { value: Redacted.make(issued.accessToken), sentAt, ttlSeconds: issued.ttlSeconds }
  })
})
