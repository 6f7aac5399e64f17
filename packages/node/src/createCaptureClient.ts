/**
 * The Promise client for Capture (Janrain / Akamai Identity Cloud) on Node, for teams without Effect.
 *
 * @example
 * ```ts
 * import { createCaptureClient } from "@capauth/node"
 *
 * declare const clientId: string, clientSecret: string, uuid: string, redirectUri: string, refreshToken: string
 *
 * const capture = createCaptureClient({
 *   baseUrl: "https://myapp.us.janraincapture.com", // or CAPTURE_BASE_URL
 *   clientId, clientSecret,                          // or CAPTURE_CLIENT_ID / CAPTURE_CLIENT_SECRET
 *   clientAuth: "basic"                              // "basic" | "params" | "signed" (or CAPTURE_CLIENT_AUTH)
 * })
 * await capture.call("entity.count", { type_name: "user" })
 * const code = await capture.authorizationCode({ typeName: "user", uuid, redirectUri })
 * const session = await capture.exchangeCode({ code, redirectUri })
 * await session.call("entity", { type_name: "user" })
 * const again = capture.session({ refreshToken })
 * await capture.close()
 * ```
 * Each of `baseUrl`, `clientId`, `clientSecret` and `clientAuth` left out is read from `process.env`
 * (`CAPTURE_BASE_URL`, `CAPTURE_CLIENT_ID`, `CAPTURE_CLIENT_SECRET`, `CAPTURE_CLIENT_AUTH`).
 * @module
 * @since 0.1.0
 */
import { CapturePromiseClient as Facade } from "@capauth/core"
import * as NodeCapillary from "./NodeCapillary.ts"

/**
 * Options of `createCaptureClient` (each one left out is read from its `CAPTURE_*` variable).
 *
 * @since 0.1.0
 * @category models
 */
export type CaptureClientOptions = Facade.CaptureClientOptions

/**
 * The client `createCaptureClient` returns.
 *
 * @since 0.1.0
 * @category models
 */
export type CapturePromiseClient = Facade.CapturePromiseClient

/**
 * A user session (`exchangeCode`, `session`).
 *
 * @since 0.1.0
 * @category models
 */
export type CapturePromiseSession = Facade.CapturePromiseSession

/**
 * Create a Capture client. Throws `ConfigError` at once if the options (or environment) are incomplete.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createCaptureClient = (options?: CaptureClientOptions): CapturePromiseClient =>
  Facade.make(options, { ...NodeCapillary.platform, env: (name) => process.env[name] })
