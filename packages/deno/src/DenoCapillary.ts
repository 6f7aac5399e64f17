/**
 * Layers wiring `@capauth/core` to Deno: token requests over the global `fetch` (`FetchHttpClient.layer`),
 * config from `Deno.env`. Each variable is read by name, so `--allow-env=<the nine names>` is enough, and a
 * refused read becomes a `ConfigError` that says which flag to add.
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
 * @since 0.1.0
 */
import { CapillaryClient, CapillaryConfig, ConfigError, type TokenManager } from "@capauth/core"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"

/** The HTTP client capauth uses on Deno: the runtime's own `fetch`. */
export const httpLayer: Layer.Layer<HttpClient.HttpClient> = FetchHttpClient.layer

/** Every variable capauth may read, in the form `--allow-env` takes. */
export const allowEnvFlag = `--allow-env=${Object.keys(CapillaryConfig.envVars).join(",")}`

/** Whether an error is Deno refusing a permission (`NotCapable` since Deno 2, `PermissionDenied` before). */
export const isPermissionError = (error: unknown): boolean =>
  (typeof Deno.errors.NotCapable === "function" && error instanceof Deno.errors.NotCapable) ||
  error instanceof Deno.errors.PermissionDenied

/**
 * Read a `CAPILLARY_*` variable from `Deno.env`. Throws a `ConfigError` naming the `--allow-env` flag when
 * Deno refuses the read.
 */
export const env = (name: CapillaryConfig.EnvVar): string | undefined => {
  try {
    return Deno.env.get(name)
  } catch (error) {
    if (!isPermissionError(error)) throw error
    throw new ConfigError({
      field: name,
      message: `Deno refused to read ${name}: run with ${allowEnvFlag} (or pass the options in code)`
    })
  }
}

/** Validated config from the `CAPILLARY_*` variables, read when the effect runs (not at import). */
export const config: Effect.Effect<CapillaryConfig.CapillaryConfig, ConfigError> = Effect.suspend(() => {
  try {
    return CapillaryConfig.fromEnv(env)
  } catch (error) {
    if (error instanceof ConfigError) return Either.left(error)
    throw error
  }
})

/** The authenticated client and its token manager from explicit options. */
export const layer = (
  input: CapillaryConfig.Input
): Layer.Layer<CapillaryClient.CapillaryClient | TokenManager.TokenManager, ConfigError> =>
  CapillaryClient.layer.pipe(Layer.provide(CapillaryConfig.layer(input)), Layer.provide(httpLayer))

/** The authenticated client and its token manager from the `CAPILLARY_*` environment variables. */
export const layerConfig: Layer.Layer<
  CapillaryClient.CapillaryClient | TokenManager.TokenManager,
  ConfigError
> = CapillaryClient.layer.pipe(
  Layer.provide(Layer.effect(CapillaryConfig.CapillaryConfig, config)),
  Layer.provide(httpLayer)
)
