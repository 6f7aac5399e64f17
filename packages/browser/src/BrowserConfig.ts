/**
 * Configuration of the worker that holds the token: where the API is, where tokens come from (your broker),
 * attribution. Validated once, in the worker, before any request; a failure is a `ConfigError` naming the
 * setting. A client secret (or till password) is refused outright: a browser cannot keep a secret.
 *
 * @example
 * ```ts
 * import { BrowserConfig } from "@capauth/browser"
 *
 * BrowserConfig.make({ baseUrl: "https://eu.api.capillarytech.com", brokerUrl: "/capillary/token" }, location.href)
 * // Result.succeed({ baseUrl: URL, brokerUrl: URL, ... })
 * BrowserConfig.make(BrowserConfig.fromQuery("?cluster=eu&brokerUrl=/capillary/token&secret=s"), location.href)
 * // Result.fail(ConfigError: secret is set, but a client secret (or till password) must never be in a browser ...)
 * ```
 * @module
 * @since 0.1.0
 */
import type { RefreshPolicy } from "@capauth/core/AccessToken"
import { ConfigError } from "@capauth/core/AuthError"
import * as AuthHeaders from "@capauth/core/AuthHeaders"
import * as Cluster from "@capauth/core/Cluster"
import * as Result from "effect/Result"

/**
 * What the page (or the worker's URL) passes. Plain data: it crosses `postMessage`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Input {
  /** The API origin (`https:`, or `http:` on loopback). Exactly one of `baseUrl` and `cluster`. */
  readonly baseUrl?: string | undefined
  /** A preset name: apac, apac2, eu, us, ushc, sea, north-america, cn. */
  readonly cluster?: string | undefined
  /** Your server's token broker (`TokenBroker` of `@capauth/node`); relative URLs resolve against the worker's. */
  readonly brokerUrl?: string | undefined
  /** Extra headers for the broker request (e.g. a CSRF token); cookies of the broker's origin go anyway. */
  readonly brokerHeaders?: Readonly<Record<string, string>> | undefined
  /** Default attribution of every request; a request may override it. */
  readonly attribution?: { readonly type?: string | undefined; readonly code: string } | undefined
  readonly legacyTillHeader?: boolean | undefined
  /** Turn 403 responses into `AccessDenied` errors instead of passing them through. */
  readonly mapForbidden?: boolean | undefined
  readonly refresh?: Partial<RefreshPolicy> | undefined
  /** Token (broker) request timeout in ms (default 10 000). */
  readonly tokenTimeoutMillis?: number | undefined
}

/**
 * The validated configuration.
 *
 * @since 0.1.0
 * @category models
 */
export interface BrowserConfig {
  readonly baseUrl: URL
  /** Undefined when the worker was given a token provider in code instead. */
  readonly brokerUrl: URL | undefined
  readonly brokerHeaders: Readonly<Record<string, string>>
  readonly attribution: AuthHeaders.Attribution | undefined
  readonly legacyTillHeader: boolean
  readonly mapForbidden: boolean
  readonly refresh: Partial<RefreshPolicy> | undefined
  readonly tokenTimeoutMillis: number
}

/**
 * Why a secret is refused; the message never repeats the value.
 *
 * @since 0.1.0
 * @category errors
 */
export const secretRefused = (field: string): ConfigError =>
  new ConfigError({
    field,
    message:
      `${field} is set, but a client secret (or till password) must never be in a browser: anyone who opens the ` +
      "page can read it from the page, the worker or the network panel. Keep it on your server, run a token broker " +
      "there (TokenBroker from @capauth/node) and give this worker its brokerUrl."
  })

const secretFields = ["secret", "clientSecret", "password", "passwordMd5", "credentials"] as const

const isLoopback = (host: string) =>
  host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host)

/**
 * Validate. `location` is the worker's (or page's) URL, against which a relative `brokerUrl` resolves.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  input: Input | undefined,
  location?: string
): Result.Result<BrowserConfig, ConfigError> =>
  Result.gen(function* () {
    if (typeof input !== "object" || input === null) {
      return yield* Result.fail(
        new ConfigError({ message: "no configuration: send { baseUrl, brokerUrl } to the worker" })
      )
    }
    const raw = input as Record<string, unknown>
    for (const field of secretFields) {
      if (raw[field] !== undefined) return yield* Result.fail(secretRefused(field))
    }
    const baseUrl = yield* Cluster.resolve({ cluster: input.cluster, baseUrl: input.baseUrl })
    let brokerUrl: URL | undefined
    if (input.brokerUrl !== undefined) {
      try {
        brokerUrl = new URL(input.brokerUrl, location)
      } catch {
        return yield* Result.fail(
          new ConfigError({
            field: "brokerUrl",
            message: "brokerUrl is not a URL (absolute, or relative to the worker)"
          })
        )
      }
      const sameOrigin = location !== undefined && new URL(location).origin === brokerUrl.origin
      if (
        brokerUrl.protocol !== "https:" &&
        !(brokerUrl.protocol === "http:" && (sameOrigin || isLoopback(brokerUrl.hostname)))
      ) {
        return yield* Result.fail(
          new ConfigError({
            field: "brokerUrl",
            message: `brokerUrl must use https: (http: only on loopback or the page's own origin), got ${brokerUrl.origin}`
          })
        )
      }
    }
    const attribution =
      input.attribution === undefined ? undefined : yield* AuthHeaders.attribution(input.attribution)
    const timeout = input.tokenTimeoutMillis ?? 10_000
    if (!(typeof timeout === "number" && timeout > 0)) {
      return yield* Result.fail(
        new ConfigError({
          field: "tokenTimeoutMillis",
          message: "tokenTimeoutMillis must be a positive number"
        })
      )
    }
    return {
      baseUrl,
      brokerUrl,
      brokerHeaders: { ...input.brokerHeaders },
      attribution,
      legacyTillHeader: input.legacyTillHeader === true,
      mapForbidden: input.mapForbidden === true,
      refresh: input.refresh,
      tokenTimeoutMillis: timeout
    }
  })

/**
 * Input from a worker URL's query string: `?baseUrl=…&brokerUrl=…&attributionType=TILL&attributionCode=…`
 * (or `cluster=`). Undefined when it names no API. Secret-looking parameters are kept, so `make` refuses them.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromQuery = (search: string): Input | undefined => {
  const params = new URLSearchParams(search)
  if (!params.has("baseUrl") && !params.has("cluster")) return undefined
  const input: Record<string, unknown> = {}
  for (const name of ["baseUrl", "cluster", "brokerUrl", ...secretFields]) {
    const value = params.get(name)
    if (value !== null) input[name] = value
  }
  const code = params.get("attributionCode")
  if (code !== null) input.attribution = { type: params.get("attributionType") ?? undefined, code }
  return input as Input
}
