/**
 * Sending one Capture request, shared by `CaptureClient` (client-authenticated operations, the code exchange)
 * and `CaptureSession` (refreshes, calls with the access token): build at send time (`CaptureRequest`), no
 * redirects followed, a timeout, the body read once, processed (`CaptureResponse`), and every error scrubbed of
 * the client secret and of the codes and tokens the request carried. Also the backoff of server-side transient
 * answers (480, 510, 429, 503), by `Lifecycle.retryDelay`.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as Random from "effect/Random"
import * as Err from "../AuthError.ts"
import type { CaptureConfig } from "../CaptureConfig.ts"
import * as CaptureRequest from "../CaptureRequest.ts"
import * as CaptureResponse from "../CaptureResponse.ts"
import { readFacts } from "../TokenEndpoint.ts"
import * as Lifecycle from "./lifecycle.ts"
import { type Known, scrubError } from "./redact.ts"
import { ownRequest } from "./transport.ts"

/** What sending needs: the validated config and an HTTP client. */
export interface Deps {
  readonly config: CaptureConfig
  readonly http: HttpClient.HttpClient
}

/** A processed answer and the local time its request was sent (a token's lifetime starts then). */
export interface Answer {
  readonly body: CaptureResponse.Body
  readonly sentAt: number
}

/**
 * One request, no retry. `known`: the secret values the request carries besides the client secret (a code, a
 * refresh or access token), kept out of any error.
 */
export const send = (
  deps: Deps,
  operation: string,
  params: CaptureRequest.Params,
  auth: CaptureRequest.Auth,
  known: ReadonlyArray<Known> = []
): Effect.Effect<Answer, Err.AuthError> => {
  const { config, http } = deps
  const origin = config.baseUrl.origin
  return Effect.gen(function* () {
    const sentAt = yield* Clock.currentTimeMillis
    const request = yield* Effect.fromResult(CaptureRequest.request(config, operation, params, auth, sentAt))
    const facts = yield* http.execute(request).pipe(
      Effect.flatMap(readFacts),
      Effect.scoped,
      ownRequest,
      Effect.timeoutOrElse({
        duration: config.timeout,
        orElse: () =>
          Effect.fail(
            new Err.TransportError({
              reason: "Timeout",
              message: `Capture ${operation} request to ${origin} timed out after ${Duration.format(config.timeout)}`
            })
          )
      }),
      Effect.mapError((e) =>
        e._tag !== "HttpClientError"
          ? e
          : new Err.TransportError({
              reason: "Network",
              status: e.response?.status,
              message: `Capture ${operation} request to ${origin} failed (${e.reason._tag})`
            })
      )
    )
    const body = yield* Effect.fromResult(
      CaptureResponse.process(facts, operation, yield* Clock.currentTimeMillis)
    )
    return { body, sentAt }
  }).pipe(
    Effect.mapError((error) => scrubError(error, [config.clientSecret, ...known])),
    Effect.withSpan("capauth.capture.request", { attributes: { "capauth.capture.operation": operation } })
  )
}

/**
 * Transient answers the server gave before doing any work, so sending the same request again is safe even for
 * an operation that is not idempotent: 480 (feature disabled for maintenance), 510 (too many simultaneous
 * calls), HTTP 429 and 503. Network failures and other 5xx are not retried here: the request may have been
 * carried out (and a code or refresh token spent).
 */
const retryable = (error: Err.AuthError): boolean =>
  (error._tag === "ServiceUnavailable" || error._tag === "RateLimited") &&
  (error.code === 480 || error.code === 510 || error.status === 429 || error.status === 503)

/** `effect` again after each `retryable` failure, with the delays `Lifecycle.retryDelay` decides. */
export const withBackoff = <A>(
  effect: Effect.Effect<A, Err.AuthError>,
  policy: Lifecycle.BackoffPolicy,
  attempt = 1
): Effect.Effect<A, Err.AuthError> =>
  Effect.catch(effect, (error) => {
    if (!retryable(error)) return Effect.fail(error)
    return Effect.flatMap(Random.next, (random) => {
      const delay = Lifecycle.retryDelay(error, attempt, policy, random)
      return delay === undefined
        ? Effect.fail(error)
        : Effect.andThen(Effect.sleep(delay), withBackoff(effect, policy, attempt + 1))
    })
  })
