/**
 * Processing Capture responses (no I/O). Every answer is a JSON envelope with `stat`: `"ok"` carries the
 * operation's result; `"error"` carries `code`, `error`, `error_description` (or `message`) and `request_id` (or
 * `request_token`). Errors arrive with HTTP 200, except `oauth/token`'s, which come with 400 or 401: the body's
 * code decides, whatever the status.
 *
 * | Capture code | error | capauth error |
 * | --- | --- | --- |
 * | 210 invalid_credentials, 402 invalid_client_credentials | the client or user credentials were refused | `InvalidCredentials` |
 * | 403 client_permission_error, 413 no_access_grant | not allowed | `AccessDenied` |
 * | 414 access_token_expired, 415 authorization_code_expired, 417 creation_token_expired | expired | `TokenExpired` |
 * | 480 api_feature_disabled | temporarily disabled (transient) | `ServiceUnavailable` |
 * | 510 api_limit_error | too many simultaneous calls (transient) | `RateLimited` |
 * | any other | | `CaptureError` |
 *
 * Every one of them carries `code`, `error`, `description` and `requestId` when the body had them, and the HTTP
 * `status`. A body that is not JSON or has no `stat` is a `MalformedResponse`; HTTP 5xx is `ServiceUnavailable`.
 *
 * @example
 * ```ts
 * import { CaptureResponse } from "@capauth/core"
 *
 * declare const text: string // the body as received
 * const facts = { status: 200, requestId: undefined, retryAfter: undefined, date: undefined, text, json: JSON.parse(text) }
 * CaptureResponse.process(facts, "entity", Date.now()) // Result<Body, AuthError>
 * ```
 * @module
 * @since 0.1.0
 */
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import type { IssuedToken } from "./AccessToken.ts"
import * as Err from "./AuthError.ts"
import { type ResponseFacts, retryAfterMillis } from "./internal/classify.ts"
import { excerpt } from "./internal/redact.ts"
import { isRedirect } from "./internal/transport.ts"

/**
 * What was received: HTTP status, headers that matter, the body's text and its JSON if it parsed.
 *
 * @since 0.1.0
 * @category models
 */
export type Facts = ResponseFacts

/**
 * A successful answer: the JSON object, `stat: "ok"` included.
 *
 * @since 0.1.0
 * @category models
 */
export type Body = Readonly<Record<string, unknown>> & { readonly stat: "ok" }

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const text = (u: unknown): string | undefined => (typeof u === "string" && u !== "" ? u : undefined)

const toCode = (u: unknown): number | undefined =>
  typeof u === "number" && Number.isFinite(u)
    ? u
    : typeof u === "string" && /^\d+$/.test(u.trim())
      ? Number(u)
      : undefined

/**
 * The fields of a `stat: "error"` envelope. `description` is `error_description`, else `message` (shortened,
 * anything that looks like a token masked); `requestId` is `request_id`, else `request_token`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ErrorFields {
  readonly code: number | undefined
  readonly error: string | undefined
  readonly description: string | undefined
  readonly requestId: string | undefined
}

/**
 * Read the fields of an error envelope.
 *
 * @since 0.1.0
 * @category utils
 */
export const errorFields = (json: Readonly<Record<string, unknown>>): ErrorFields => {
  const description = text(json.error_description) ?? text(json.message)
  return {
    code: toCode(json.code),
    error: text(json.error),
    description: description === undefined ? undefined : excerpt(description, 300),
    requestId: text(json.request_id) ?? text(json.request_token)
  }
}

/** The codes with a class of their own; every other code is a `CaptureError`. */
const byCode: Readonly<Record<number, "InvalidCredentials" | "AccessDenied" | "TokenExpired">> = {
  210: "InvalidCredentials",
  402: "InvalidCredentials",
  403: "AccessDenied",
  413: "AccessDenied",
  414: "TokenExpired",
  415: "TokenExpired",
  417: "TokenExpired"
}

/**
 * The error of a `stat: "error"` envelope (see the module's table).
 *
 * @since 0.1.0
 * @category utils
 */
export const errorOf = (
  json: Readonly<Record<string, unknown>>,
  operation: string,
  status: number
): Err.AuthError => {
  const fields = errorFields(json)
  const what = `Capture ${operation} failed with code ${fields.code ?? "none"}${
    fields.error === undefined ? "" : ` (${fields.error})`
  }${fields.description === undefined ? "" : `: ${fields.description}`}`
  const common = { ...fields, status, message: what }
  if (fields.code === 480) return new Err.ServiceUnavailable(common)
  if (fields.code === 510) return new Err.RateLimited(common)
  const tag = fields.code === undefined ? undefined : byCode[fields.code]
  return tag === undefined ? new Err.CaptureError(common) : new Err.classes[tag](common)
}

/**
 * Whether an error is Capture saying the access token expired (414): the one answer a session cures by
 * refreshing and sending the request again (once).
 *
 * @since 0.1.0
 * @category utils
 */
