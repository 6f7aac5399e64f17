/**
 * Processing end-customer Auth Engine answers (no I/O). Every answer is a JSON object with a `status` envelope,
 * `{"status":{"success":true,"code":200,"message":"SUCCESS"}, ...}`; a refusal carries a 15xx `code`. The body's
 * code decides, whatever the HTTP status: the reference documents no statuses, and a deployment may answer
 * every refusal with HTTP 200.
 *
 * | code | meaning | capauth error |
 * | --- | --- | --- |
 * | 1505 | invalid session (unknown, expired, used; at the gateway: a token it does not accept) | `InvalidSession` |
 * | 1506 | invalid OTP | `InvalidOtp` |
 * | 1518, 1530 | too many wrong OTPs (start a new session) / passwords (reset it) | `AttemptsExhausted` |
 * | 1525 | cannot regenerate the token | `CannotRegenerate` |
 * | 1528 | invalid password | `InvalidPassword` |
 * | 1529 | token expired | `TokenExpired` |
 * | 1534 | too many OTPs for this customer | `RateLimited` (never retried by capauth: a retry sends another SMS) |
 * | any other | | `CustomerAuthError` |
 *
 * Every one carries `code`, the HTTP `status` and `requestId` (`X-Cap-Requestid`). A body without the envelope
 * is a `MalformedResponse`; HTTP 5xx is `ServiceUnavailable`, 429 without a code `RateLimited`.
 *
 * @example
 * ```ts
 * import { CustomerAuthResponse } from "@capauth/core"
 *
 * const text = '{"status":{"success":false,"code":1506,"message":"Invalid OTP."}}'
 * const facts = { status: 401, requestId: undefined, retryAfter: undefined, date: undefined, text, json: JSON.parse(text) }
 * CustomerAuthResponse.process(facts, "otp/validate", Date.now()) // Result.fail(InvalidOtp)
 * ```
 * @module
 * @since 0.1.0
 */
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import type { IssuedToken } from "./AccessToken.ts"
import * as Err from "./AuthError.ts"
import { type ResponseFacts, retryAfterMillis } from "./internal/classify.ts"
import { decodeClaims } from "./internal/jwt.ts"
import type { Verdict } from "./internal/lifecycle.ts"
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
 * A successful answer: the JSON object, `status` included.
 *
 * @since 0.1.0
 * @category models
 */
export type Body = Readonly<Record<string, unknown>>

/**
 * The `status` envelope.
 *
 * @since 0.1.0
 * @category models
 */
export interface Status {
  readonly success: boolean | undefined
  readonly code: number | undefined
  readonly message: string | undefined
}

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const toCode = (u: unknown): number | undefined =>
  typeof u === "number" && Number.isFinite(u)
    ? u
    : typeof u === "string" && /^\s*\d+\s*$/.test(u)
      ? Number(u)
      : undefined

/**
 * The `status` envelope of a body (`success` may be a boolean or `"true"`/`"false"`, `code` a number or digits).
 *
 * @since 0.1.0
 * @category utils
 */
export const statusOf = (json: unknown): Status | undefined => {
  if (!isRecord(json) || !isRecord(json.status)) return undefined
  const { success, code, message } = json.status
  return {
    success:
      success === true || success === "true"
        ? true
        : success === false || success === "false"
          ? false
          : undefined,
    code: toCode(code),
    message: typeof message === "string" && message !== "" ? message : undefined
  }
}

/** The codes with a class of their own; every other code is a `CustomerAuthError`. */
const byCode: Readonly<
  Record<
    number,
    | "InvalidSession"
    | "InvalidOtp"
    | "AttemptsExhausted"
    | "CannotRegenerate"
    | "InvalidPassword"
    | "TokenExpired"
  >
> = {
  1505: "InvalidSession",
  1506: "InvalidOtp",
  1518: "AttemptsExhausted",
  1525: "CannotRegenerate",
  1528: "InvalidPassword",
  1529: "TokenExpired",
  1530: "AttemptsExhausted"
}

/**
 * The code of the OTP generation limit ("Reached the maximum number of OTPs allowed per customer").
 *
 * @since 0.1.0
 * @category constants
 */
export const otpLimitCode = 1534

/**
 * The code of an expired token at the gateway: invalidate it, regenerate once, send again once.
 *
 * @since 0.1.0
 * @category constants
 */
export const tokenExpiredCode = 1529

/**
 * The error of a refusal with `code` (see the module's table). `operation` names the call in the message.
 *
 * @since 0.1.0
 * @category utils
 */
export const errorOf = (
  code: number,
  message: string | undefined,
  operation: string,
  facts: Pick<Facts, "status" | "requestId" | "retryAfter" | "date">,
  now: number
): Err.AuthError => {
  const common = {
    code,
    status: facts.status,
    requestId: facts.requestId,
    message: `Auth Engine ${operation} refused (code ${code})${message === undefined ? "" : `: ${excerpt(message, 200)}`}`
  }
  if (code === otpLimitCode) {
    return new Err.RateLimited({
      ...common,
      retryAfterMillis: retryAfterMillis(facts.retryAfter, facts.date, now)
    })
  }
  const tag = byCode[code]
  return tag === undefined ? new Err.CustomerAuthError(common) : new Err.classes[tag](common)
}

/**
 * Turn an Auth Engine answer into its body or a typed error. `now` (ms) reads a `Retry-After` date.
 *
 * @since 0.1.0
 * @category utils
 */
