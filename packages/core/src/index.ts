/**
 * @capauth/core — Capillary authentication as a pure Effect library.
 *
 * Modules (one concept each): Cluster, Credentials, AccessToken, AuthError, AuthHeaders, TokenEndpoint,
 * TokenSource, TokenStore, TokenManager, TokenBroker, CapillaryConfig, CapillaryClient; for Capture: CaptureConfig,
 * CaptureRequest, CaptureResponse, CaptureSession, CaptureClient, RefreshTokenStore, and CapturePromiseClient (the
 * Promise facade adapters expose as `createCaptureClient`; it needs no `ky`); for end-customer auth (the Auth
 * Engine): CustomerAuthConfig, CustomerAuthRequest, CustomerAuthResponse, CustomerKeyStore, CustomerSession,
 * CustomerAuth, and CustomerPromiseClient (adapters expose it as `createCustomerAuth`; it needs only `fetch`).
 * The Promise + ky facade lives in
 * `@capauth/core/PromiseClient` (it needs `ky`), re-exported by each runtime adapter.
 *
 * @example
 * ```ts
 * import { CapillaryClient, CapillaryConfig } from "@capauth/core"
 * import { Effect, Layer } from "effect"
 * import { FetchHttpClient } from "effect/http"
 *
 * // Config from the CAPILLARY_* variables (Effect's ConfigProvider), token requests over fetch.
 * const Live = CapillaryClient.layer.pipe(
 *   Layer.provide(CapillaryConfig.layerConfig),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * const program = Effect.flatMap(CapillaryClient.CapillaryClient, (client) => client.get("/v2/customers/1"))
 * Effect.runPromise(Effect.provide(program, Live))
 * ```
 * @module
 * @since 0.1.0
 */
export * as AccessToken from "./AccessToken.ts"
export * as AuthError from "./AuthError.ts"
export {
  AccessDenied,
  AttemptsExhausted,
  CannotRegenerate,
  CaptureError,
  ConfigError,
  CustomerAuthError,
  InvalidCredentials,
  InvalidOtp,
  InvalidPassword,
  InvalidSession,
  MalformedResponse,
  RateLimited,
  ServiceUnavailable,
  TokenExpired,
  TokenRejected,
  TransportError
} from "./AuthError.ts"
export * as AuthHeaders from "./AuthHeaders.ts"
export * as CapillaryClient from "./CapillaryClient.ts"
export * as CapillaryClients from "./CapillaryClients.ts"
export * as CapillaryConfig from "./CapillaryConfig.ts"
export * as CaptureClient from "./CaptureClient.ts"
export * as CaptureConfig from "./CaptureConfig.ts"
export * as CapturePromiseClient from "./CapturePromiseClient.ts"
export * as CaptureRequest from "./CaptureRequest.ts"
export * as CaptureResponse from "./CaptureResponse.ts"
export * as CaptureSession from "./CaptureSession.ts"
export * as Cluster from "./Cluster.ts"
export * as Credentials from "./Credentials.ts"
export * as CustomerAuth from "./CustomerAuth.ts"
export * as CustomerAuthConfig from "./CustomerAuthConfig.ts"
export * as CustomerAuthRequest from "./CustomerAuthRequest.ts"
export * as CustomerAuthResponse from "./CustomerAuthResponse.ts"
export * as CustomerKeyStore from "./CustomerKeyStore.ts"
export * as CustomerPromiseClient from "./CustomerPromiseClient.ts"
export * as CustomerSession from "./CustomerSession.ts"
export * as RefreshTokenStore from "./RefreshTokenStore.ts"
export * as TokenBroker from "./TokenBroker.ts"
export * as TokenCipher from "./TokenCipher.ts"
export * as TokenEndpoint from "./TokenEndpoint.ts"
export * as TokenManager from "./TokenManager.ts"
export * as TokenSource from "./TokenSource.ts"
export * as TokenStore from "./TokenStore.ts"
export * as Transport from "./Transport.ts"
