/**
 * The Promise client for Capture (Janrain / Akamai Identity Cloud) on Deno, for teams without Effect. The same
 * facade as `@capauth/node`'s `createCaptureClient`.
 *
 * @example
 * ```ts
 * import { createCaptureClient } from "@capauth/deno"
 *
 * declare const code: string, redirectUri: string
 *
 * const capture = createCaptureClient({
 *   baseUrl: "https://myapp.us.janraincapture.com", // or CAPTURE_BASE_URL
 *   clientId: Deno.env.get("ID")!,                   // or CAPTURE_CLIENT_ID
 *   clientSecret: Deno.env.get("SECRET")!,           // or CAPTURE_CLIENT_SECRET
 *   clientAuth: "basic"                              // "basic" | "params" | "signed" (or CAPTURE_CLIENT_AUTH)
 * })
 * await capture.call("entity.count", { type_name: "user" })
 * const session = await capture.exchangeCode({ code, redirectUri })
 * await session.call("entity", { type_name: "user" })
 * await capture.close()
 * ```
 * Each of `baseUrl`, `clientId`, `clientSecret` and `clientAuth` left out is read from `Deno.env`: run with
 * `--allow-env=CAPTURE_BASE_URL,CAPTURE_CLIENT_ID,CAPTURE_CLIENT_SECRET,CAPTURE_CLIENT_AUTH` (only the ones read).
 * @module
 * @since 0.1.0
 */
import { CaptureConfig, CapturePromiseClient as Facade } from "@capauth/core"
import { ConfigError } from "@capauth/core/AuthError"
import * as DenoCapillary from "./DenoCapillary.ts"

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
 * Every `CAPTURE_*` variable capauth may read, in the form `--allow-env` takes.
 *
 * @since 0.1.0
 * @category constants
 */
export const captureAllowEnvFlag = `--allow-env=${Object.keys(CaptureConfig.envVars).join(",")}`

/**
 * Read a `CAPTURE_*` variable from `Deno.env`. Throws a `ConfigError` naming the `--allow-env` flag when Deno
 * refuses the read.
 *
 * @since 0.1.0
 * @category environment
 */
export const captureEnv = (name: CaptureConfig.EnvVar): string | undefined => {
  try {
    return Deno.env.get(name)
  } catch (error) {
    if (!DenoCapillary.isPermissionError(error)) throw error
    throw new ConfigError({
      field: name,
      message: `Deno refused to read ${name}: run with ${captureAllowEnvFlag} (or pass the options in code)`
    })
  }
}

/**
 * Create a Capture client. Throws `ConfigError` at once if the options (or environment, or env permission) fall
 * short.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createCaptureClient = (options?: CaptureClientOptions): CapturePromiseClient =>
  Facade.make(options, { ...DenoCapillary.platform, env: captureEnv })
