/**
 * @capauth/node — capauth on Node.
 *
 * @example
 * ```ts
 * import { createCapillaryClient } from "@capauth/node"
 *
 * const cap = createCapillaryClient() // CAPILLARY_* from process.env
 * const customer = await cap.ky.get("v2/customers/123").json()
 * await cap.close()
 * ```
 * @module
 * @since 0.1.0
 */
// The port for a mobile session's key (memory by default; `fromPromise` over your secure storage).
// A pool of clients keyed by org (bounded, least recently used closed first), and tokens sealed at rest.
export { CapillaryClients, CustomerKeyStore, TokenCipher } from "@capauth/core"
// The error family every rejection of the facade belongs to (`instanceof` or `_tag`), from core's one list.
export {
  AccessDenied,
  AttemptsExhausted,
  type AuthError,
  CannotRegenerate,
  CaptureError,
  ConfigError,
  CustomerAuthError,
  InvalidCredentials,
  InvalidOtp,
  InvalidPassword,
  InvalidSession,
  isAuthError,
  MalformedResponse,
  RateLimited,
  ServiceUnavailable,
  TokenExpired,
  TokenRejected,
  TransportError
} from "@capauth/core/AuthError"
export {
  type CapillaryClientOptions,
  type CapillaryPromiseClient,
  type CapRequestInit,
  createCapillaryClient,
  type TokenInfo
} from "./createCapillaryClient.ts"
export {
  type CaptureClientOptions,
  type CapturePromiseClient,
  type CapturePromiseSession,
  createCaptureClient
} from "./createCaptureClient.ts"
export {
  type CustomerAuthClient,
  type CustomerAuthOptions,
  type CustomerOtpLogin,
  type CustomerPromiseSession,
  createCustomerAuth
} from "./createCustomerAuth.ts"
export * as FileTokenStore from "./FileTokenStore.ts"
export * as NodeCapillary from "./NodeCapillary.ts"
export * as TokenBroker from "./TokenBroker.ts"
