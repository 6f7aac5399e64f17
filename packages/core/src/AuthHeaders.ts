/**
 * Pure builders for the headers Capillary wants: the OAuth token header, attribution, Basic till auth.
 *
 * @example
 * ```ts
 * import { AuthHeaders } from "@capauth/core"
 * import { Redacted } from "effect"
 *
 * AuthHeaders.oauth(Redacted.make("eyJ..."), { type: "TILL", code: "store.till1" })
 * // { "x-cap-api-oauth-token": "eyJ...", "content-type": "application/json", accept: "application/json",
 * //   "x-cap-api-attribution-entity-type": "TILL", "x-cap-api-attribution-entity-code": "store.till1" }
 * ```
 * @module
 * @since 0.1.0
 */

import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { ConfigError } from "./AuthError.ts"
import type { Till } from "./Credentials.ts"

/**
 * Header names, lowercase (HTTP header names are case-insensitive; Effect's Headers are lowercase).
 *
 * @since 0.1.0
 * @category constants
 */
export const names = {
  oauthToken: "x-cap-api-oauth-token",
  attributionType: "x-cap-api-attribution-entity-type",
  attributionCode: "x-cap-api-attribution-entity-code",
  /** Replaced in 2020 by the two entity headers; still shown on some pages. */
  legacyTillCode: "x-cap-api-attribution-till-code",
  lookupType: "x-cap-api-attribution-lookup-type",
  lookup: "x-cap-api-attribution-lookup",
  authorization: "authorization",
  requestId: "x-cap-requestid"
} as const

/**
 * The six documented attribution entity types. The server's default is TILL.
 *
 * @since 0.1.0
 * @category constants
 */
export const attributionTypes = [
  "TILL",
  "STORE_CODE",
  "STORE_NAME",
  "STORE_EXTERNAL_ID",
  "STORE_EXTERNAL_ID_1",
  "STORE_EXTERNAL_ID_2"
] as const

/**
 * One of the six documented attribution entity types.
 *
 * @since 0.1.0
 * @category models
 */
export type AttributionType = (typeof attributionTypes)[number]

/**
 * Which till or store a request is attributed to.
 *
 * @since 0.1.0
 * @category models
 */
export interface Attribution {
  readonly type: AttributionType
  readonly code: string
}

const typeSet: ReadonlySet<string> = new Set(attributionTypes)

/** What a header value may hold: printable ASCII and Latin-1, tab and space; never CR, LF or NUL. */
const headerValue = /^[\t\x20-\x7E\x80-\xFF]*$/

/**
 * Validate an attribution: `type` must be one of the six documented values, `code` non-empty.
 *
 * @since 0.1.0
 * @category constructors
 */
export const attribution = (input: {
  readonly type?: string | undefined
  readonly code: string
}): Result.Result<Attribution, ConfigError> => {
  const type =
    input.type === undefined ? "TILL" : typeof input.type === "string" ? input.type.toUpperCase() : "?"
  if (!typeSet.has(type)) {
    return Result.fail(
      new ConfigError({
        field: "attribution.type",
        message: `attribution.type "${String(input.type).slice(0, 40)}" is not one of ${attributionTypes.join(", ")}`
      })
    )
  }
  if (typeof input.code !== "string" || input.code.trim() === "") {
    return Result.fail(
      new ConfigError({ field: "attribution.code", message: "attribution.code must be non-empty" })
    )
  }
  if (!headerValue.test(input.code)) {
    return Result.fail(
      new ConfigError({
        field: "attribution.code",
        message:
          "attribution.code must be printable text: no CR, LF or other control characters (it is sent as a header)"
      })
    )
  }
  return Result.succeed({ type: type as AttributionType, code: input.code })
}

/**
 * Options shaping the headers of one request.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Also send the pre-2020 `X-CAP-API-ATTRIBUTION-TILL-CODE` header (only for TILL attribution). */
  readonly legacyTillHeader?: boolean | undefined
}

const json = { "content-type": "application/json", accept: "application/json" } as const

const withAttribution = (
  headers: Record<string, string>,
  attribution: Attribution | undefined,
  options: Options | undefined
): Record<string, string> => {
  if (attribution !== undefined) {
    headers[names.attributionType] = attribution.type
    headers[names.attributionCode] = attribution.code
    if (options?.legacyTillHeader === true && attribution.type === "TILL") {
      headers[names.legacyTillCode] = attribution.code
    }
  }
  return headers
}

/**
 * Headers for an OAuth call. No `Authorization` header: Capillary wants none with OAuth.
 *
 * @since 0.1.0
 * @category headers
 */
export const oauth = (
  token: Redacted.Redacted<string>,
  attribution?: Attribution,
  options?: Options
): Record<string, string> =>
  withAttribution({ [names.oauthToken]: Redacted.value(token), ...json }, attribution, options)

/**
 * `Basic base64(till + ":" + md5hex(password))`.
 *
 * @since 0.1.0
 * @category headers
 */
export const basicAuthorization = (till: Till): Redacted.Redacted<string> =>
  Redacted.make(`Basic ${base64(`${till.id}:${Redacted.value(till.passwordMd5)}`)}`)

/**
 * Headers for a Basic (till) call.
 *
 * @since 0.1.0
 * @category headers
 */
export const basic = (
  authorization: Redacted.Redacted<string>,
  attribution?: Attribution,
  options?: Options
): Record<string, string> =>
  withAttribution({ [names.authorization]: Redacted.value(authorization), ...json }, attribution, options)

/**
 * v2 lets a till act for another till: both lookup headers or neither.
 *
 * @since 0.1.0
 * @category headers
 */
export const lookup = (lookupType: string, value: string): Record<string, string> => ({
  [names.lookupType]: lookupType,
  [names.lookup]: value
})

const base64 = (text: string): string => {
  let binary = ""
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte)
  return btoa(binary)
}
