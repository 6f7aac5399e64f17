/**
 * Building Capture requests (no I/O): every operation is a form-encoded `POST ${baseUrl}/${operation}` whose
 * parameters are encoded as Janrain's own Python library encodes them, authenticated one of four ways:
 *
 * - the API client, per `CaptureConfig.clientAuth`: `basic` (`Authorization: Basic base64(id:secret)`),
 *   `params` (`client_id` and `client_secret` in the form) or `signed` (`Date` and
 *   `Authorization: Signature id:signature`, see `signature`; the secret never travels);
 * - a user's access token: `Authorization: OAuth <token>` (capauth always uses the header, never the
 *   `access_token` parameter, so a token never sits in a form body that proxies or servers may log);
 * - a creation token: the `creation_token` parameter (`entity.create` from an untrusted device);
 * - nothing.
 *
 * The signed text, as Janrain's Python library builds it: `"/" + operation + "\n" + date + "\n"`, then each
 * parameter as `k=v` (values not URL-encoded), the `k=v` strings sorted, each followed by `"\n"`; with no
 * parameters the text ends after the date's `"\n"`. `client_id`, `client_secret` and `access_token` are never
 * signed. (Janrain's samples in other languages sort by key and end an empty list with an extra `"\n"`; capauth
 * follows the Python library.) Signed `/entity.count` with no parameters at 2024-01-02 03:04:05 UTC:
 * `"/entity.count\n2024-01-02 03:04:05\n"`.
 *
 * @example
 * ```ts
 * import { CaptureConfig, CaptureRequest } from "@capauth/core"
 * import { Result } from "effect"
 *
 * const config = Result.getOrThrow(CaptureConfig.make({ baseUrl: "https://app.janraincapture.com", clientId: "id", clientSecret: "s" }))
 * const request = CaptureRequest.request(config, "entity.count", { type_name: "user" }, CaptureRequest.client, Date.now())
 * CaptureRequest.signature("secret", "/entity.count", "2024-01-02 03:04:05", {}) // base64 HMAC-SHA1
 * ```
 * @module
 * @since 0.1.0
 */
import { hmac } from "@noble/hashes/hmac.js"
import { sha1 } from "@noble/hashes/legacy.js"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { ConfigError } from "./AuthError.ts"
import type { CaptureConfig } from "./CaptureConfig.ts"

/**
 * Operation parameters. Strings go as they are; numbers and bigints as their decimal text; booleans as
 * `true` / `false`; objects and arrays as JSON; `Redacted` values revealed when the request is built;
 * `undefined` and `null` are left out (as Janrain's library leaves out `None`).
 *
 * @since 0.1.0
 * @category models
 */
export type Params = Readonly<Record<string, unknown>>

/**
 * How a request authenticates.
 *
 * @since 0.1.0
 * @category models
 */
export type Auth =
  /** The API client, per `CaptureConfig.clientAuth`. */
  | { readonly _tag: "Client" }
  /** A user's access token, as `Authorization: OAuth <token>`. */
  | { readonly _tag: "AccessToken"; readonly token: Redacted.Redacted<string> }
  /** A creation token, as the `creation_token` parameter (for `entity.create`). */
  | { readonly _tag: "CreationToken"; readonly token: Redacted.Redacted<string> }
  | { readonly _tag: "None" }

/**
 * Client authentication (per `CaptureConfig.clientAuth`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const client: Auth = { _tag: "Client" }

/**
 * Access-token authentication.
 *
 * @since 0.1.0
 * @category constructors
 */
export const accessToken = (token: string | Redacted.Redacted<string>): Auth => ({
  _tag: "AccessToken",
  token: Redacted.isRedacted(token) ? token : Redacted.make(token)
})

/**
 * Creation-token authentication (`entity.create`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const creationToken = (token: string | Redacted.Redacted<string>): Auth => ({
  _tag: "CreationToken",
  token: Redacted.isRedacted(token) ? token : Redacted.make(token)
})

/**
 * Parameters that carry credentials: set only by the request's `Auth`, never by the caller, and never signed.
 *
 * @since 0.1.0
 * @category constants
 */
export const credentialParams: ReadonlyArray<string> = ["client_id", "client_secret", "access_token"]

/**
 * One parameter value as Capture expects it, or `undefined` to leave it out.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeValue = (value: unknown): string | undefined => {
  const v = Redacted.isRedacted(value) ? Redacted.value(value) : value
  if (v === undefined || v === null) return undefined
  if (typeof v === "string") return v
  if (typeof v === "boolean") return v ? "true" : "false"
  if (typeof v === "number" || typeof v === "bigint") return String(v)
  return JSON.stringify(v)
}

/**
 * Every parameter encoded, in the caller's order, the left-out ones dropped.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeParams = (params: Params): ReadonlyArray<readonly [string, string]> => {
  const out: Array<readonly [string, string]> = []
  for (const [key, value] of Object.entries(params)) {
    const encoded = encodeValue(value)
    if (encoded !== undefined) out.push([key, encoded])
  }
  return out
}

/** Python's `list.sort()` on `str`: by code point (JavaScript's default compares UTF-16 code units). */
const byCodePoint = (a: string, b: string): number => {
  const x = Array.from(a)
  const y = Array.from(b)
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!
    if (d !== 0) return d
  }
  return x.length - y.length
}

/**
 * The endpoint as signed: the operation with one leading `/`.
 *
 * @since 0.1.0
 * @category signing
 */
export const endpointOf = (operation: string): string => `/${operation.replace(/^\/+/, "")}`

