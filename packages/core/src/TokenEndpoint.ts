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
import * as Stream from "effect/Stream"
import type { IssuedToken } from "./AccessToken.ts"
import * as AccessToken from "./AccessToken.ts"
import * as Err from "./AuthError.ts"
import type { OAuthClient } from "./Credentials.ts"
import { parseJson, type ResponseFacts, tokenFailure } from "./internal/classify.ts"
import * as Lifecycle from "./internal/lifecycle.ts"
import { excerpt, type Known, scrubError } from "./internal/redact.ts"
import { ownRequest } from "./internal/transport.ts"
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
 * The largest token response read, in bytes (64 KiB; Capillary's is about 1.5 KB). A larger one is a
 * `MalformedResponse`, and no more of it is read.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxResponseBytes = 65_536

const utf8 = new TextDecoder()

/**
 * Read what matters of a response (status, request id, body) without failing on a non-JSON body. The body is
 * read up to `maxResponseBytes`; a larger one (declared or streamed) is a `MalformedResponse`.
 *
 * @since 0.1.0
 * @category utils
 */
export const readFacts = (
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<ResponseFacts, Err.TransportError | Err.MalformedResponse> =>
  Effect.suspend(() => {
    const requestId = response.headers["x-cap-requestid"]
    const tooLarge = () =>
      Effect.fail(
        new Err.MalformedResponse({
          requestId,
          status: response.status,
          message: `the token response is larger than ${maxResponseBytes} bytes: not a token answer`
        })
      )
    // A declared length over the bound stops at the first chunk; stopping early cancels the body (no leak).
    const declaredTooLarge = Number(response.headers["content-length"]) > maxResponseBytes
    const chunks: Array<Uint8Array> = []
    let size = declaredTooLarge ? maxResponseBytes + 1 : 0
    return response.stream.pipe(
      Stream.runForEachWhile((chunk) =>
        Effect.sync(() => {
          size += chunk.length
          if (size > maxResponseBytes) return false
          chunks.push(chunk)
          return true
        })
      ),
      Effect.mapError(
        (e) =>
          new Err.TransportError({
            reason: "Network",
            status: response.status,
            requestId,
            message: `the response body could not be read (${e.reason._tag})`
          })
      ),
      Effect.flatMap(() => {
        if (size > maxResponseBytes) return tooLarge()
        const bytes = new Uint8Array(size)
        let offset = 0
        for (const chunk of chunks) {
          bytes.set(chunk, offset)
          offset += chunk.length
        }
        const text = utf8.decode(bytes)
        return Effect.succeed({
          status: response.status,
          requestId,
          retryAfter: response.headers["retry-after"],
          date: response.headers.date,
          text,
          json: parseJson(text)
        })
      })
    )
  })

/** A decimal number of seconds as text: digits, optionally a fraction. No sign, exponent, hex or binary. */
const decimalSeconds = /^\d{1,12}(?:\.\d{1,9})?$/

/** `ttlSeconds` as a number, if it is a finite JSON number or a decimal string; else `undefined`. */
const ttlOf = (u: unknown): number | undefined =>
  typeof u === "number"
    ? Number.isFinite(u)
      ? u
      : undefined
    : typeof u === "string" && decimalSeconds.test(u)
      ? Number(u)
      : undefined

/**
 * Turn the response into an `IssuedToken` or a typed error. `sentAt` is the local time the request was sent.
 * Success is `{"data":{"accessToken","ttlSeconds"},"errors":null}`; any non-empty `errors` is a failure.
 * Refused as `MalformedResponse`: a blank token, one longer than `AccessToken.maxLength` (8,192 characters) or
 * holding what a header cannot carry; a `ttlSeconds` that is not a finite JSON number or a decimal string
 * (`"60"`, `"60.5"`; not `"0x3c"`, `"1e3"`, `"Infinity"`), or a lifetime outside 1 s to 31 days.
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
  const malformed = (message: string) =>
    Effect.fail(
      new Err.MalformedResponse({
        requestId: facts.requestId,
        status: facts.status,
        message,
        excerpt: excerpt(facts.text)
      })
    )
  if (facts.json === undefined) return malformed("token response is not JSON")
  const data: unknown = (facts.json as { data?: unknown } | null)?.data
  const fields = typeof data === "object" && data !== null ? (data as Record<string, unknown>) : {}
  const accessToken = fields.accessToken
  const ttl = ttlOf(fields.ttlSeconds)
  if (typeof accessToken !== "string" || ttl === undefined) {
    return malformed(
      "token response lacks data.accessToken (a string) or data.ttlSeconds (a number of seconds, or a decimal string)"
    )
  }
  if (accessToken.trim() === "") return malformed("token response has a blank data.accessToken")
  const issued = { value: Redacted.make(accessToken), sentAt, ttlSeconds: ttl }
  const problem =
    Lifecycle.lifetimeProblem(ttl * 1000, `data.ttlSeconds (${String(ttl)})`) ??
    AccessToken.unusable(issued)?.message
  return problem === undefined ? Effect.succeed(issued) : malformed(`token response refused: ${problem}`)
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
  /** Abort a token request after this long (default 10 s): a `TransportError` with reason `Timeout`. */
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
      ownRequest,
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
    // Origin + API key: a token is the key's, on that cluster. The key is not secret; the secret never goes in.
    id: `capillary:${baseUrl.origin}:${client.key}`,
    fetch: fetchToken(
      http,
      () => request(baseUrl, client),
      Duration.fromInputUnsafe(options?.timeout ?? "10 seconds"),
      baseUrl.origin,
      [client.secret]
    )
  }))
