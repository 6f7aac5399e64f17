/**
 * Validated configuration of end-customer auth (Capillary's Auth Engine: a brand's own mobile or web app logs a
 * customer in by OTP or password and calls the API gateway with the customer's token). Every check happens here,
 * at construction; a failure is a `ConfigError` naming the option. Nothing is read from the environment: the
 * same options work in a browser.
 *
 * - `baseUrl` is the Auth Engine host (`https://eu-auth-api.capillarytech.com`; a path is kept as a prefix, e.g. a
 *   simulator's `/auth-engine`), or `cluster` picks it from {@link authHosts}.
 * - `gatewayUrl` is the API gateway the customer's token is sent to (e.g.
 *   `https://apac2-api-gateway.capillarytech.com/mobile`); without it a session still gives its headers.
 * - `platform` `"mobile"` (default: needs `deviceId`; logins answer a long-lived `key`) or `"web"` (the
 *   `/auth/v1/web/...` twins: no device, no key, the token renews itself).
 *
 * @example
 * ```ts
 * import { CustomerAuthConfig } from "@capauth/core"
 *
 * CustomerAuthConfig.make({
 *   cluster: "eu", // or baseUrl: "https://eu-auth-api.capillarytech.com"
 *   gatewayUrl: "https://eu-api-gateway.capillarytech.com/mobile",
 *   brand: "MyBrand",
 *   deviceId: "device-123"
 * }) // Result<CustomerAuthConfig, ConfigError>
 * ```
 * @module
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Result from "effect/Result"
import { ConfigError } from "./AuthError.ts"
import * as Cluster from "./Cluster.ts"
import * as CustomerKeyStore from "./CustomerKeyStore.ts"
import type * as Lifecycle from "./internal/lifecycle.ts"
import { stripUserinfo } from "./internal/redact.ts"
import * as Transport from "./Transport.ts"

/**
 * Which twin of the Auth Engine's endpoints a client uses.
 *
 * @since 0.1.0
 * @category models
 */
export type Platform = "mobile" | "web"

/**
 * The Auth Engine hosts Capillary documents, by cluster. Any other cluster uses its API host
 * (`Cluster.presets`), as Capillary's newer examples call `{cluster api host}/auth/v1/...` directly.
 *
 * @since 0.1.0
 * @category constants
 */
export const authHosts: Readonly<Partial<Record<Cluster.Preset, string>>> = {
  eu: "https://eu-auth-api.capillarytech.com",
  apac2: "https://apac2-auth-api.capillarytech.com",
  apac: "https://apac-s3wrapper.capillarytech.com"
}

/**
 * What users pass (the Promise facade's options are this shape).
 *
 * @since 0.1.0
 * @category models
 */
export interface Input extends Transport.Input {
  /** The Auth Engine host; a path is kept as a prefix. Exactly one of `baseUrl` and `cluster`. */
  readonly baseUrl?: string | URL | undefined
  /** A cluster preset (`eu`, `apac2`, …): its Auth Engine host ({@link authHosts}) or else its API host. */
  readonly cluster?: string | undefined
  /** The API gateway base URL (a path is kept as a prefix); needed only to call it through a session. */
  readonly gatewayUrl?: string | URL | undefined
  /** The brand (the org's app) as the Auth Engine knows it; sent as `brand` and `cap_brand`. */
  readonly brand?: string | undefined
  /** The device's id; required on mobile (`deviceId`, `cap_device_id`), optional on the web. */
  readonly deviceId?: string | undefined
  /** Default `"mobile"`. */
  readonly platform?: Platform | undefined
  /** Where mobile sessions keep their `key`; in memory by default. */
  readonly keyStore?: CustomerKeyStore.CustomerKeyStore | undefined
  /** Abort an Auth Engine request after this many ms (default 10 000). Gateway calls take the caller's signal. */
  readonly timeoutMillis?: number | undefined
  /** When sessions renew ahead and when a token is too close to expiry to use. */
  readonly refresh?: Partial<Lifecycle.RefreshPolicy> | undefined
}

/**
 * A validated configuration.
 *
 * @since 0.1.0
 * @category models
 */
export interface CustomerAuthConfig {
  /** Origin plus an optional path prefix (no trailing `/`): endpoints are `${baseUrl}/auth/v1/...`. */
  readonly baseUrl: URL
  readonly gatewayUrl: URL | undefined
  readonly brand: string
  readonly deviceId: string | undefined
  readonly platform: Platform
  readonly keyStore: CustomerKeyStore.CustomerKeyStore
  readonly timeout: Duration.Duration
  readonly refresh: Partial<Lifecycle.RefreshPolicy> | undefined
  /** How requests leave the process (`proxy`, `fetch`, or the runtime's default). */
  readonly transport: Transport.Transport
}

const invalid = (field: string, message: string) => Result.fail(new ConfigError({ field, message }))

const describe = (u: unknown) => (u === null ? "null" : Array.isArray(u) ? "an array" : `a ${typeof u}`)

const isObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** Printable ASCII, no CR/LF or control byte: the value travels in a header (`cap_brand`, `cap_device_id`). */
const headerValue = /^[\x20-\x7E]+$/

