/**
 * Capillary's token endpoint, `POST {base}/v3/oauth/token/generate`. Building the request and processing its
 * response are separate, pure-as-possible functions, so each is testable alone; `source` joins them into a
 * `TokenSource` for the `TokenManager`.
 *
 * @example
 * ```ts
 * import { TokenEndpoint, TokenManager, Credentials } from "@capauth/core"
 * import { FetchHttpClient } from "effect/http"
 * import { Effect, Redacted, Result } from "effect"
 *
 * const client = Result.getOrThrow(Credentials.oauthClient({ key: "k", secret: Redacted.make("s") }))
 * const tokens = TokenManager.layer({ source: TokenEndpoint.source(new URL("https://eu.api.capillarytech.com"), client) })
 * ```
 * @module
 * @since 0.1.0
 */

import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import type * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Redacted from "effect/Redacted"
import type { IssuedToken } from "./AccessToken.ts"
import * as Err from "./AuthError.ts"
import type { OAuthClient } from "./Credentials.ts"
import { parseJson, type ResponseFacts, tokenFailure } from "./internal/classify.ts"
import { excerpt, type Known, scrubError } from "./internal/redact.ts"
import { withoutRedirects } from "./internal/transport.ts"
import type { TokenSource } from "./TokenSource.ts"

/**
 * The path of the token endpoint, relative to the cluster's base URL.
 *
 * @since 0.1.0
 * @category constants
 */
export const path = "/v3/oauth/token/generate"

/**
 * Build the token request: JSON `{key, secret}`, no Authorization header. Build it when sending (the secret is
 * revealed into the body only then), never keep one around.
 *
 * @since 0.1.0
 * @category constructors
 */
export const request = (baseUrl: URL, client: OAuthClient): HttpClientRequest.HttpClientRequest =>
  HttpClientRequest.post(new URL(path, baseUrl)).pipe(
    HttpClientRequest.acceptJson,
    HttpClientRequest.bodyJsonUnsafe({ key: client.key, secret: Redacted.value(client.secret) })
  )

/**
 * Read what matters of a response (status, request id, body) without failing on a non-JSON body.
 *
 * @since 0.1.0
 * @category utils
 */
export const readFacts = (
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<ResponseFacts, Err.TransportError> =>
  Effect.map(
    Effect.mapError(
      response.text,
      (e) =>
        new Err.TransportError({
          reason: "Network",
          status: response.status,
          requestId: response.headers["x-cap-requestid"],
          message: `the response body could not be read (${e.reason._tag})`
        })
    ),
    (text) => ({
      status: response.status,
      requestId: response.headers["x-cap-requestid"],
      retryAfter: response.headers["retry-after"],
      date: response.headers.date,
      text,
      json: parseJson(text)
    })
  )

/**
 * Turn the response into an `IssuedToken` or a typed error. `sentAt` is the local time the request was sent.
 * Success is `{"data":{"accessToken","ttlSeconds"},"errors":null}`; any non-empty `errors` is a failure.
 *
 * @since 0.1.0
 * @category utils
 */
export const processResponse = (
  facts: ResponseFacts,
  sentAt: number,
  now: number
): Effect.Effect<IssuedToken, Err.AuthError> => {
  const failure = tokenFailure(facts, now)
  if (failure !== undefined) return Effect.fail(failure)
  const data = (facts.json as { data?: { accessToken?: unknown; ttlSeconds?: unknown } } | undefined)?.data
  const accessToken = data?.accessToken
  const ttl = typeof data?.ttlSeconds === "string" ? Number(data.ttlSeconds) : data?.ttlSeconds
  if (typeof accessToken !== "string" || accessToken === "" || typeof ttl !== "number" || !(ttl > 0)) {
    return Effect.fail(
      new Err.MalformedResponse({
        requestId: facts.requestId,
        status: facts.status,
        message:
          facts.json === undefined
            ? "token response is not JSON"
            : "token response lacks data.accessToken (string) or data.ttlSeconds (positive number)",
        excerpt: excerpt(facts.text)
      })
    )
  }
  return Effect.succeed({ value: Redacted.make(accessToken), sentAt, ttlSeconds: ttl })
}

/**
 * Map a transport failure (no response) to `TransportError`.
 *
 * @since 0.1.0
 * @category errors
 */
export const transportError = (
  e: HttpClientError.HttpClientError | Err.AuthError,
  origin = "the token endpoint"
): Err.AuthError =>
  e._tag !== "HttpClientError"
    ? e
    : e.response === undefined
      ? new Err.TransportError({
          reason: "Network",
          message: `token request to ${origin} failed to send (${e.reason._tag})`
        })
      : new Err.TransportError({
          reason: "Network",
          status: e.response.status,
          message: `token response from ${origin} failed (${e.reason._tag})`
        })

/**
 * Options of the Capillary token source.
 *
 * @since 0.1.0
 * @category models
 */
export interface SourceOptions {
  /** Abort a token request after this long (default 10 s). */
  readonly timeout?: Duration.Input | undefined
}

/**
 * Send one token request and decode the envelope: `sentAt` read from `Clock` just before sending, a timeout,
 * transport failures named after `origin`. Shared by every source that speaks this envelope (Capillary's
 * endpoint, and the token broker a browser worker asks).
 *
 * @since 0.1.0
 * @category utils
 */
export const fetchToken = (
  http: HttpClient.HttpClient,
  /** Built at each send (a request body may hold a secret: none is kept). */
  request: () => HttpClientRequest.HttpClientRequest,
  timeout: Duration.Duration,
  origin: string,
  secrets: ReadonlyArray<Known> = []
): Effect.Effect<IssuedToken, Err.AuthError> =>
  Effect.gen(function* () {
    const sentAt = yield* Clock.currentTimeMillis
    const facts = yield* http.execute(request()).pipe(
      Effect.flatMap(readFacts),
      Effect.scoped,
      withoutRedirects,
      Effect.timeoutOrElse({
        duration: timeout,
        orElse: () =>
          Effect.fail(
            new Err.TransportError({
              reason: "Timeout",
              message: `token request to ${origin} timed out after ${Duration.format(timeout)}`
            })
          )
      }),
      Effect.mapError((e) => transportError(e, origin))
    )
    return yield* processResponse(facts, sentAt, yield* Clock.currentTimeMillis)
  }).pipe(Effect.mapError((error) => scrubError(error, secrets)))

/**
 * Capillary's token/generate as a `TokenSource`, using the `HttpClient` in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const source = (
  baseUrl: URL,
  client: OAuthClient,
  options?: SourceOptions
): Effect.Effect<TokenSource, never, HttpClient.HttpClient> =>
  Effect.map(HttpClient.HttpClient, (http) => ({
    id: `capillary:${baseUrl.host}:${client.key}`,
    fetch: fetchToken(
      http,
      () => request(baseUrl, client),
      Duration.fromInputUnsafe(options?.timeout ?? "10 seconds"),
      baseUrl.origin,
      [client.secret]
    )
  }))
