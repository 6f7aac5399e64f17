/**
 * Where Capillary lives: named cluster presets and custom origins.
 *
 * @example
 * ```ts
 * import { Cluster } from "@capauth/core"
 * Cluster.resolve({ cluster: "eu" })          // Result.succeed(URL("https://eu.api.capillarytech.com"))
 * Cluster.resolve({ baseUrl: "http://x.com" }) // Result.fail(ConfigError: http is allowed only on loopback)
 * ```
 * @module
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import { ConfigError } from "./AuthError.ts"
import { stripUserinfo } from "./internal/redact.ts"

/**
 * The documented API hosts. The same host serves v1.1, v2 and v3.
 *
 * @since 0.1.0
 * @category constants
 */
export const presets = {
  apac: "https://apac.api.capillarytech.com",
  apac2: "https://apac2.api.capillarytech.com",
  eu: "https://eu.api.capillarytech.com",
  us: "https://us.api.capillarytech.com",
  ushc: "https://ushc.api.capillarytech.com",
  sea: "https://sea.api.capillarytech.com",
  "north-america": "https://north-america.api.capillarytech.com",
  cn: "https://api.capillarytech.cn.com"
} as const

/**
 * A preset name.
 *
 * @since 0.1.0
 * @category models
 */
export type Preset = keyof typeof presets

const loopbackHosts = new Set(["localhost", "127.0.0.1", "[::1]"])

const isLoopback = (hostname: string): boolean =>
  loopbackHosts.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname)

/**
 * Validate a base URL: any `https:` origin, or `http:` on loopback only (the simulator). Paths, queries and
 * credentials in the URL are refused so requests cannot silently go somewhere unexpected.
 *
 * @since 0.1.0
 * @category constructors
 */
export const parseBaseUrl = (input: string, field = "baseUrl"): Result.Result<URL, ConfigError> => {
  let url: URL
  try {
    url = new URL(input)
  } catch {
    return Result.fail(
      new ConfigError({ field, message: `${field} is not a valid URL: "${excerpt(input)}"` })
    )
  }
  if (url.protocol === "http:" && !isLoopback(url.hostname)) {
    return Result.fail(
      new ConfigError({
        field,
        message: `${field} must use https: (http: is allowed only for loopback hosts such as 127.0.0.1), got ${url.origin}`
      })
    )
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return Result.fail(
      new ConfigError({ field, message: `${field} must be an https: URL, got ${url.protocol}` })
    )
  }
  if (url.username !== "" || url.password !== "") {
    return Result.fail(new ConfigError({ field, message: `${field} must not embed a username or password` }))
  }
  if ((url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.hash !== "") {
    return Result.fail(
      new ConfigError({
        field,
        message: `${field} must be an origin without path or query, e.g. ${url.origin}`
      })
    )
  }
  return Result.succeed(new URL(url.origin))
}

/**
 * Resolve `{ cluster }` or `{ baseUrl }` (exactly one) to the API origin.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (options: {
  readonly cluster?: string | undefined
  readonly baseUrl?: string | URL | undefined
}): Result.Result<URL, ConfigError> => {
  const { cluster, baseUrl } = options
  if (cluster !== undefined && baseUrl !== undefined) {
    return Result.fail(
      new ConfigError({ field: "cluster", message: "Set either cluster or baseUrl, not both" })
    )
  }
  if (baseUrl !== undefined) return parseBaseUrl(String(baseUrl))
  if (cluster !== undefined) {
    const preset = (presets as Record<string, string>)[cluster.toLowerCase()]
    return preset === undefined
      ? Result.fail(
          new ConfigError({
            field: "cluster",
            message: `Unknown cluster "${excerpt(cluster)}": use one of ${Object.keys(presets).join(", ")} or set baseUrl`
          })
        )
      : Result.succeed(new URL(preset))
  }
  return Result.fail(new ConfigError({ field: "baseUrl", message: "Set a cluster (e.g. eu) or a baseUrl" }))
}

/** Echo user input in a message: never a URL's `user:password@`, never more than 60 characters. */
const excerpt = (input: string) => {
  const s = stripUserinfo(input)
  return s.length > 60 ? `${s.slice(0, 60)}…` : s
}