export const isAccessTokenExpired = (error: Err.AuthError): boolean =>
  error._tag === "TokenExpired" && error.code === 414

/**
 * Turn a response into its body or a typed error. `now` (ms) reads a `Retry-After` date.
 *
 * @since 0.1.0
 * @category utils
 */
export const process = (facts: Facts, operation: string, now: number): Result.Result<Body, Err.AuthError> => {
  const { status } = facts
  const json = isRecord(facts.json) ? facts.json : undefined
  const capture = json?.stat === "error" ? errorFields(json) : undefined
  if (status >= 500) {
    return Result.fail(
      new Err.ServiceUnavailable({
        ...capture,
        status,
        message: `Capture ${operation} failed: service unavailable (HTTP ${status})`
      })
    )
  }
  if (isRedirect(status)) {
    return Result.fail(
      new Err.MalformedResponse({
        status,
        message: `Capture ${operation} answered a redirect (HTTP ${status}): capauth never follows one with credentials; set the base URL to the Capture host itself`
      })
    )
  }
  if (json?.stat === "error") return Result.fail(errorOf(json, operation, status))
  if (status === 429) {
    return Result.fail(
      new Err.RateLimited({
        status,
        message: `Capture ${operation} failed: rate limited (429)`,
        retryAfterMillis: retryAfterMillis(facts.retryAfter, facts.date, now)
      })
    )
  }
  if (json?.stat === "ok" && status >= 200 && status < 300) return Result.succeed(json as Body)
  return Result.fail(
    new Err.MalformedResponse({
      status,
      message:
        facts.json === undefined
          ? `Capture ${operation} answered HTTP ${status} with a body that is not JSON`
          : json === undefined || !("stat" in json)
            ? `Capture ${operation} answered HTTP ${status} without a "stat" envelope`
            : `Capture ${operation} answered HTTP ${status} with stat ${JSON.stringify(json.stat)?.slice(0, 20)}`,
      excerpt: excerpt(facts.text)
    })
  )
}

const malformed = (operation: string, message: string, body: Body) =>
  new Err.MalformedResponse({
    message: `Capture ${operation} answered stat "ok" ${message} (fields: ${Object.keys(body).slice(0, 12).join(", ")})`
  })

const positive = (u: unknown): number | undefined => {
  const n = typeof u === "string" && u.trim() !== "" ? Number(u) : u
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? n : undefined
}

/**
 * What `oauth/token` issues: an access token (with its lifetime, placed at `sentAt`) and the next refresh token.
 *
 * @since 0.1.0
 * @category models
 */
export interface Tokens {
  readonly issued: IssuedToken
  readonly refreshToken: Redacted.Redacted<string>
}

/**
 * Read `oauth/token`'s answer: `access_token`, `expires_in` (seconds) and `refresh_token`, all required.
 *
 * @since 0.1.0
 * @category utils
 */
export const tokens = (body: Body, sentAt: number): Result.Result<Tokens, Err.MalformedResponse> => {
  const access = text(body.access_token)
  const ttl = positive(body.expires_in)
  const refresh = text(body.refresh_token)
  if (access === undefined || ttl === undefined || refresh === undefined) {
    return Result.fail(
      malformed(
        "oauth/token",
        "without access_token (string), expires_in (positive number) and refresh_token (string)",
        body
      )
    )
  }
  return Result.succeed({
    issued: { value: Redacted.make(access), sentAt, ttlSeconds: ttl },
    refreshToken: Redacted.make(refresh)
  })
}

/**
 * Read `access/getAuthorizationCode`'s answer: `authorizationCode`.
 *
 * @since 0.1.0
 * @category utils
 */
export const authorizationCode = (
  body: Body
): Result.Result<Redacted.Redacted<string>, Err.MalformedResponse> => {
  const code = text(body.authorizationCode) ?? text(body.authorization_code)
  return code === undefined
    ? Result.fail(malformed("access/getAuthorizationCode", "without authorizationCode", body))
    : Result.succeed(Redacted.make(code))
}

/**
 * A creation token and when it expires.
 *
 * @since 0.1.0
 * @category models
 */
export interface CreationToken {
  readonly value: Redacted.Redacted<string>
  /** Local clock: when the request was sent plus the lifetime asked for. */
  readonly expiresAt: Date
}

/**
 * Read `access/getCreationToken`'s answer: `creation_token`, valid `lifetimeSeconds` from `sentAt`.
 *
 * @since 0.1.0
 * @category utils
 */
export const creationToken = (
  body: Body,
  sentAt: number,
  lifetimeSeconds: number
): Result.Result<CreationToken, Err.MalformedResponse> => {
  const token = text(body.creation_token) ?? text(body.creationToken)
  return token === undefined
    ? Result.fail(malformed("access/getCreationToken", "without creation_token", body))
    : Result.succeed({ value: Redacted.make(token), expiresAt: new Date(sentAt + lifetimeSeconds * 1000) })
}