/**
 * Validate a base URL with an optional path prefix: `https:` (or `http:` on loopback), no userinfo, query or
 * fragment; the path is kept without its trailing `/`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const parseUrl = (input: string | URL, field: string): Result.Result<URL, ConfigError> => {
  let url: URL
  try {
    url = new URL(String(input))
  } catch {
    const shown = stripUserinfo(String(input))
    return invalid(
      field,
      `${field} is not a valid URL: "${shown.length > 60 ? `${shown.slice(0, 60)}…` : shown}"`
    )
  }
  if (url.username !== "" || url.password !== "") {
    return invalid(field, `${field} must not embed a username or password`)
  }
  if (url.search !== "" || url.hash !== "") {
    return invalid(field, `${field} must not have a query or fragment, e.g. ${url.origin}`)
  }
  // The origin goes through the same rules as Capillary's base URLs (https:, http: only on loopback).
  return Result.map(
    Cluster.parseBaseUrl(url.origin, field),
    (origin) => new URL(`${origin.origin}${url.pathname.replace(/\/+$/, "")}`)
  )
}

const authBase = (input: Input): Result.Result<URL, ConfigError> => {
  const { baseUrl, cluster } = input
  if (baseUrl !== undefined && cluster !== undefined) {
    return invalid("cluster", "set either cluster or baseUrl (the Auth Engine host), not both")
  }
  if (baseUrl !== undefined) {
    return typeof baseUrl === "string" || baseUrl instanceof URL
      ? parseUrl(baseUrl, "baseUrl")
      : invalid("baseUrl", `baseUrl must be a string or a URL, got ${describe(baseUrl)}`)
  }
  if (cluster === undefined) {
    return invalid("baseUrl", "set baseUrl (the Auth Engine host) or a cluster (e.g. eu)")
  }
  if (typeof cluster !== "string")
    return invalid("cluster", `cluster must be a string, got ${describe(cluster)}`)
  const preset = cluster.toLowerCase() as Cluster.Preset
  const host = authHosts[preset]
  return host === undefined ? Cluster.resolve({ cluster }) : Result.succeed(new URL(host))
}

const text = (
  value: unknown,
  field: string,
  required: boolean
): Result.Result<string | undefined, ConfigError> => {
  if (value === undefined)
    return required ? invalid(field, `${field} is required`) : Result.succeed(undefined)
  if (typeof value !== "string") return invalid(field, `${field} must be a string, got ${describe(value)}`)
  const trimmed = value.trim()
  if (trimmed === "") return invalid(field, `${field} must not be empty`)
  if (!headerValue.test(trimmed)) {
    return invalid(field, `${field} must be printable ASCII (it travels in a header)`)
  }
  return Result.succeed(trimmed)
}

/**
 * Validate user input.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (input: Input): Result.Result<CustomerAuthConfig, ConfigError> =>
  Result.gen(function* () {
    if (!isObject(input)) {
      return yield* invalid("options", "options must be an object, e.g. { cluster, brand, deviceId }")
    }
    const baseUrl = yield* authBase(input)
    const gateway = input.gatewayUrl
    if (gateway !== undefined && typeof gateway !== "string" && !(gateway instanceof URL)) {
      return yield* invalid("gatewayUrl", `gatewayUrl must be a string or a URL, got ${describe(gateway)}`)
    }
    const gatewayUrl = gateway === undefined ? undefined : yield* parseUrl(gateway, "gatewayUrl")
    const platform = input.platform ?? "mobile"
    if (platform !== "mobile" && platform !== "web") {
      return yield* invalid("platform", `platform must be "mobile" or "web", got ${describe(platform)}`)
    }
    const brand = (yield* text(input.brand, "brand", true)) as string
    const deviceId = yield* text(input.deviceId, "deviceId", platform === "mobile")
    if (input.keyStore !== undefined && !CustomerKeyStore.isCustomerKeyStore(input.keyStore)) {
      return yield* invalid(
        "keyStore",
        `keyStore must be a CustomerKeyStore (an object with get and set functions), got ${describe(input.keyStore)}`
      )
    }
    const timeout = input.timeoutMillis ?? 10_000
    if (typeof timeout !== "number" || !(timeout > 0) || !Number.isFinite(timeout)) {
      return yield* invalid(
        "timeoutMillis",
        "timeoutMillis must be a positive, finite number of milliseconds"
      )
    }
    const transport = yield* Transport.make(input)
    const refresh: unknown = input.refresh
    if (refresh !== undefined && !isObject(refresh)) {
      return yield* invalid("refresh", `refresh must be an object, got ${describe(refresh)}`)
    }
    for (const [key, value] of Object.entries(refresh ?? {})) {
      if (value !== undefined && !(typeof value === "number" && Number.isFinite(value) && value >= 0)) {
        return yield* invalid(`refresh.${key}`, `refresh.${key} must be a finite, non-negative number`)
      }
    }
    return {
      baseUrl,
      gatewayUrl,
      brand,
      deviceId,
      platform,
      keyStore: input.keyStore ?? CustomerKeyStore.memory(),
      timeout: Duration.millis(timeout),
      refresh: refresh as Input["refresh"],
      transport
    }
  })

/**
 * The id of a mobile session's key in the key store: the Auth Engine host, the brand and the device (not secret).
 * One customer per brand and device: a later login (or `resume({ key })`) on the same config replaces the key.
 *
 * @since 0.1.0
 * @category utils
 */
export const keyId = (config: CustomerAuthConfig): string =>
  `capauth:customer:${config.baseUrl.host}${config.baseUrl.pathname.replace(/\/$/, "")}:${config.brand.toLowerCase()}:${config.deviceId ?? ""}`
