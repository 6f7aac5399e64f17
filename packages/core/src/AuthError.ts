/**
 * The typed error family of capauth. Every error is a tagged class (usable in Effect's typed channel and as a
 * plain `Error` for Promise users), carries a recommended `action`, the `requestId` (`X-Cap-Requestid`) when a
 * response had one, and never a secret or a token.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TokenManager } from "@capauth/core"
 *
 * const program = TokenManager.TokenManager.pipe(
 *   Effect.flatMap((tokens) => tokens.get),
 *   Effect.catchTag("InvalidCredentials", (e) => Effect.logError(`${e.message} -> ${e.action}`))
 * )
 * ```
 * @module
 * @since 0.1.0
 */
import * as Data from "effect/Data"

interface Common {
  /** Human readable; never contains a secret or a token. */
  readonly message: string
  /** `X-Cap-Requestid` of the response that caused this error, for Capillary support. */
  readonly requestId?: string | undefined
  /** HTTP status of the response that caused this error, when there was one. */
  readonly status?: number | undefined
  /** The vendor's error code (e.g. 320001, 4001, 498; Capture's 414), when it sent one. */
  readonly code?: number | string | undefined
  /** Capture's error name (e.g. `access_token_expired`), when a Capture answer carried one. */
  readonly error?: string | undefined
  /** Capture's `error_description` (or `message`), shortened and scrubbed, when a Capture answer carried one. */
  readonly description?: string | undefined
}

/**
 * The key/secret (or till/password) were refused. Permanent: retrying will not help.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidCredentials extends Data.TaggedError("InvalidCredentials")<Common> {
  readonly action = "Check the API client key and secret (or till id and password) for this cluster."
}

/**
 * The credentials are valid but lack permission (access group, 403 / errorCode 4000).
 *
 * @since 0.1.0
 * @category errors
 */
export class AccessDenied extends Data.TaggedError("AccessDenied")<Common> {
  readonly action = "Grant the API client's access group permission for this resource, or use another client."
}

/**
 * The token expired (498) again right after a fresh one was obtained.
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenExpired extends Data.TaggedError("TokenExpired")<Common> {
  readonly action =
    "A fresh token was refused as expired: check the host clock and the API client's token expiry setting."
}

/**
 * The token was refused (401) again right after a fresh one was obtained.
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenRejected extends Data.TaggedError("TokenRejected")<Common> {
  readonly action = "A fresh token was refused: check the base URL (cluster) matches the API client's org."
}

/**
 * 429: too many requests. `retryAfterMillis` comes from `Retry-After` when sent.
 *
 * @since 0.1.0
 * @category errors
 */
export class RateLimited extends Data.TaggedError("RateLimited")<
  Common & { readonly retryAfterMillis?: number | undefined }
> {
  readonly action = "Slow down: retry after the indicated delay and spread requests over the minute."
}

/**
 * 5xx, 503 / errorCode 4001, 461, 521: the service is temporarily unable to answer.
 *
 * @since 0.1.0
 * @category errors
 */
export class ServiceUnavailable extends Data.TaggedError("ServiceUnavailable")<Common> {
  readonly action =
    "Transient: retry later with backoff; capauth keeps serving a still-valid token meanwhile."
}

/**
 * Network, DNS, timeout or abort: no usable response arrived. `Redirect`: the server redirected a request with
 * credentials to another origin (or to `http:`) and capauth refused to follow it there.
 *
 * @since 0.1.0
 * @category errors
 */
export class TransportError extends Data.TaggedError("TransportError")<
  Common & { readonly reason: "Network" | "Timeout" | "Aborted" | "Redirect" }
> {
  readonly action = "Check connectivity to the Capillary host (DNS, proxy, firewall) and retry."
}

/**
 * The server answered with something that is not the documented shape. `excerpt` is short and redacted.
 *
 * @since 0.1.0
 * @category errors
 */
