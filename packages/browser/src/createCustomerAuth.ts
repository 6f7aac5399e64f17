/**
 * End-customer auth (Capillary's Auth Engine) in the page, as Promises: the same facade as `@capauth/node`'s, over
 * the browser's `fetch`. Use `platform: "web"` (the default is `"mobile"`): web logins answer no long-lived key,
 * and the token renews itself with `token/regenerate`. The customer's token lives in the page's memory; keeping
 * it in a worker instead is the worker adapter's job, not this function's.
 *
 * @example
 * ```ts
 * import { createCustomerAuth } from "@capauth/browser"
 *
 * declare const askCustomerForOtp: () => Promise<string>
 *
 * const auth = createCustomerAuth({
 *   cluster: "eu",
 *   gatewayUrl: "https://eu-api-gateway.capillarytech.com/mobile",
 *   brand: "MyBrand",
 *   platform: "web"
 * })
 * const login = await auth.startOtp({ identifierType: "EMAIL", identifierValue: "asha@example.com" })
 * const session = await login.verify(await askCustomerForOtp())
 * const profile = await (await session.fetch("/v1/customer/profile")).json()
 * ```
 * @module
 * @since 0.1.0
 */
import { CustomerPromiseClient as Facade } from "@capauth/core"
import * as FetchHttpClient from "effect/http/FetchHttpClient"

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
 * Create an end-customer auth client over `fetch`. Throws `ConfigError` at once if the options are incomplete.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createCustomerAuth = (options: CustomerAuthOptions): CustomerAuthClient =>
  Facade.make(options, { httpLayer: FetchHttpClient.layer })
