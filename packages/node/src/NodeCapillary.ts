/**
 * Layers wiring `@capauth/core` to Node: token requests over undici (`NodeHttpClient.layerUndici` of
 * `@effect/platform-node`, the fastest Effect HTTP client on Node), config from the environment.
 *
 * @example
 * ```ts
 * import { NodeCapillary } from "@capauth/node"
 * import { CapillaryClient } from "@capauth/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.flatMap(CapillaryClient.CapillaryClient, (client) => client.get("/v2/customers/1"))
 * Effect.runPromise(Effect.scoped(Effect.provide(program, NodeCapillary.layerConfig)))
 * ```
 * @since 0.1.0
 */
import { CapillaryClient, CapillaryConfig, ConfigError, type TokenManager } from "@capauth/core"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

/** The HTTP client capauth uses on Node: undici, with a dispatcher owned (and closed) by the layer. */
export const httpLayer: Layer.Layer<HttpClient.HttpClient> = NodeHttpClient.layerUndici

/** Read a `CAPILLARY_*` variable from `process.env` (the Promise facade's source, read at construction). */
export const env = (name: CapillaryConfig.EnvVar): string | undefined => process.env[name]

/** The variables holding a secret: read with `Config.Redacted`, so Effect never handles them as plain text. */
const secretVars: ReadonlySet<CapillaryConfig.EnvVar> = new Set([
  "CAPILLARY_CLIENT_SECRET",
  "CAPILLARY_TILL_PASSWORD",
  "CAPILLARY_TILL_PASSWORD_MD5"
])

const names = Object.keys(CapillaryConfig.envVars) as ReadonlyArray<CapillaryConfig.EnvVar>

/** The `CAPILLARY_*` variables the current `ConfigProvider` has (absent ones are left out). */
const variables: Config.Config<ReadonlyMap<CapillaryConfig.EnvVar, string | Redacted.Redacted<string>>> =
  Config.all(
    names.map((name) =>
      Config.option<string | Redacted.Redacted<string>>(
        secretVars.has(name) ? Config.Redacted(name) : Config.String(name)
      )
    )
  ).pipe(
    Config.map(
      (values) =>
        new Map(
          names.flatMap((name, i) => {
            const value = values[i]
            return value !== undefined && Option.isSome(value) ? [[name, value.value] as const] : []
          })
        )
    )
  )

/**
 * Validated config from the `CAPILLARY_*` variables, read through Effect's current `ConfigProvider` (by
 * default Effect's environment provider; `ConfigProvider.layer(...)` to read elsewhere). A missing or invalid
 * variable is a `ConfigError` naming it.
 */
export const config: Effect.Effect<CapillaryConfig.CapillaryConfig, ConfigError> = Effect.gen(function* () {
  const values = yield* Effect.mapError(
    variables,
    (error) => new ConfigError({ message: `could not read the CAPILLARY_* variables: ${error.message}` })
  )
  // The core's env rules (shared by process.env, Deno.env and this provider) read text: a secret is revealed
  // only to hand it to them, and CapillaryConfig wraps it in a Redacted again at once.
  const lookup = (name: CapillaryConfig.EnvVar) => {
    const value = values.get(name)
    return value === undefined || typeof value === "string" ? value : Redacted.value(value)
  }
  return yield* Effect.fromResult(CapillaryConfig.fromEnv(lookup))
})

/** The authenticated client and its token manager from explicit options. */
export const layer = (
  input: CapillaryConfig.Input
): Layer.Layer<CapillaryClient.CapillaryClient | TokenManager.TokenManager, ConfigError> =>
  CapillaryClient.layer.pipe(Layer.provide(CapillaryConfig.layer(input)), Layer.provide(httpLayer))

/**
 * The authenticated client and its token manager from the `CAPILLARY_*` variables, read through Effect's
 * current `ConfigProvider` (see `config`). A missing or invalid variable fails the layer with a `ConfigError`
 * naming it, before any request.
 */
export const layerConfig: Layer.Layer<
  CapillaryClient.CapillaryClient | TokenManager.TokenManager,
  ConfigError
> = CapillaryClient.layer.pipe(
  Layer.provide(Layer.effect(CapillaryConfig.CapillaryConfig, config)),
  Layer.provide(httpLayer)
)
