/**
 * Layers wiring `@capauth/core` to Deno: token requests over the global `fetch` (`FetchHttpClient.layer`),
 * config from `Deno.env` through Effect's `Config` and a `ConfigProvider` that reads each variable by name, so
 * `--allow-env=<the twelve names>` is enough, and a refused read becomes a `ConfigError` that says which flag
 * to add.
 *
 * @example
 * ```ts
 * import { DenoCapillary } from "@capauth/deno"
 * import { CapillaryClient } from "@capauth/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.flatMap(CapillaryClient.CapillaryClient, (client) => client.get("/v2/customers/1"))
 * await Effect.runPromise(Effect.scoped(Effect.provide(program, DenoCapillary.layerConfig)))
 * ```
 * @module
 * @since 0.1.0
 */
import {
  CapillaryClient,
  CapillaryConfig,
  CaptureConfig,
  ConfigError,
  type TokenManager,
  Transport
} from "@capauth/core"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"

/**
 * The HTTP client capauth uses on Deno: the runtime's own `fetch`.
 *
 * @since 0.1.0
 * @category layers
 */
export const httpLayer: Layer.Layer<HttpClient.HttpClient> = FetchHttpClient.layer

/** Through `url` with a `Deno.HttpClient` of its own; the environment's proxy is Deno's fetch's business. */
const proxyRoute = (url: URL | undefined): Transport.Route | undefined => {
  // Deno's fetch reads HTTPS_PROXY, HTTP_PROXY and NO_PROXY itself (no --allow-env needed).
  if (url === undefined) return undefined
  const basicAuth =
    url.username === "" && url.password === ""
      ? undefined
      : { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
  const origin = `${url.protocol}//${url.host}`
  let client: Deno.HttpClient
  try {
    client = Deno.createHttpClient({
      proxy: basicAuth === undefined ? { url: origin } : { url: origin, basicAuth }
    })
  } catch (error) {
    if (!isPermissionError(error)) throw error
    throw new ConfigError({
      field: "proxy",
      message: `Deno refused net access to the proxy: run with --allow-net=${url.host} (and the Capillary host)`
    })
  }
  const fetch: typeof globalThis.fetch = (input, init) =>
    globalThis.fetch(input, { ...init, client } as unknown as RequestInit)
  return {
    ...Transport.fetchRoute(fetch),
    close: () => Promise.resolve(client.close())
  }
}

/**
 * How capauth's requests leave a Deno process (`Transport.Platform`): the runtime's `fetch`, which honours
 * `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` itself; with the `proxy` option, a `Deno.createHttpClient` with
 * that proxy for token requests and API calls alike, closed with the client.
 * `Transport.layer(transport, DenoCapillary.platform)` is the HTTP client of any capauth layer with those rules.
 *
 * @since 0.1.0
 * @category layers
 */
export const platform: Transport.Platform = { httpLayer, proxy: proxyRoute }

const envVarNames = Object.keys(CapillaryConfig.envVars) as ReadonlyArray<CapillaryConfig.EnvVar>

/**
 * Every variable capauth may read, in the form `--allow-env` takes.
 *
 * @since 0.1.0
 * @category constants
 */
export const allowEnvFlag = `--allow-env=${envVarNames.join(",")}`

/**
 * Whether an error is Deno refusing a permission (`NotCapable` since Deno 2, `PermissionDenied` before).
 *
 * @since 0.1.0
 * @category guards
 */
export const isPermissionError = (error: unknown): boolean =>
  (typeof Deno.errors.NotCapable === "function" && error instanceof Deno.errors.NotCapable) ||
  error instanceof Deno.errors.PermissionDenied

/** The flag a `CAPTURE_*` variable needs (`captureAllowEnvFlag` of createCaptureClient.ts). */
const captureFlag = `--allow-env=${Object.keys(CaptureConfig.envVars).join(",")}`

const refused = (name: string) =>
  new ConfigError({
    field: name,
    message: `Deno refused to read ${name}: run with ${
      Object.hasOwn(CaptureConfig.envVars, name) ? captureFlag : allowEnvFlag
    } (or pass the options in code)`
  })

/**
 * Read a `CAPILLARY_*` variable from `Deno.env` (the Promise facade's synchronous reader). Throws a
 * `ConfigError` naming the `--allow-env` flag when Deno refuses the read.
 *
 * @since 0.1.0
 * @category environment
 */
export const env = (name: CapillaryConfig.EnvVar): string | undefined => {
  try {
    return Deno.env.get(name)
  } catch (error) {
    if (!isPermissionError(error)) throw error
    throw refused(name)
  }
}

/**
 * Effect's `ConfigProvider` over `Deno.env`, reading only the variable asked for (path segments joined with
 * `_`, as `ConfigProvider.fromEnv` does). Effect's default `ConfigProvider.fromEnv()` copies the whole
 * `process.env`, which Deno allows only with an unrestricted `--allow-env`. Blank reads as unset. A refused
 * read fails with a `SourceError` naming the variable and the flag to add (`allowEnvFlag`, or
 * `captureAllowEnvFlag` for a `CAPTURE_*` name). `ConfigProvider.layer(DenoCapillary.configProvider)` makes it
 * the provider of a whole program, e.g. of `CaptureClient.layerConfig`.
 *
 * @since 0.1.0
 * @category environment
 */
export const configProvider: ConfigProvider.ConfigProvider = ConfigProvider.make((path) => {
  const name = path.join("_")
  return Effect.try({
    try: () => {
      const value = Deno.env.get(name)
      return value === undefined || value === "" ? undefined : ConfigProvider.makeValue(value)
    },
    catch: (cause) =>
      new ConfigProvider.SourceError({
        message: isPermissionError(cause) ? refused(name).message : `could not read ${name} from Deno.env`,
        cause
      })
  })
})

/**
 * Validated config from the `CAPILLARY_*` variables: core's `CapillaryConfig.fromConfig` over `configProvider`,
 * read when the effect runs (not at import). A refused read fails with a `ConfigError` naming the first variable
 * validation needs and the `--allow-env` flag, as the Promise facade's does.
 *
 * @since 0.1.0
 * @category environment
 */
export const config: Effect.Effect<CapillaryConfig.CapillaryConfig, ConfigError> = Effect.provideService(
  CapillaryConfig.fromConfig,
  ConfigProvider.ConfigProvider,
  configProvider
)

/**
 * The authenticated client and its token manager from explicit options, `proxy` and `fetch` included.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  input: CapillaryConfig.Input
): Layer.Layer<CapillaryClient.CapillaryClient | TokenManager.TokenManager, ConfigError> =>
  CapillaryClient.layer.pipe(
    Layer.provide(
      Layer.unwrap(
        Effect.map(Effect.service(CapillaryConfig.CapillaryConfig), (config) =>
          Transport.layer(config.transport, platform)
        )
      )
    ),
    Layer.provide(CapillaryConfig.layer(input))
  )

/**
 * The authenticated client and its token manager from the `CAPILLARY_*` environment variables.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<
  CapillaryClient.CapillaryClient | TokenManager.TokenManager,
  ConfigError
> = CapillaryClient.layer.pipe(
  Layer.provide(Layer.effect(CapillaryConfig.CapillaryConfig, config)),
  Layer.provide(httpLayer)
)
