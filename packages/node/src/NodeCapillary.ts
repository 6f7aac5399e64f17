/**
 * Layers wiring `@capauth/core` to Node: token requests over undici (`NodeHttpClient.layerUndici`, the fastest
 * Effect HTTP client on Node), config from `process.env`.
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
import { CapillaryClient, CapillaryConfig, type ConfigError, type TokenManager } from "@capauth/core"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Layer from "effect/Layer"

/** The HTTP client capauth uses on Node. */
export const httpLayer = NodeHttpClient.layerUndici

/** Read a `CAPILLARY_*` variable from `process.env`. */
export const env = (name: CapillaryConfig.EnvVar): string | undefined => process.env[name]

/** The authenticated client and its token manager from explicit options. */
export const layer = (
  input: CapillaryConfig.Input
): Layer.Layer<CapillaryClient.CapillaryClient | TokenManager.TokenManager, ConfigError> =>
  CapillaryClient.layer.pipe(Layer.provide(CapillaryConfig.layer(input)), Layer.provide(httpLayer))

/**
 * The authenticated client and its token manager from the `CAPILLARY_*` variables, read through Effect's
 * current `ConfigProvider` (by default `process.env`; `Layer.setConfigProvider` to read elsewhere).
 * A missing or invalid variable fails the layer with a `ConfigError` naming it.
 */
export const layerConfig: Layer.Layer<
  CapillaryClient.CapillaryClient | TokenManager.TokenManager,
  ConfigError
> = CapillaryClient.layer.pipe(Layer.provide(CapillaryConfig.layerConfig), Layer.provide(httpLayer))
