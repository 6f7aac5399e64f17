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
 * @module
 * @since 0.1.0
 */

import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Headers from "effect/http/Headers"
import * as HttpBody from "effect/http/HttpBody"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as UrlParams from "effect/http/UrlParams"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import type * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Err from "./AuthError.ts"
import * as AuthHeaders from "./AuthHeaders.ts"
import { CapillaryConfig } from "./CapillaryConfig.ts"
import * as Authorizer from "./internal/authorizer.ts"
import {
  isAuthStatus,
  isJsonDocument,
  readWhole,
  type Verdict,
  verdictError,
  verdictOf,
  type WholeBody
} from "./internal/classify.ts"
import * as Lifecycle from "./internal/lifecycle.ts"
import { overlay } from "./internal/overlay.ts"
import { peekLimitBytes, peekStream } from "./internal/peek.ts"
import {
  credentialHeaders,
  isRedirect,
  nextHop,
  redirectRefused,
  withoutRedirects
} from "./internal/transport.ts"
import * as TokenEndpoint from "./TokenEndpoint.ts"
import * as TokenManager from "./TokenManager.ts"
import * as TokenSource from "./TokenSource.ts"

/**
 * The authenticated client: relative URLs resolve against the configured base URL.
 *
 * @since 0.1.0
 * @category services
 */
export class CapillaryClient extends Context.Service<
  CapillaryClient,
  HttpClient.HttpClient.With<HttpClientError.HttpClientError | Err.AuthError>
>()("@capauth/core/CapillaryClient") {}

/**
 * Attribute one request to a till or store, overriding the configured default.
 *
 * @since 0.1.0
 * @category combinators
 */
export const attribute =
  (attribution: AuthHeaders.Attribution) =>
  (request: HttpClientRequest.HttpClientRequest): HttpClientRequest.HttpClientRequest =>
    HttpClientRequest.setHeaders(request, {
      [AuthHeaders.names.attributionType]: attribution.type,
      [AuthHeaders.names.attributionCode]: attribution.code
    })

/**
 * The header names Effect must redact when it logs or inspects headers.
 *
 * @since 0.1.0
 * @category constants
 */
export const redactedHeaders: ReadonlyArray<string> = [AuthHeaders.names.oauthToken, "cap-api-access-token"]

/**
 * Read the verdict of a response. Auth statuses decide alone; otherwise a JSON body's first bytes (at most
 * `peekLimitBytes`, 64 KiB) are scanned for the envelope code, and the caller gets a response streaming exactly
 * the bytes the server sent: nothing is decoded, re-encoded or held.
 *
 * @since 0.1.0
 * @category utils
 */
