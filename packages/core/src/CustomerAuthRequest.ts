/**
 * Building end-customer Auth Engine requests (no I/O). Every endpoint is a `POST` of a JSON object to
 * `${baseUrl}/auth/v1/<operation>` (mobile) or its twin `${baseUrl}/auth/v1/web/<operation>` (web: no
 * `deviceId`, never a `key`). The documented order:
 *
 * 1. `token/generate` with the identifier, `brand` (and `deviceId`): opens a session (`user.sessionId`);
 * 2. `otp/generate` with the `sessionId`: the customer receives an OTP;
 * 3. `otp/validate` with the `sessionId` and the `otp` (or `password/validate` with the `password` instead of
 *    steps 2-3): answers the customer's token (`auth.token`) and, on mobile, the long-lived `auth.key`;
 * 4. later, `token/regenerate` with the `key` (mobile) or the expired token as `expiredToken` (web).
 *
 * Each builder returns a {@link Call} (operation and body); `request` turns it into an `HttpClientRequest`,
 * revealing `Redacted` values (OTP, password, key, token) only then. The gateway takes the token in
 * `cap_authorization` with `cap_brand`, `cap_device_id` and `cap_mobile` ({@link gatewayHeaders}).
 *
 * @example
 * ```ts
 * import { CustomerAuthConfig, CustomerAuthRequest } from "@capauth/core"
 * import { Redacted, Result } from "effect"
 *
 * const config = Result.getOrThrow(CustomerAuthConfig.make({ cluster: "eu", brand: "MyBrand", deviceId: "d-1" }))
 * const who = Result.getOrThrow(CustomerAuthRequest.identifier({ identifierType: "MOBILE", identifierValue: "919876543210" }))
 * const open = CustomerAuthRequest.tokenGenerate(config, who)
 * const request = CustomerAuthRequest.request(config, open) // POST https://eu-auth-api.capillarytech.com/auth/v1/token/generate
 * const check = CustomerAuthRequest.otpValidate(config, who, "P-1234", Redacted.make("123456"))
 * ```
 * @module
 * @since 0.1.0
 */
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { ConfigError } from "./AuthError.ts"
import type { CustomerAuthConfig, Platform } from "./CustomerAuthConfig.ts"

/**
 * How a customer identifies themselves (`identifierType`).
 *
 * @since 0.1.0
 * @category models
 */
export type IdentifierType = "MOBILE" | "EMAIL" | "USERNAME"

/**
 * The three identifier types.
 *
 * @since 0.1.0
 * @category constants
 */
export const identifierTypes: ReadonlyArray<IdentifierType> = ["MOBILE", "EMAIL", "USERNAME"]

/**
 * A customer's identifier: a mobile number (with country code, e.g. `919876543210`), an email or a username.
 *
 * @since 0.1.0
 * @category models
 */
export interface Identifier {
  readonly identifierType: IdentifierType
  readonly identifierValue: string
}

/**
 * The Auth Engine's operations (paths under `/auth/v1/` or `/auth/v1/web/`).
 *
 * @since 0.1.0
 * @category models
 */
export type Operation =
  | "token/generate"
  | "otp/generate"
  | "otp/validate"
  | "password/validate"
  | "token/regenerate"

/**
 * A request body: strings, with secrets still `Redacted` (revealed by `request`); `undefined` fields are left out.
 *
 * @since 0.1.0
 * @category models
 */
export type Body = Readonly<Record<string, string | Redacted.Redacted<string> | undefined>>

/**
 * One Auth Engine call, not yet sent.
 *
 * @since 0.1.0
 * @category models
 */
export interface Call {
  readonly operation: Operation
  readonly body: Body
}

/**
 * The header names the API gateway reads.
 *
 * @since 0.1.0
 * @category constants
 */
export const headerNames = {
  authorization: "cap_authorization",
  deviceId: "cap_device_id",
  brand: "cap_brand",
  mobile: "cap_mobile"
} as const

const fail = (field: string, message: string) => Result.fail(new ConfigError({ field, message }))

/**
 * Validate an identifier as users pass it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const identifier = (input: {
  readonly identifierType?: unknown
  readonly identifierValue?: unknown
}): Result.Result<Identifier, ConfigError> => {
  if (typeof input !== "object" || input === null) return fail("options", "options must be an object")
  const type = input.identifierType
  if (typeof type !== "string" || !identifierTypes.includes(type as IdentifierType)) {
    return fail("identifierType", `identifierType must be one of ${identifierTypes.join(", ")}`)
  }
  const value = input.identifierValue
  if (typeof value !== "string" || value.trim() === "") {
    return fail("identifierValue", "identifierValue must be a non-empty string")
  }
  return Result.succeed({ identifierType: type as IdentifierType, identifierValue: value.trim() })
}

/**
 * The path of an operation for a platform: `/auth/v1/<operation>` or `/auth/v1/web/<operation>`.
 *
 * @since 0.1.0
 * @category utils
 */
