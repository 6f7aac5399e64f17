/**
 * An Effect `HttpClient` (`effect/http`) that talks to Capillary with credentials attached: the token header (or
 * Basic), JSON content type, default attribution. On expiry (HTTP 498, or a JSON body whose
 * `response.status.code` is 498, string or number) it invalidates the token the request carried, gets a new
 * one and replays the request once; a second expiry is `TokenExpired`, never a loop. A 401 likewise, then
 * `TokenRejected`. The caller can still read the whole body: the check never consumes it.
 *
 * @example
 * ```ts
 * import { CapillaryClient, CapillaryConfig } from "@capauth/core"
 * import { FetchHttpClient } from "effect/http"
 * import { Effect, Layer } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const client = yield* CapillaryClient.CapillaryClient
 *   const res = yield* client.get("/v1.1/customer/get?format=json&mobile=919999999999")
 *   return yield* res.json
 * })
 * const Live = CapillaryClient.layer.pipe(
 *   Layer.provide(CapillaryConfig.layer({ cluster: "eu", credentials: { key: "k", secret: "s" } })),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * Effect.runPromise(Effect.provide(program, Live))
 * ```
 * @since 0.1.0
 */

import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Headers from "effect/http/Headers"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as UrlParams from "effect/http/UrlParams"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import * as Stream from "effect/Stream"
import * as Err from "./AuthError.ts"
import * as AuthHeaders from "./AuthHeaders.ts"
import { CapillaryConfig } from "./CapillaryConfig.ts"
import * as Authorizer from "./internal/authorizer.ts"
import { parseJson, type Verdict, verdict, verdictError } from "./internal/classify.ts"
import * as TokenEndpoint from "./TokenEndpoint.ts"
import * as TokenManager from "./TokenManager.ts"

/** The authenticated client: relative URLs resolve against the configured base URL. */
export class CapillaryClient extends Context.Service<
  CapillaryClient,
  HttpClient.HttpClient.With<HttpClientError.HttpClientError | Err.AuthError>
>()("@capauth/core/CapillaryClient") {}

/** Attribute one request to a till or store, overriding the configured default. */
export const attribute =
  (attribution: AuthHeaders.Attribution) =>
  (request: HttpClientRequest.HttpClientRequest): HttpClientRequest.HttpClientRequest =>
    HttpClientRequest.setHeaders(request, {
      [AuthHeaders.names.attributionType]: attribution.type,
      [AuthHeaders.names.attributionCode]: attribution.code
    })

/** The header names Effect must redact when it logs or inspects headers. */
export const redactedHeaders: ReadonlyArray<string> = [AuthHeaders.names.oauthToken, "cap-api-access-token"]

const isJson = (response: HttpClientResponse.HttpClientResponse) =>
  (response.headers["content-type"] ?? "").toLowerCase().includes("json")

/**
 * Read the verdict of a response. Auth statuses decide alone; otherwise a JSON body is read once, judged, and
 * the caller gets the same response serving that text to every body accessor (`text`, `json`, `stream`, …).
 */