/**
 * The exact text the signed scheme signs (see the module's description).
 *
 * @since 0.1.0
 * @category signing
 */
export const signedText = (endpoint: string, date: string, params: Params): string => {
  const lines = encodeParams(params)
    .filter(([key]) => !credentialParams.includes(key))
    .map(([key, value]) => `${key}=${value}`)
    .sort(byCodePoint)
  return `${endpointOf(endpoint)}\n${date}\n${lines.map((line) => `${line}\n`).join("")}`
}

const utf8 = new TextEncoder()

const base64 = (bytes: Uint8Array): string => {
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/**
 * The signed scheme's signature: `base64(HMAC-SHA1(secret, signedText(endpoint, date, params)))`. `endpoint` is
 * the operation, with or without its leading `/`; `date` is `YYYY-MM-DD HH:MM:SS` (UTC, see `formatDate`);
 * `params` are the request's parameters (credentials among them are not signed).
 *
 * @since 0.1.0
 * @category signing
 */
export const signature = (
  secret: string | Redacted.Redacted<string>,
  endpoint: string,
  date: string,
  params: Params
): string => {
  const key = utf8.encode(Redacted.isRedacted(secret) ? Redacted.value(secret) : secret)
  return base64(hmac(sha1, key, utf8.encode(signedText(endpoint, date, params))))
}

const pad = (n: number) => String(n).padStart(2, "0")

/**
 * The `Date` header of the signed scheme: `YYYY-MM-DD HH:MM:SS` in UTC.
 *
 * @since 0.1.0
 * @category signing
 */
export const formatDate = (at: Date | number): string => {
  const d = typeof at === "number" ? new Date(at) : at
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes()
  )}:${pad(d.getUTCSeconds())}`
}

/** `entity.count`, `oauth/token`, `access/getAuthorizationCode`, …: no `..`, no empty segment, no query. */
const operationPattern = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/

/**
 * Validate an operation name (a leading `/` is accepted and dropped).
 *
 * @since 0.1.0
 * @category constructors
 */
export const operation = (name: unknown): Result.Result<string, ConfigError> => {
  const op = typeof name === "string" ? name.replace(/^\/+/, "") : ""
  return operationPattern.test(op) && !op.split("/").includes("..")
    ? Result.succeed(op)
    : Result.fail(
        new ConfigError({
          field: "operation",
          message: `operation must be a Capture operation name such as "entity.count" or "oauth/token", got ${
            typeof name === "string" ? `"${name.slice(0, 40)}"` : typeof name
          }`
        })
      )
}

/**
 * The URL of an operation: the base URL (origin and any path prefix) + `/` + the operation.
 *
 * @since 0.1.0
 * @category constructors
 */
export const url = (baseUrl: URL, op: string): string =>
  `${baseUrl.origin}${baseUrl.pathname.replace(/\/+$/, "")}/${op}`

const basic = (config: Pick<CaptureConfig, "clientId" | "clientSecret">): string =>
  `Basic ${base64(utf8.encode(`${config.clientId}:${Redacted.value(config.clientSecret)}`))}`

/**
 * Build the request: form-encoded POST of `params` to the operation, authenticated by `auth`. `now` (ms) dates
 * a signed request. Build it when sending (a secret may be revealed into it), never keep one around. Fails with
 * a `ConfigError` for a bad operation name, a parameter that is not an object, or a credential parameter
 * (`client_id`, `client_secret`, `access_token`, and `creation_token` under creation-token auth) set by the
 * caller: credentials travel only as `auth` says.
 *
 * @since 0.1.0
 * @category constructors
 */
export const request = (
  config: Pick<CaptureConfig, "baseUrl" | "clientId" | "clientSecret" | "clientAuth">,
  operationName: string,
  params: Params,
  auth: Auth,
  now: number
): Result.Result<HttpClientRequest.HttpClientRequest, ConfigError> =>
  Result.gen(function* () {
    const op = yield* operation(operationName)
    if (typeof params !== "object" || params === null || Array.isArray(params)) {
      return yield* Result.fail(
        new ConfigError({ field: "params", message: "params must be an object of operation parameters" })
      )
    }
    const reserved =
      auth._tag === "CreationToken" ? [...credentialParams, "creation_token"] : credentialParams
    for (const key of reserved) {
      if (Object.hasOwn(params, key) && params[key] !== undefined) {
        return yield* Result.fail(
          new ConfigError({
            field: `params.${key}`,
            message: `params.${key} is a credential: capauth sets it from the client's configuration or the session, never from params`
          })
        )
      }
    }
    const form = new URLSearchParams()
    for (const [key, value] of encodeParams(params)) form.append(key, value)
    const headers: Record<string, string> = { accept: "application/json" }
    switch (auth._tag) {
      case "Client":
        switch (config.clientAuth) {
          case "basic":
            headers.authorization = basic(config)
            break
          case "params":
            form.append("client_id", config.clientId)
            form.append("client_secret", Redacted.value(config.clientSecret))
            break
          case "signed": {
            const date = formatDate(now)
            headers.date = date
            headers.authorization = `Signature ${config.clientId}:${signature(config.clientSecret, op, date, params)}`
            break
          }
        }
        break
      case "AccessToken":
        headers.authorization = `OAuth ${Redacted.value(auth.token)}`
        break
      case "CreationToken":
        form.append("creation_token", Redacted.value(auth.token))
        break
      case "None":
        break
    }
    return HttpClientRequest.post(url(config.baseUrl, op)).pipe(
      HttpClientRequest.setHeaders(headers),
      HttpClientRequest.bodyText(form.toString(), "application/x-www-form-urlencoded")
    )
  })
