/**
 * The Promise + ky client for Node, for teams without Effect.
 *
 * @example
 * ```ts
 * import { createCapillaryClient } from "@capauth/node"
 *
 * const cap = createCapillaryClient({
 *   cluster: "eu",
 *   credentials: { key: process.env.KEY!, secret: process.env.SECRET! },
 *   attribution: { type: "TILL", code: "store.till1" }
 * })
 * const body = JSON.stringify({ root: { customer: [{ mobile: "919999999999" }] } })
 * const res = await cap.fetch("/v1.1/customer/add?format=json", { method: "POST", body })
 * const customer = await cap.ky.get("v2/customers/123").json()
 * await cap.close()
 * ```
 * With no options it reads `CAPILLARY_BASE_URL` or `CAPILLARY_CLUSTER`, `CAPILLARY_CLIENT_KEY` and
 * `CAPILLARY_CLIENT_SECRET` (or `CAPILLARY_TILL_ID` with `CAPILLARY_TILL_PASSWORD[_MD5]`),
 * `CAPILLARY_ATTRIBUTION_TYPE`, `CAPILLARY_ATTRIBUTION_CODE`, and optionally `CAPILLARY_CLIENT_KEY_2` /
 * `CAPILLARY_CLIENT_SECRET_2` (a second API client for a rotation), `CAPILLARY_TOKEN_TIMEOUT_MS`,
 * `CAPILLARY_TOKEN_MAX_ATTEMPTS`, `CAPILLARY_TOKEN_COOLDOWN_MS` (the `tokenTimeoutMillis`, `tokenMaxAttempts` and
 * `tokenCooldownMillis` options).
 * @module
 * @since 0.1.0
 */
import type { CapillaryConfig } from "@capauth/core"
import * as PromiseClient from "@capauth/core/PromiseClient"
import * as Transport from "./internal/transport.ts"
import * as NodeCapillary from "./NodeCapillary.ts"

export type { CapillaryPromiseClient, CapRequestInit, TokenInfo } from "@capauth/core/PromiseClient"

/**
 * Options of `createCapillaryClient` (all optional when the environment is set).
 *
 * @since 0.1.0
 * @category models
 */
export type CapillaryClientOptions = CapillaryConfig.Input

/**
 * Create a client. Throws `ConfigError` at once if the options (or environment) are incomplete.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createCapillaryClient = (
  options?: CapillaryClientOptions
): PromiseClient.CapillaryPromiseClient =>
  PromiseClient.make(options, {
    httpLayer: NodeCapillary.httpLayer,
    env: NodeCapillary.env,
    proxy: NodeCapillary.platform.proxy,
    // API calls over undici's request (Bun's undici cannot send: its own fetch there, as for token requests).
    fetch: typeof process.versions.bun === "string" ? undefined : Transport.fetch,
    peekInPlace: Transport.peekInPlace
  })