export const path = (operation: Operation, platform: Platform): string =>
  platform === "web" ? `/auth/v1/web/${operation}` : `/auth/v1/${operation}`

/** `brand` always; `deviceId` on mobile only. */
const common = (config: CustomerAuthConfig): Body => ({
  brand: config.brand,
  deviceId: config.platform === "mobile" ? config.deviceId : undefined
})

const who = (id: Identifier | undefined): Body =>
  id === undefined ? {} : { identifierType: id.identifierType, identifierValue: id.identifierValue }

/**
 * `token/generate` with an identifier: opens a session (web: also answers a VIEW token, which capauth ignores).
 *
 * @since 0.1.0
 * @category constructors
 */
export const tokenGenerate = (config: CustomerAuthConfig, id: Identifier): Call => ({
  operation: "token/generate",
  body: { ...who(id), ...common(config) }
})

/**
 * `token/generate` with a validated `sessionId`: the tokens, when a validation answered none (the facts sheet's
 * order: validate, then generate).
 *
 * @since 0.1.0
 * @category constructors
 */
export const tokenForSession = (
  config: CustomerAuthConfig,
  id: Identifier | undefined,
  sessionId: string
): Call => ({
  operation: "token/generate",
  body: { ...who(id), ...common(config), sessionId }
})

/**
 * `otp/generate` in a session: the customer receives an OTP (again, replacing the last one, if called twice).
 *
 * @since 0.1.0
 * @category constructors
 */
export const otpGenerate = (
  config: CustomerAuthConfig,
  id: Identifier | undefined,
  sessionId: string
): Call => ({
  operation: "otp/generate",
  body: { ...who(id), ...common(config), sessionId }
})

/**
 * `otp/validate`: the OTP the customer received; answers the tokens.
 *
 * @since 0.1.0
 * @category constructors
 */
export const otpValidate = (
  config: CustomerAuthConfig,
  id: Identifier | undefined,
  sessionId: string,
  otp: Redacted.Redacted<string>
): Call => ({
  operation: "otp/validate",
  body: { ...who(id), ...common(config), sessionId, otp }
})

/**
 * `password/validate`: the customer's password; answers the tokens.
 *
 * @since 0.1.0
 * @category constructors
 */
export const passwordValidate = (
  config: CustomerAuthConfig,
  id: Identifier,
  sessionId: string,
  password: Redacted.Redacted<string>
): Call => ({
  operation: "password/validate",
  body: { ...who(id), ...common(config), sessionId, password }
})

/**
 * `token/regenerate` with the mobile `key`, or on the web with the expired token (`expiredToken`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const regenerate = (
  config: CustomerAuthConfig,
  credential:
    | { readonly key: Redacted.Redacted<string> }
    | { readonly expiredToken: Redacted.Redacted<string> },
  id?: Identifier | undefined
): Call => ({
  operation: "token/regenerate",
  body: {
    ...who(id),
    ...common(config),
    ...("key" in credential ? { key: credential.key } : { expiredToken: credential.expiredToken })
  }
})

/**
 * The JSON body of a call, secrets revealed (for `request`, and for runtimes that send it themselves).
 *
 * @since 0.1.0
 * @category utils
 */
export const json = (call: Call): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(call.body)) {
    if (value !== undefined) out[name] = Redacted.isRedacted(value) ? Redacted.value(value) : value
  }
  return out
}

/**
 * The HTTP request of a call: `POST ${baseUrl}${path}`, JSON in and out. Build it when sending (the body holds
 * the revealed secrets), never keep one around.
 *
 * @since 0.1.0
 * @category constructors
 */
export const request = (config: CustomerAuthConfig, call: Call): HttpClientRequest.HttpClientRequest =>
  HttpClientRequest.post(
    `${config.baseUrl.href.replace(/\/$/, "")}${path(call.operation, config.platform)}`
  ).pipe(HttpClientRequest.acceptJson, HttpClientRequest.bodyJsonUnsafe(json(call)))

/**
 * The gateway headers of a token: `cap_authorization`, `cap_brand`, `cap_device_id` (when the config has a
 * device) and `cap_mobile` (when the customer's mobile is known).
 *
 * @since 0.1.0
 * @category constructors
 */
export const gatewayHeaders = (
  config: CustomerAuthConfig,
  token: Redacted.Redacted<string>,
  mobile?: string | undefined
): Record<string, string> => {
  const headers: Record<string, string> = {
    [headerNames.authorization]: Redacted.value(token),
    [headerNames.brand]: config.brand
  }
  if (config.deviceId !== undefined) headers[headerNames.deviceId] = config.deviceId
  if (mobile !== undefined) headers[headerNames.mobile] = mobile
  return headers
}
