/**
 * Sending one Auth Engine request, shared by `CustomerAuth` (logins) and `CustomerSession` (regeneration): built
 * at send time (`CustomerAuthRequest`), no redirect followed, a timeout, the body read once, processed
 * (`CustomerAuthResponse`), every error scrubbed of the secrets the request carried. **No retry**: an OTP call
 * sent twice sends two SMS and spends the customer's OTP quota (1534); a regeneration is retried by its
 * `TokenManager`'s backoff, the one place that may. Also the bounded read of a gateway answer's envelope code.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as Redacted from "effect/Redacted"
import * as Err from "../AuthError.ts"
import type { CustomerAuthConfig } from "../CustomerAuthConfig.ts"
import * as CustomerAuthRequest from "../CustomerAuthRequest.ts"
import * as CustomerAuthResponse from "../CustomerAuthResponse.ts"
import { readFacts } from "../TokenEndpoint.ts"
import { parseJson } from "./classify.ts"
import { isJson, nullBodyStatuses, withBody } from "./fetch.ts"
import { type Known, scrubError } from "./redact.ts"
import { ownRequest } from "./transport.ts"

/** What sending needs: the validated config and an HTTP client. */
export interface Deps {
  readonly config: CustomerAuthConfig
  readonly http: HttpClient.HttpClient
}

/** A processed answer and the local time its request was sent (a token's lifetime starts then). */
export interface Answer {
  readonly body: CustomerAuthResponse.Body
  readonly sentAt: number
}

/** Every `Redacted` value of a call's body: kept out of any error. */
const secretsOf = (call: CustomerAuthRequest.Call): Array<Known> =>
  Object.values(call.body).filter((v) => v !== undefined && Redacted.isRedacted(v)) as Array<Known>

/** One request, sent once. */
export const send = (deps: Deps, call: CustomerAuthRequest.Call): Effect.Effect<Answer, Err.AuthError> => {
  const { config, http } = deps
  const origin = config.baseUrl.origin
  const { operation } = call
  return Effect.gen(function* () {
    const sentAt = yield* Clock.currentTimeMillis
    const facts = yield* http.execute(CustomerAuthRequest.request(config, call)).pipe(
      Effect.flatMap(readFacts),
      Effect.scoped,
      ownRequest,
      Effect.timeoutOrElse({
        duration: config.timeout,
        orElse: () =>
          Effect.fail(
            new Err.TransportError({
              reason: "Timeout",
              message: `Auth Engine ${operation} request to ${origin} timed out after ${Duration.format(config.timeout)}`
            })
          )
      }),
      Effect.mapError((e) =>
        e._tag !== "HttpClientError"
          ? e
          : new Err.TransportError({
              reason: "Network",
              status: e.response?.status,
              message: `Auth Engine ${operation} request to ${origin} failed (${e.reason._tag})`
            })
      )
    )
    const body = yield* Effect.fromResult(
      CustomerAuthResponse.process(facts, operation, yield* Clock.currentTimeMillis)
    )
    return { body, sentAt }
  }).pipe(
    Effect.mapError((error) => scrubError(error, secretsOf(call))),
    Effect.withSpan("capauth.customer.request", { attributes: { "capauth.customer.operation": operation } })
  )
}

/** How much of a gateway answer is read to find its envelope code: its envelope comes first, answers are small. */
const gatewayPeekBytes = 64 * 1024

/**
 * A gateway answer's envelope code (`status.code`), read from at most `gatewayPeekBytes` of a JSON body: a body
 * that ends within them is parsed and handed on whole; a longer one is handed on byte for byte (the bytes read,
 * then the rest, still streaming) with no code. A failure while reading is `mapError`'s.
 */
export const judgeGateway = async (
  response: Response,
  mapError: (error: unknown) => unknown
): Promise<{ readonly code: number | undefined; readonly response: Response }> => {
  const body = response.body
  if (body === null || !isJson(response) || nullBodyStatuses.has(response.status)) {
    return { code: undefined, response }
  }
  const reader = body.getReader()
  const chunks: Array<Uint8Array> = []
  let size = 0
  try {
    for (;;) {
      const next = await reader.read()
      if (next.done) {
        const bytes = new Uint8Array(size)
        let at = 0
        for (const chunk of chunks) {
          bytes.set(chunk, at)
          at += chunk.length
        }
        const code = CustomerAuthResponse.gatewayCode(parseJson(new TextDecoder().decode(bytes)))
        return { code, response: withBody(response, bytes) }
      }
      chunks.push(next.value)
      size += next.value.length
      if (size > gatewayPeekBytes) break
    }
  } catch (error) {
    throw mapError(error)
  }
  // Too long to be an envelope-only answer: hand on what was read, then the rest, untouched.
  const rest = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk)
    },
    async pull(controller) {
      const next = await reader.read()
      if (next.done) controller.close()
      else controller.enqueue(next.value)
    },
    cancel(reason) {
      return reader.cancel(reason)
    }
  })
  return { code: undefined, response: withBody(response, rest) }
}
