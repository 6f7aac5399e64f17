/**
 * How capauth's requests leave the process: the runtime's default (which honours `HTTPS_PROXY`, `HTTP_PROXY` and
 * `NO_PROXY`), a forward proxy (`proxy`), or a fetch of your own (`fetch`) used for every request: token
 * requests, API calls and their replays. The options are part of each client's input (`CapillaryConfig.Input`,
 * `CaptureConfig.Input`, `CustomerAuthConfig.Input`); each runtime adapter turns a validated `Transport` into a
 * `Route` (an Effect HTTP client for capauth's own requests and a fetch for API calls, sharing one connection
 * pool).
 *
 * A proxy URL may carry credentials (`http://user:pass@proxy:3128`): they are sent to the proxy as
 * `Proxy-Authorization` and kept `Redacted`, out of every error and log line.
 *
 * @example
 * ```ts
 * import { Transport } from "@capauth/core"
 *
 * Transport.make({ proxy: "http://proxy.internal:3128" }) // Result<Transport, ConfigError>
 * Transport.make({ fetch: (input, init) => fetch(input, init) }) // every request through this fetch
 * Transport.make({}) // the runtime's default (and its proxy environment variables)
 * ```
 * @module
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { ConfigError } from "./AuthError.ts"
import { stripUserinfo } from "./internal/redact.ts"

/**
 * The transport options every client takes (at most one of them).
 *
 * @since 0.1.0
 * @category models
 */
export interface Input {
  /**
   * A forward proxy for every request (`http:` or `https:`; `http://user:pass@host:port` sends
   * `Proxy-Authorization`). Not given: the runtime's proxy environment variables (`HTTPS_PROXY`, `HTTP_PROXY`,
   * `NO_PROXY` and their lower-case forms). Not with `fetch`.
   */
  readonly proxy?: string | URL | undefined
  /** A fetch used for every request: token requests, API calls and replays. Not with `proxy`. */
  readonly fetch?: typeof globalThis.fetch | undefined
}

/**
 * A validated transport.
 *
 * @since 0.1.0
 * @category models
 */
export type Transport =
  | { readonly _tag: "Default" }
  | { readonly _tag: "Proxy"; readonly url: Redacted.Redacted<URL> }
  | { readonly _tag: "Fetch"; readonly fetch: typeof globalThis.fetch }

/**
 * The runtime's own transport.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTransport: Transport = { _tag: "Default" }

const invalid = (field: string, message: string) => Result.fail(new ConfigError({ field, message }))

/**
 * Validate the transport options: `proxy` an `http:` or `https:` URL without a path, `fetch` a function, not
 * both. No message holds the proxy's credentials.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (input: Input): Result.Result<Transport, ConfigError> => {
  const { proxy, fetch } = input
  if (fetch !== undefined && typeof fetch !== "function") {
    return invalid("fetch", `fetch must be a function (a fetch implementation), got ${typeof fetch}`)
  }
  if (proxy !== undefined && fetch !== undefined) {
    return invalid(
      "proxy",
      "pass either proxy or fetch, not both: a custom fetch sends every request itself (give it the proxy)"
    )
  }
  if (fetch !== undefined) return Result.succeed({ _tag: "Fetch", fetch })
  if (proxy === undefined) return Result.succeed(defaultTransport)
  if (typeof proxy !== "string" && !(proxy instanceof URL)) {
    return invalid(
      "proxy",
      `proxy must be a URL string, e.g. "http://proxy.internal:3128", got ${typeof proxy}`
    )
  }
  let url: URL
  try {
    url = new URL(proxy)
  } catch {
    return invalid(
      "proxy",
      `proxy is not a URL: ${stripUserinfo(String(proxy)).slice(0, 80)} (e.g. "http://proxy.internal:3128")`
    )
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return invalid("proxy", `proxy must be an http: or https: URL, got ${url.protocol}`)
  }
  if ((url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.hash !== "") {
    return invalid(
      "proxy",
      "proxy must be an origin (scheme, host, port; credentials allowed), without a path"
    )
  }
  return Result.succeed({ _tag: "Proxy", url: Redacted.make(url) })
}

/**
 * How requests leave the process on one runtime: the Effect HTTP client of capauth's own requests (token,
 * Capture, Auth Engine) and the fetch of API calls. `close` releases what the route opened (a proxy's
 * connections).
 *
 * @since 0.1.0
 * @category models
 */
export interface Route {
  readonly httpLayer: Layer.Layer<HttpClient.HttpClient>
  readonly fetch: typeof globalThis.fetch
  readonly close: () => Promise<void>
}

/**
 * What a runtime adapter supplies: its default HTTP client and fetch, and how it reaches a proxy.
 *
 * @since 0.1.0
 * @category models
 */
export interface Platform {
  /** The Effect HTTP client of the default route. */
  readonly httpLayer: Layer.Layer<HttpClient.HttpClient>
  /** The fetch of the default route's API calls (defaults to the global one). */
  readonly fetch?: typeof globalThis.fetch | undefined
  /**
   * The route through the proxy `url`, or, for `undefined`, through the proxy the environment names; `undefined`
   * when the environment names none (the default route is used). Absent: the runtime cannot use a proxy.
   */
  readonly proxy?: ((url: URL | undefined) => Route | undefined) | undefined
}

const noClose = () => Promise.resolve()

/**
 * The route of a custom fetch: capauth's own requests through Effect's `FetchHttpClient` over it, API calls
 * through it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fetchRoute = (fetch: typeof globalThis.fetch): Route => ({
  httpLayer: Layer.provide(FetchHttpClient.layer, Layer.succeed(FetchHttpClient.Fetch, fetch)),
  fetch,
  close: noClose
})

/**
 * The route of a validated transport on a platform. A proxy on a platform that cannot use one is a
 * `ConfigError` (thrown: construction fails before anything is sent).
 *
 * @since 0.1.0
 * @category constructors
 */
export const route = (transport: Transport, platform: Platform): Route => {
  if (transport._tag === "Fetch") return fetchRoute(transport.fetch)
  if (transport._tag === "Proxy") {
    const proxied = platform.proxy?.(Redacted.value(transport.url))
    if (proxied === undefined) {
      throw new ConfigError({
        field: "proxy",
        message: "this runtime cannot send through a proxy: pass a fetch that does instead"
      })
    }
    return proxied
  }
  return (
    platform.proxy?.(undefined) ?? {
      httpLayer: platform.httpLayer,
      fetch: platform.fetch ?? globalThis.fetch.bind(globalThis),
      close: noClose
    }
  )
}

/**
 * The HTTP client of a transport's route as a scoped layer (for the Effect layers of the runtime adapters):
 * what the route opened is released with the layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  transport: Transport,
  platform: Platform
): Layer.Layer<HttpClient.HttpClient, ConfigError> =>
  Layer.unwrap(
    Effect.map(
      Effect.acquireRelease(
        Effect.try({ try: () => route(transport, platform), catch: (error) => error as ConfigError }),
        (opened) => Effect.promise(() => opened.close())
      ),
      (opened) => opened.httpLayer
    )
  )
