/**
 * End-customer auth (Capillary's Auth Engine) on Node, as Promises: OTP or password login for a brand's app, the
 * customer's token renewed with the mobile key (or the web token), gateway calls with the `cap_*` headers.
 *
 * @example
 * ```ts
 * import { createCustomerAuth } from "@capauth/node"
 *
 * declare const askCustomerForOtp: () => Promise<string>
 *
 * const auth = createCustomerAuth({
 *   cluster: "eu", // or baseUrl: the Auth Engine host
 *   gatewayUrl: "https://eu-api-gateway.capillarytech.com/mobile",
 *   brand: "MyBrand",
 *   deviceId: "device-123" // platform: "mobile" (default) or "web"
 * })
 * const login = await auth.startOtp({ identifierType: "MOBILE", identifierValue: "919876543210" })
 * const session = await login.verify(await askCustomerForOtp()) // or auth.loginWithPassword({ ..., password })
 * const profile = await (await session.fetch("/v1/customer/profile")).json()
 * const key = await session.key() // Redacted: keep it in secure storage, later auth.resume({ key })
 * await auth.close()
 * ```
 * @module
 * @since 0.1.0
 */
import { CustomerPromiseClient as Facade } from "@capauth/core"
import * as NodeCapillary from "./NodeCapillary.ts"

/**
 * Options of `createCustomerAuth`.
 *
 * @since 0.1.0
 * @category models
 */
export type CustomerAuthOptions = Facade.CustomerAuthOptions

/**
 * The client `createCustomerAuth` returns.
 *
 * @since 0.1.0
 * @category models
 */
export type CustomerAuthClient = Facade.CustomerAuthClient

/**
 * A logged-in customer (`verify`, `loginWithPassword`, `resume`).
 *
 * @since 0.1.0
 * @category models
 */
export type CustomerPromiseSession = Facade.CustomerPromiseSession

/**
 * An OTP login under way (`startOtp`).
 *
 * @since 0.1.0
 * @category models
 */
export type CustomerOtpLogin = Facade.CustomerOtpLogin

/**
 * Create an end-customer auth client. Throws `ConfigError` at once if the options are incomplete.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createCustomerAuth = (options: CustomerAuthOptions): CustomerAuthClient =>
  Facade.make(options, NodeCapillary.platform)
