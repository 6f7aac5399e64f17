/**
 * Layers wiring `@capauth/core` to Node: token requests over undici (`NodeHttpClient.layerUndici` of
 * `@effect/platform-node`, the fastest Effect HTTP client on Node; on Bun, its own `fetch`), config from the
 * environment.
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
 * @module
 * @since 0.1.0
 */
import {
  CapillaryClient,
  CapillaryConfig,
  type ConfigError,
  type TokenManager,
  Transport
} from "@capauth/core"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import { proxyRoute } from "./internal/proxy.ts"

/**
 * The HTTP client capauth uses on Node: undici, with a dispatcher owned (and closed) by the layer. On Bun
 * (`process.versions.bun` set), whose built-in `undici` module has an `Agent` that cannot send (no `request`, no
 * `destroy`), Bun's own `fetch` (`NodeHttpClient.layerFetch`, as on Deno) instead.
 *
 * @since 0.1.0
 * @category layers
 */
export const httpLayer: Layer.Layer<HttpClient.HttpClient> =
  typeof process.versions.bun === "string" ? NodeHttpClient.layerFetch : NodeHttpClient.layerUndici

/**
 * How capauth's requests leave a Node process (`Transport.Platform`): `httpLayer` by default; through a proxy
 * with an undici `ProxyAgent` (the `proxy` option) or `EnvHttpProxyAgent` (when `HTTPS_PROXY` / `HTTP_PROXY` is
 * set; `NO_PROXY` honoured), one dispatcher per client for token requests and API calls, closed with it. The
 * process-wide global dispatcher is never changed. `Transport.layer(transport, NodeCapillary.platform)` is the
 * HTTP client of any capauth layer (e.g. `CaptureClient.layerConfig`) with those rules.
 *
 * @since 0.1.0
 * @category layers
 */
export const platform: Transport.Platform = { httpLayer, proxy: proxyRoute }

/** The HTTP client of the configured transport (`proxy`, `fetch`, or the default with the proxy variables). */
const transportLayer = Layer.unwrap(
  Effect.map(Effect.service(CapillaryConfig.CapillaryConfig), (config) =>
    Transport.layer(config.transport, platform)
  )
)

/**
 * Read a `CAPILLARY_*` variable from `process.env` (the Promise facade's source, read at construction).
 *
 * @since 0.1.0
 * @category environment
 */
export const env = (name: CapillaryConfig.EnvVar): string | undefined => process.env[name]

/**
 * Validated config from the `CAPILLARY_*` variables, read through Effect's current `ConfigProvider` (by
 * default Effect's environment provider; `ConfigProvider.layer(...)` to read elsewhere), secrets as
 * `Config.Redacted`. A missing or invalid variable is a `ConfigError` naming it. (Core's `fromConfig`.)
 *
 * @since 0.1.0
 * @category environment
 */
export const config: Effect.Effect<CapillaryConfig.CapillaryConfig, ConfigError> = CapillaryConfig.fromConfig

/**
 * The authenticated client and its token manager from explicit options, `proxy` and `fetch` included (without
 * them, the proxy variables of the environment apply).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  input: CapillaryConfig.Input
): Layer.Layer<CapillaryClient.CapillaryClient | TokenManager.TokenManager, ConfigError> =>
  CapillaryClient.layer.pipe(Layer.provide(transportLayer), Layer.provide(CapillaryConfig.layer(input)))

/**
 * The authenticated client and its token manager from the `CAPILLARY_*` variables, read through Effect's
 * current `ConfigProvider` (see `config`). A missing or invalid variable fails the layer with a `ConfigError`
 * naming it, before any request.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<
  CapillaryClient.CapillaryClient | TokenManager.TokenManager,
  ConfigError
> = CapillaryClient.layer.pipe(Layer.provide(transportLayer), Layer.provide(CapillaryConfig.layerConfig))