export const inspect = (
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<
  { verdict: Verdict; response: HttpClientResponse.HttpClientResponse },
  HttpClientError.HttpClientError
> => {
  const status = response.status
  if (status === 498 || status === 401 || status === 403 || !isJson(response)) {
    return Effect.succeed({ verdict: verdict(status, undefined), response })
  }
  return Effect.map(response.text, (text) => {
    const json = parseJson(text)
    return { verdict: verdict(status, json), response: peeked(response, text, json) }
  })
}

/**
 * The response with its body already read: everything else is the original (prototype delegation), the body
 * accessors serve the text, so no second web `Response` is built and the JSON is parsed once.
 */
const peeked = (
  response: HttpClientResponse.HttpClientResponse,
  text: string,
  json: unknown
): HttpClientResponse.HttpClientResponse => {
  const decodeError = (cause: unknown) =>
    new HttpClientError.HttpClientError({
      reason: new HttpClientError.DecodeError({ request: response.request, response, cause })
    })
  const bytes = () => new TextEncoder().encode(text)
  return Object.create(response, {
    text: { get: () => Effect.succeed(text) },
    json: {
      get: () =>
        json !== undefined || text === ""
          ? Effect.succeed(json)
          : Effect.try({ try: () => JSON.parse(text) as unknown, catch: decodeError })
    },
    arrayBuffer: { get: () => Effect.sync(() => bytes().buffer as ArrayBuffer) },
    stream: { get: () => Stream.suspend(() => Stream.succeed(bytes())) },
    urlParamsBody: {
      get: () => Effect.try({ try: () => UrlParams.fromInput(new URLSearchParams(text)), catch: decodeError })
    },
    formData: {
      get: () =>
        Effect.tryPromise({
          try: () => new Response(text, { headers: response.headers as Record<string, string> }).formData(),
          catch: decodeError
        })
    }
  }) as HttpClientResponse.HttpClientResponse
}

const hasAttribution = (request: HttpClientRequest.HttpClientRequest) =>
  request.headers[AuthHeaders.names.attributionType] !== undefined ||
  request.headers[AuthHeaders.names.attributionCode] !== undefined

/** Client settings that do not depend on where credentials come from. */
export type Settings = Authorizer.Settings

/**
 * An authenticated client whose tokens come from any `TokenManager` (e.g. one over a token broker in a
 * browser worker, or a custom `TokenSource`).
 */
export const fromTokenManager = (
  http: HttpClient.HttpClient,
  settings: Settings,
  tokens: TokenManager.Service
): HttpClient.HttpClient.With<HttpClientError.HttpClientError | Err.AuthError> =>
  make(http, settings, Authorizer.oauth(settings, tokens))

/** Wrap an `HttpClient` with Capillary auth. */
export const make = (
  http: HttpClient.HttpClient,
  config: Settings,
  authorizer: Authorizer.Authorizer
): HttpClient.HttpClient.With<HttpClientError.HttpClientError | Err.AuthError> => {
  const base = config.baseUrl.origin
  const send = (request: HttpClientRequest.HttpClientRequest) =>
    Effect.gen(function* () {
      const authorized = yield* authorizer.authorize(hasAttribution(request) ? null : undefined)
      const response = yield* http.execute(HttpClientRequest.setHeaders(request, authorized.headers))
      return { authorized, ...(yield* inspect(response)) }
    })

  const judged = (v: Verdict, response: HttpClientResponse.HttpClientResponse, renewed: boolean) => {
    const requestId = response.headers[AuthHeaders.names.requestId]
    const error = verdictError(v, { requestId, status: response.status }, renewed, config.mapForbidden)
    return error === undefined ? Effect.succeed(response) : Effect.fail(error)
  }

  return HttpClient.makeWith<never, never, HttpClientError.HttpClientError | Err.AuthError, never>(
    (requestEffect) =>
      Effect.flatMap(requestEffect, (request) =>
        Effect.flatMap(send(request), (first) => {
          const retry = (first.verdict === "expired" || first.verdict === "rejected") && authorizer.renewable
          if (!retry || request.body._tag === "Stream") return judged(first.verdict, first.response, false)
          return Effect.andThen(
            authorizer.invalidate(first.authorized),
            Effect.flatMap(send(request), (second) => judged(second.verdict, second.response, true))
          )
        })
      ),
    (request) =>
      Effect.succeed(request.url.startsWith("/") ? HttpClientRequest.prependUrl(request, base) : request)
  )
}

/** A `TokenManager` for the configured credentials (for a till, one that explains there is no token). */
export const tokenManagerLayer: Layer.Layer<
  TokenManager.TokenManager,
  never,
  HttpClient.HttpClient | CapillaryConfig
> = Layer.effect(
  TokenManager.TokenManager,
  Effect.gen(function* () {
    const config = yield* CapillaryConfig
    if (config.credentials._tag === "Till") return noTokenForTill
    const source = yield* TokenEndpoint.source(config.baseUrl, config.credentials, {
      timeout: config.tokenTimeout
    })
    return yield* TokenManager.make({ source, refresh: config.refresh, store: config.tokenStore })
  })
)

const tillHasNoToken = /* @__PURE__ */ new Err.ConfigError({
  field: "credentials",
  message: "these credentials are a till (Basic auth): there is no OAuth token"
})
const noTokenForTill: TokenManager.Service = {
  get: /* @__PURE__ */ Effect.fail(tillHasNoToken),
  refresh: /* @__PURE__ */ Effect.fail(tillHasNoToken),
  invalidate: () => Effect.succeed(false),
  events: Stream.empty,
  subscribe: /* @__PURE__ */ Effect.flatMap(PubSub.unbounded<TokenManager.TokenEvent>(), PubSub.subscribe),
  stats: /* @__PURE__ */ Effect.succeed({
    fetched: 0,
    refreshed: 0,
    reused: 0,
    invalidated: 0,
    failed: 0,
    requests: 0
  }),
  unsafeFresh: () => undefined
}

/** The Effect-side redaction of the token header in logs and inspected headers. */
export const layerRedactHeaders: Layer.Layer<never> = /* @__PURE__ */ Layer.effect(
  Headers.CurrentRedactedNames,
  Effect.map(Headers.CurrentRedactedNames, (names) => [...names, ...redactedHeaders])
)

/**
 * The authenticated client and its `TokenManager`, from `CapillaryConfig` and any `HttpClient`
 * (FetchHttpClient in browsers and Deno, NodeHttpClient.layerUndici in Node).
 */
export const layer: Layer.Layer<
  CapillaryClient | TokenManager.TokenManager,
  never,
  HttpClient.HttpClient | CapillaryConfig
> = /* @__PURE__ */ Layer.effect(
  CapillaryClient,
  Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient
    const config = yield* CapillaryConfig
    const tokens = yield* TokenManager.TokenManager
    return make(http, config, Authorizer.make(config, tokens))
  })
).pipe(Layer.provideMerge(tokenManagerLayer), Layer.merge(layerRedactHeaders))