export const inspect = (
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<
  { verdict: Verdict; response: HttpClientResponse.HttpClientResponse },
  HttpClientError.HttpClientError
> => {
  const status = response.status
  if (isAuthStatus(status)) return Effect.succeed({ verdict: verdictOf(status, undefined), response })
  const headers = response.headers // once: a client may rebuild them on every access
  if (!isJsonDocument(headers["content-type"])) return Effect.succeed({ verdict: "ok" as const, response })
  const decodeError = (cause: unknown) =>
    new HttpClientError.HttpClientError({
      reason: new HttpClientError.DecodeError({ request: response.request, response, cause })
    })
  // A small, unencoded JSON body of known length is read whole and served from the same response (no web
  // stream round trip on the warm path). Anything else streams through the peek.
  const length = Number(headers["content-length"] ?? Number.NaN)
  if (length <= peekLimitBytes && headers["content-encoding"] === undefined) {
    return Effect.map(response.arrayBuffer, (buffer) => {
      const bytes = new Uint8Array(buffer)
      const whole = readWhole(bytes)
      return {
        verdict: verdictOf(status, whole.code),
        response: servedFrom(response, bufferedOverrides, {
          headers,
          bytes,
          whole,
          decodeError
        })
      }
    })
  }
  return Effect.map(peekStream(response.stream), (peeked) => ({
    verdict: verdictOf(status, peeked.code),
    response: servedFrom(response, streamedOverrides, {
      headers,
      stream: peeked.stream,
      decodeError
    })
  }))
}

/** What a response served by capauth holds besides its original: the headers read once, and its body. */
interface Served {
  readonly headers: Headers.Headers
  readonly decodeError: (cause: unknown) => HttpClientError.HttpClientError
}
/** A body read whole: its bytes, and the text and parse the check made of them. */
interface Held extends Served {
  readonly bytes: Uint8Array<ArrayBuffer>
  readonly whole: WholeBody
}
/** A body that went through the peek: the very same chunks, still streaming. */
interface Peeked extends Served {
  readonly stream: Stream.Stream<Uint8Array, HttpClientError.HttpClientError>
}
const held = Symbol("capauth/held")
type With<B> = HttpClientResponse.HttpClientResponse & { readonly [held]: B }

/**
 * What both kinds share (one getter each, no closures per response): the headers from one read (a client may
 * rebuild them on every access, as undici's does), and the readers defined by the body's own `text` and
 * `arrayBuffer`, which each kind supplies.
 */
const servedOverrides: PropertyDescriptorMap = {
  headers: {
    get(this: With<Served>) {
      return this[held].headers
    }
  },
  urlParamsBody: {
    get(this: With<Served>) {
      const { decodeError } = this[held]
      return Effect.flatMap(this.text, (text) =>
        Effect.try({ try: () => UrlParams.fromInput(new URLSearchParams(text)), catch: decodeError })
      )
    }
  },
  formData: {
    get(this: With<Served>) {
      const { headers, decodeError } = this[held]
      return Effect.flatMap(this.arrayBuffer, (buffer) =>
        Effect.tryPromise({
          try: () => new Response(buffer, { headers: headers as Record<string, string> }).formData(),
          catch: decodeError
        })
      )
    }
  }
}

/** A body read whole: served from its bytes, `json` from the parse the check already made. */
const bufferedOverrides: PropertyDescriptorMap = {
  ...servedOverrides,
  text: {
    get(this: With<Held>) {
      return Effect.succeed(this[held].whole.text)
    }
  },
  json: {
    get(this: With<Held>) {
      const { whole, decodeError } = this[held]
      return whole.json !== undefined
        ? Effect.succeed(whole.json as Schema.Json)
        : Effect.try({ try: () => JSON.parse(whole.text) as Schema.Json, catch: decodeError })
    }
  },
  arrayBuffer: {
    get(this: With<Held>) {
      return Effect.succeed(this[held].bytes.buffer)
    }
  },
  stream: {
    get(this: With<Held>) {
      return Stream.succeed(this[held].bytes)
    }
  }
}

/** A peeked body: every reader reads the peeked stream. */
const streamedOverrides: PropertyDescriptorMap = {
  ...servedOverrides,
  stream: {
    get(this: With<Peeked>) {
      return this[held].stream
    }
  },
  arrayBuffer: {
    get(this: With<Peeked>) {
      return Effect.map(Stream.runCollect(this[held].stream), (chunks) => {
        let length = 0
        for (const chunk of chunks) length += chunk.byteLength
        const bytes = new Uint8Array(length)
        let at = 0
        for (const chunk of chunks) {
          bytes.set(chunk, at)
          at += chunk.byteLength
        }
        return bytes.buffer
      })
    }
  },
  text: {
    get(this: With<Peeked>) {
      return Effect.map(this.arrayBuffer, (buffer) => new TextDecoder().decode(buffer))
    }
  },
  json: {
    get(this: With<Peeked>) {
      const { decodeError } = this[held]
      return Effect.flatMap(this.text, (text) =>
        Effect.try({
          try: () => (text === "" ? null : (JSON.parse(text) as Schema.Json)),
          catch: decodeError
        })
      )
    }
  }
}

/** The same response with its body served from what capauth read or peeked (`held`), through `overlay`. */
const servedFrom = (
  response: HttpClientResponse.HttpClientResponse,
  overrides: PropertyDescriptorMap,
  body: Held | Peeked
): HttpClientResponse.HttpClientResponse => {
  Object.defineProperty(response, held, { value: body, writable: true })
  return overlay(response, overrides)
}

const hasAttribution = (request: HttpClientRequest.HttpClientRequest) =>
  request.headers[AuthHeaders.names.attributionType] !== undefined ||
  request.headers[AuthHeaders.names.attributionCode] !== undefined

/**
 * Client settings that do not depend on where credentials come from.
 *
 * @since 0.1.0
 * @category models
 */
export type Settings = Authorizer.Settings

/**
 * An authenticated client whose tokens come from any `TokenManager` (e.g. one over a token broker in a
 * browser worker, or a custom `TokenSource`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromTokenManager = (
  http: HttpClient.HttpClient,
  settings: Settings,
  tokens: TokenManager.Service
): HttpClient.HttpClient.With<HttpClientError.HttpClientError | Err.AuthError> =>
  make(http, settings, Authorizer.oauth(settings, tokens))

/**
 * Wrap an `HttpClient` with Capillary auth.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  http: HttpClient.HttpClient,
  config: Settings,
  authorizer: Authorizer.Authorizer
): HttpClient.HttpClient.With<HttpClientError.HttpClientError | Err.AuthError> => {
  const base = config.baseUrl.origin
  const crossOrigin = config.crossOriginRedirect ?? "refuse"
  interface Sent {
    readonly authorized: Authorizer.Authorized
    readonly verdict: Verdict
    readonly response: HttpClientResponse.HttpClientResponse
  }

  /** Headers for one request: at once when a fresh token is cached (the warm path), else after the flight. */
  const authorize = (attribution: Authorizer.AttributionChoice) =>
    Effect.suspend(() => {
      const cached = authorizer.unsafeAuthorize(attribution)
      return cached !== undefined ? Effect.succeed(cached) : authorizer.authorize(attribution)
    })

  const send = (
    request: HttpClientRequest.HttpClientRequest
  ): Effect.Effect<Sent, HttpClientError.HttpClientError | Err.AuthError> =>
    Effect.flatMap(authorize(hasAttribution(request) ? null : undefined), (authorized) =>
      Effect.flatMap(follow(HttpClientRequest.setHeaders(request, authorized.headers), 0, true), (response) =>
        Effect.flatMap(inspect(response), (inspected) => {
          const sent: Sent = { authorized, verdict: inspected.verdict, response: inspected.response }
          // Drop a refused token at once (`Lifecycle.invalidates`), before anything else runs: for HTTP 498/401
          // `inspect` has not read the body (the status line decides), for a body code it stopped at the code.
          return Lifecycle.invalidates(inspected.verdict, authorizer.renewable)
            ? Effect.as(authorizer.invalidate(authorized), sent)
            : Effect.succeed(sent)
        })
      )
    )

  /** Follow redirects by capauth's rules (`nextHop`): credentials stay on the base origin. */
  const follow = (
    request: HttpClientRequest.HttpClientRequest,
    hops: number,
    credentialed: boolean
  ): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError | Err.AuthError> =>
    Effect.flatMap(withoutRedirects(http.execute(request)), (response) => {
      if (!isRedirect(response.status)) return Effect.succeed(response)
      const hop = nextHop({
        status: response.status,
        location: response.headers.location,
        from: request.url,
        origin: base,
        method: request.method,
        hops,
        credentialed,
        crossOrigin,
        streamBody: request.body._tag === "Stream"
      })
      if (hop._tag === "Return") return Effect.succeed(response)
      if (hop._tag === "Refuse")
        return Effect.fail(
          redirectRefused(response.status, response.headers[AuthHeaders.names.requestId], hop.message)
        )
      let next = HttpClientRequest.setUrl(request, hop.url)
      if (hop.strip) for (const name of credentialHeaders) next = HttpClientRequest.removeHeader(next, name)
      if (hop.asGet) {
        next = HttpClientRequest.removeHeader(
          HttpClientRequest.setBody(HttpClientRequest.setMethod(next, "GET"), HttpBody.empty),
          "content-type"
        )
      }
      return follow(next, hops + 1, credentialed && !hop.strip)
    })

  const judged = (v: Verdict, response: HttpClientResponse.HttpClientResponse, renewed: boolean) => {
    if (v === "ok") return Effect.succeed(response)
    const requestId = response.headers[AuthHeaders.names.requestId]
    const error = verdictError(v, { requestId, status: response.status }, renewed, config.mapForbidden)
    return error === undefined ? Effect.succeed(response) : Effect.fail(error)
  }

  /** Carry out `Lifecycle.afterResponse`: settle, or replay (the refused token was dropped already, in `send`). */
  const respond = (
    request: HttpClientRequest.HttpClientRequest,
    attempt: Sent,
    replays: number
  ): Effect.Effect<
    HttpClientResponse.HttpClientResponse,
    HttpClientError.HttpClientError | Err.AuthError
  > => {
    const next = Lifecycle.afterResponse(attempt.verdict, {
      renewable: authorizer.renewable,
      // A stream body was sent already and cannot be sent again.
      replayable: request.body._tag !== "Stream",
      replays
    })
    const settled = judged(attempt.verdict, attempt.response, replays > 0)
    switch (next) {
      case "Settle":
        return settled
      case "InvalidateAndSettle":
        return settled
      case "InvalidateAndReplay":
        return Effect.flatMap(send(request), (again) => respond(request, again, replays + 1))
    }
  }

  return HttpClient.makeWith<never, never, HttpClientError.HttpClientError | Err.AuthError, never>(
    (requestEffect) =>
      Effect.flatMap(requestEffect, (request) =>
        Effect.flatMap(send(request), (first) => respond(request, first, 0))
      ),
    (request) =>
      Effect.succeed(request.url.startsWith("/") ? HttpClientRequest.prependUrl(request, base) : request)
  )
}

