/**
 * Layers wiring `@capauth/core` to Deno: token requests over the global `fetch` (`FetchHttpClient.layer`),
 * config from `Deno.env` through Effect's `Config` and a `ConfigProvider` that reads each variable by name, so
 * `--allow-env=<the nine names>` is enough, and a refused read becomes a `ConfigError` that says which flag
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
  type TokenManager
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
 * The authenticated client and its token manager from explicit options.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  input: CapillaryConfig.Input
): Layer.Layer<CapillaryClient.CapillaryClient | TokenManager.TokenManager, ConfigError> =>
  CapillaryClient.layer.pipe(Layer.provide(CapillaryConfig.layer(input)), Layer.provide(httpLayer))

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
