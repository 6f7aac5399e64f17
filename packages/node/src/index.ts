/**
 * @capauth/node — capauth on Node.
 * @since 0.1.0
 */
export {
  type CapillaryClientOptions,
  type CapillaryPromiseClient,
  type CapRequestInit,
  createCapillaryClient,
  type TokenInfo
} from "./createCapillaryClient.ts"
export * as FileTokenStore from "./FileTokenStore.ts"
export * as NodeCapillary from "./NodeCapillary.ts"
export * as TokenBroker from "./TokenBroker.ts"