/**
 * A `TokenManager` for the configured credentials (for a till, one that explains there is no token).
 *
 * @since 0.1.0
 * @category layers
 */
export const tokenManagerLayer: Layer.Layer<
  TokenManager.TokenManager,
  never,
  HttpClient.HttpClient | CapillaryConfig
> = Layer.effect(
  TokenManager.TokenManager,
  Effect.gen(function* () {
    const config = yield* CapillaryConfig
    if (config.credentials._tag === "Till") return noTokenForTill
    // A credential list: one source per client, the first that works in use (TokenSource.fallback).
    const sources = []
    for (const client of [config.credentials, ...config.fallbackCredentials]) {
      sources.push(yield* TokenEndpoint.source(config.baseUrl, client, { timeout: config.tokenTimeout }))
    }
    const source = TokenSource.fallback(sources)
    return yield* TokenManager.make({
      source,
      refresh: config.refresh,
      backoff: { maxAttempts: config.tokenMaxAttempts },
      permanentFailureCooldown: config.tokenCooldown,
      timeout: config.tokenTimeout,
      store: config.tokenStore
    })
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

/**
 * The Effect-side redaction of the token header in logs and inspected headers.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerRedactHeaders: Layer.Layer<never> = /* @__PURE__ */ Layer.effect(
  Headers.CurrentRedactedNames,
  Effect.map(Headers.CurrentRedactedNames, (names) => [...names, ...redactedHeaders])
)

/**
 * The authenticated client and its `TokenManager`, from `CapillaryConfig` and any `HttpClient`
 * (FetchHttpClient in browsers and Deno, NodeHttpClient.layerUndici in Node).
 *
 * @since 0.1.0
 * @category layers
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