export class MalformedResponse extends Data.TaggedError("MalformedResponse")<
  Common & { readonly excerpt?: string }
> {
  readonly action = "Unexpected response shape: check the base URL points at a Capillary API host."
}

/**
 * Configuration is missing or invalid. Raised at construction, before any request.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConfigError extends Data.TaggedError("ConfigError")<
  Common & { readonly field?: string | undefined }
> {
  readonly action = "Fix the named setting and restart."
}

/**
 * Capture (Janrain) answered `stat: "error"` with a code that has no class of its own (100 missing_argument,
 * 200 invalid_argument, 420 redirect_uri_mismatch, 540 triggered_error, …). `code` is Capture's number,
 * `error` its name, `description` its `error_description` (or `message`), `requestId` its `request_id` (or
 * `request_token`). Permanent: the same call fails the same way.
 *
 * @since 0.1.0
 * @category errors
 */
export class CaptureError extends Data.TaggedError("CaptureError")<
  Common & { readonly code?: number | undefined }
> {
  readonly action =
    "Capture refused the call: look up `code` / `error` in Capture's error codes and fix the call."
}

/**
 * End-customer Auth Engine, 1505: the login session (`sessionId`) is unknown, expired (about 15 minutes) or
 * already used; at the gateway, the token is not one it accepts. Permanent for this session.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidSession extends Data.TaggedError("InvalidSession")<Common> {
  readonly action = "Start the customer's login again: a new session (startOtp or loginWithPassword)."
}

/**
 * End-customer Auth Engine, 1506: the OTP is wrong. Each wrong OTP counts against the session's attempts.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidOtp extends Data.TaggedError("InvalidOtp")<Common> {
  readonly action = "Ask the customer for the OTP again (the attempts per session are limited)."
}

/**
 * End-customer Auth Engine, 1528: the password is wrong (or the customer has none).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidPassword extends Data.TaggedError("InvalidPassword")<Common> {
  readonly action = "Ask the customer for the password again (wrong passwords are counted)."
}

/**
 * End-customer Auth Engine, 1518 (too many wrong OTPs in this session) or 1530 (too many wrong passwords).
 * `code` tells which.
 *
 * @since 0.1.0
 * @category errors
 */
export class AttemptsExhausted extends Data.TaggedError("AttemptsExhausted")<Common> {
  readonly action =
    "1518: start a new login session for a new OTP; 1530: the customer must reset their password."
}

/**
 * End-customer Auth Engine, 1525: the mobile key or the web token can no longer renew the session (revoked,
 * unknown, or the brand has no password login).
 *
 * @since 0.1.0
 * @category errors
 */
export class CannotRegenerate extends Data.TaggedError("CannotRegenerate")<Common> {
  readonly action = "Log the customer in again (OTP or password); drop the stored key."
}

/**
 * End-customer Auth Engine: a refusal with a code that has no class of its own (1519 invalid details, 1524
 * password login disabled, 1541 identifier mismatch, …). `code` is the Auth Engine's code, `message` its
 * description. Permanent: the same call fails the same way.
 *
 * @since 0.1.0
 * @category errors
 */
export class CustomerAuthError extends Data.TaggedError("CustomerAuthError")<Common> {
  readonly action =
    "The Auth Engine refused the call: look up `code` in Capillary's Auth Engine status codes and fix the call."
}

/**
 * The one list of capauth's errors, by tag. Everything else derives from it: the `AuthError` union,
 * `isAuthError`, the wire form the browser worker and the broker use (`toWire` / `fromWire`), and the status a
 * broker answers with (`brokerStatus`). Adding an error is adding its class above and one line here.
 *
 * @since 0.1.0
 * @category models
 */
export const classes = {
  InvalidCredentials,
  AccessDenied,
  TokenExpired,
  TokenRejected,
  RateLimited,
  ServiceUnavailable,
  TransportError,
  MalformedResponse,
  ConfigError,
  CaptureError,
  InvalidSession,
  InvalidOtp,
  InvalidPassword,
  AttemptsExhausted,
  CannotRegenerate,
  CustomerAuthError
} as const

