/**
 * @capauth/deno — capauth on Deno: Layers over `fetch`, config from `Deno.env`, the Promise + ky facade and a
 * Deno KV token store.
 * @since 0.1.0
 */
export {
  type CapillaryClientOptions,
  type CapillaryPromiseClient,
  type CapRequestInit,
  createCapillaryClient,
  type TokenInfo
} from "./createCapillaryClient.ts"
export * as DenoCapillary from "./DenoCapillary.ts"
export * as DenoKvTokenStore from "./DenoKvTokenStore.ts"