export const process = (facts: Facts, operation: string, now: number): Result.Result<Body, Err.AuthError> => {
  const { status } = facts
  const envelope = statusOf(facts.json)
  const code = envelope?.code
  const common = { status, requestId: facts.requestId }
  if (status >= 500) {
    return Result.fail(
      new Err.ServiceUnavailable({
        ...common,
        code,
        message: `Auth Engine ${operation} failed: service unavailable (HTTP ${status}${code === undefined ? "" : `, code ${code}`})`
      })
    )
  }
  if (isRedirect(status)) {
    return Result.fail(
      new Err.MalformedResponse({
        ...common,
        message: `Auth Engine ${operation} answered a redirect (HTTP ${status}): capauth never follows one with an OTP, password or key; set the base URL to the Auth Engine host itself`
      })
    )
  }
  if (code !== undefined && code !== 200)
    return Result.fail(errorOf(code, envelope?.message, operation, facts, now))
  if (envelope?.success === false) {
    return Result.fail(
      new Err.CustomerAuthError({
        ...common,
        message: `Auth Engine ${operation} refused without a code${envelope.message === undefined ? "" : `: ${excerpt(envelope.message, 200)}`}`
      })
    )
  }
  if (status === 429) {
    return Result.fail(
      new Err.RateLimited({
        ...common,
        message: `Auth Engine ${operation} failed: rate limited (429)`,
        retryAfterMillis: retryAfterMillis(facts.retryAfter, facts.date, now)
      })
    )
  }
  if (
    envelope !== undefined &&
    (code === 200 || envelope.success === true) &&
    status >= 200 &&
    status < 300
  ) {
    return Result.succeed(facts.json as Body)
  }
  return Result.fail(
    new Err.MalformedResponse({
      ...common,
      code,
      message:
        facts.json === undefined
          ? `Auth Engine ${operation} answered HTTP ${status} with a body that is not JSON`
          : envelope === undefined
            ? `Auth Engine ${operation} answered HTTP ${status} without a "status" envelope`
            : `Auth Engine ${operation} answered HTTP ${status} with an unexpected status envelope`,
      excerpt: excerpt(facts.text)
    })
  )
}

const malformed = (operation: string, message: string, body: Body) =>
  new Err.MalformedResponse({
    message: `Auth Engine ${operation} answered SUCCESS ${message} (fields: ${Object.keys(body).slice(0, 12).join(", ")})`
  })

const text = (u: unknown): string | undefined => (typeof u === "string" && u !== "" ? u : undefined)

/**
 * A login session, as `token/generate` (or `otp/generate`) opens it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Session {
  /** `P-…`: names the session in the next calls; lives about 15 minutes. */
  readonly sessionId: string
  /** `false` for a mobile or email the brand does not know yet: validating the OTP signs the customer up. */
  readonly userRegistered: boolean | undefined
}

/**
 * Read a session from `user.sessionId` (and `user.userRegistered`).
 *
 * @since 0.1.0
 * @category utils
 */
export const session = (body: Body, operation: string): Result.Result<Session, Err.MalformedResponse> => {
  const user = isRecord(body.user) ? body.user : undefined
  const sessionId = text(user?.sessionId)
  if (sessionId === undefined) return Result.fail(malformed(operation, "without user.sessionId", body))
  const registered = user?.userRegistered
  return Result.succeed({
    sessionId,
    userRegistered: typeof registered === "boolean" ? registered : undefined
  })
}

/**
 * A token's lifetime in seconds, `exp - iat` of its (unverified) claims; `undefined` when it has none.
 *
 * @since 0.1.0
 * @category utils
 */
export const lifetimeSeconds = (token: string): number | undefined => {
  const claims = decodeClaims(token)
  const iat = claims?.iat
  const exp = claims?.exp
  return typeof iat === "number" && typeof exp === "number" && exp > iat ? exp - iat : undefined
}

/**
 * What a validation or regeneration issues: the customer's token (placed at `sentAt`, its lifetime from its own
 * `exp - iat`) and, on mobile, the `key` that regenerates it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Tokens {
  readonly issued: IssuedToken
  readonly key: Redacted.Redacted<string> | undefined
}

/**
 * Whether an answer carries a token (`auth.token`).
 *
 * @since 0.1.0
 * @category guards
 */
export const hasToken = (body: Body): boolean => isRecord(body.auth) && text(body.auth.token) !== undefined

/**
 * Read `auth.token` (required: a JWT with `exp` and `iat`, its lifetime) and `auth.key` (when present).
 *
 * @since 0.1.0
 * @category utils
 */
export const tokens = (
  body: Body,
  sentAt: number,
  operation: string
): Result.Result<Tokens, Err.MalformedResponse> => {
  const auth = isRecord(body.auth) ? body.auth : undefined
  const token = text(auth?.token)
  if (token === undefined) return Result.fail(malformed(operation, "without auth.token", body))
  const ttl = lifetimeSeconds(token)
  if (ttl === undefined) {
    return Result.fail(
      malformed(
        operation,
        "with a token that has no exp and iat: capauth takes its lifetime from the token",
        body
      )
    )
  }
  const key = text(auth?.key)
  return Result.succeed({
    issued: { value: Redacted.make(token), sentAt, ttlSeconds: ttl },
    key: key === undefined ? undefined : Redacted.make(key)
  })
}

/**
 * The code of a gateway answer's `status` envelope, if it has one.
 *
 * @since 0.1.0
 * @category utils
 */
export const gatewayCode = (json: unknown): number | undefined => statusOf(json)?.code

/**
 * What a gateway answer says of the token it carried: `"expired"` for 1529 (with any HTTP status), else
 * `"ok"` (the answer goes to the caller as it is).
 *
 * @since 0.1.0
 * @category utils
 */
export const gatewayVerdict = (code: number | undefined): Verdict =>
  code === tokenExpiredCode ? "expired" : "ok"