/**
 * The tag of one of capauth's errors.
 *
 * @since 0.1.0
 * @category models
 */
export type Tag = keyof typeof classes

/**
 * Any capauth error.
 *
 * @since 0.1.0
 * @category models
 */
export type AuthError = InstanceType<(typeof classes)[Tag]>

/**
 * Every tag, in the list's order.
 *
 * @since 0.1.0
 * @category models
 */
export const tags: ReadonlyArray<Tag> = Object.keys(classes) as Array<Tag>

/**
 * Errors worth retrying with backoff: the same request may succeed later.
 *
 * @since 0.1.0
 * @category guards
 */
export const isTransient = (error: AuthError): error is RateLimited | ServiceUnavailable | TransportError =>
  error._tag === "RateLimited" ||
  error._tag === "ServiceUnavailable" ||
  (error._tag === "TransportError" && error.reason !== "Redirect")

const isTag = (u: unknown): u is Tag => typeof u === "string" && Object.hasOwn(classes, u)

/**
 * Whether a value is one of capauth's errors.
 *
 * @since 0.1.0
 * @category guards
 */
export const isAuthError = (u: unknown): u is AuthError =>
  typeof u === "object" && u !== null && "_tag" in u && isTag(u._tag)

/**
 * An error as plain, structured-clone and JSON safe data (no stack, no cause). The worker protocol and the
 * broker carry errors in this form; `fromWire` rebuilds the class on the other side.
 *
 * @since 0.1.0
 * @category models
 */
export interface Wire {
  /** One of `tags`, or the `name` of a non-capauth error. */
  readonly _tag: string
  readonly message: string
  readonly status?: number | undefined
  readonly code?: number | string | undefined
  readonly requestId?: string | undefined
  readonly field?: string | undefined
  readonly reason?: string | undefined
  readonly retryAfterMillis?: number | undefined
  readonly excerpt?: string | undefined
  readonly error?: string | undefined
  readonly description?: string | undefined
}

const wireFields = {
  status: "number",
  requestId: "string",
  field: "string",
  reason: "string",
  retryAfterMillis: "number",
  excerpt: "string",
  error: "string",
  description: "string"
} as const

/**
 * The serialisable fields of an error: any of capauth's, a plain `Error`, or anything thrown.
 *
 * @since 0.1.0
 * @category codecs
 */
export const toWire = (error: unknown): Wire => {
  const e = (typeof error === "object" && error !== null ? error : {}) as Record<string, unknown>
  const wire: Record<string, unknown> = {
    _tag: typeof e._tag === "string" ? e._tag : typeof e.name === "string" ? e.name : "Error",
    message: typeof e.message === "string" ? e.message : String(error)
  }
  for (const [key, type] of Object.entries(wireFields)) if (typeof e[key] === type) wire[key] = e[key]
  if (typeof e.code === "number" || typeof e.code === "string") wire.code = e.code
  return wire as unknown as Wire
}

/**
 * Rebuild an error from its wire form: the matching capauth class, or a plain `Error` named by the tag.
 *
 * @since 0.1.0
 * @category codecs
 */
export const fromWire = (wire: Wire): AuthError | Error => {
  const { _tag, ...fields } = wire
  if (isTag(_tag)) return new classes[_tag](fields as never)
  const error = new Error(wire.message)
  error.name = _tag
  return error
}

/**
 * The HTTP status a token broker answers with when its upstream token request failed: 503 for what may pass
 * (retry later), 500 for a broker that is misconfigured or closed, 502 for what Capillary refused.
 *
 * @since 0.1.0
 * @category utils
 */
export const brokerStatus = (error: AuthError): 500 | 502 | 503 =>
  error._tag === "ConfigError" ? 500 : isTransient(error) ? 503 : 502
