/**
 * The Promise face of capauth's Capture client, for teams without Effect. Written once here; each runtime
 * adapter (`@capauth/node`, `@capauth/deno`) calls `make` with its own HTTP layer and environment reader, and
 * exposes it as `createCaptureClient`.
 *
 * A `stat: "error"` rejects with one of capauth's error classes (`Error` subclasses) carrying `_tag`, `code`
 * (Capture's number), `error`, `description` and `requestId`. No message holds a secret, a code or a token.
 *
 * @example
 * ```ts
 * import * as CapturePromiseClient from "@capauth/core/CapturePromiseClient"
 * import { FetchHttpClient } from "effect/http"
 *
 * declare const uuid: string, redirectUri: string
 *
 * // What `createCaptureClient` of @capauth/node and @capauth/deno does, with their HTTP layer and env reader:
 * const capture = CapturePromiseClient.make(
 *   { baseUrl: "https://myapp.us.janraincapture.com", clientId: "…", clientSecret: "…" },
 *   { httpLayer: FetchHttpClient.layer, env: () => undefined }
 * )
 * const count = await capture.call("entity.count", { type_name: "user" })
 * const code = await capture.authorizationCode({ typeName: "user", uuid, redirectUri })
 * const session = await capture.exchangeCode({ code, redirectUri })
 * const me = await session.call("entity", { type_name: "user" })
 * await capture.close()
 * ```
 * @module
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import type * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { type AuthError, ConfigError, isAuthError } from "./AuthError.ts"
import * as CaptureClient from "./CaptureClient.ts"
import * as CaptureConfig from "./CaptureConfig.ts"
import type * as CaptureRequest from "./CaptureRequest.ts"
import type * as CaptureResponse from "./CaptureResponse.ts"
import type * as CaptureSession from "./CaptureSession.ts"
import { scrubError } from "./internal/redact.ts"
import * as Transport from "./Transport.ts"

/**
 * Options of `createCaptureClient`: each of `baseUrl`, `clientId`, `clientSecret` and `clientAuth` left out is
 * read from `CAPTURE_BASE_URL`, `CAPTURE_CLIENT_ID`, `CAPTURE_CLIENT_SECRET`, `CAPTURE_CLIENT_AUTH`.
 *
 * @since 0.1.0
 * @category models
 */
export type CaptureClientOptions = CaptureConfig.Input

/**
 * A user session, as Promises.
 *
 * @since 0.1.0
 * @category models
 */
export interface CapturePromiseSession {
  /** The key of its refresh token in the store (not secret): `capture.session({ key })` resumes it. */
  readonly key: string
  /** An operation with the user's access token; a 414 refreshes once and sends once more. */
  readonly call: (operation: string, params?: CaptureRequest.Params) => Promise<CaptureResponse.Body>
  /** `{ accessToken, refreshToken, expiresAt }`, refreshed if needed. */
  readonly tokens: () => Promise<CaptureSession.Tokens>
  /** Stops this session's token manager. Idempotent. */
  readonly close: () => Promise<void>
}

/**
 * The Capture client, as Promises.
 *
 * @since 0.1.0
 * @category models
 */
export interface CapturePromiseClient {
  /** A client-authenticated operation; resolves the JSON body of a `stat: "ok"` answer. */
  readonly call: (operation: string, params?: CaptureRequest.Params) => Promise<CaptureResponse.Body>
  /** `access/getAuthorizationCode`: a single-use code (`Redacted.value(code)` to hand it on). */
  readonly authorizationCode: (
    options: CaptureClient.AuthorizationCodeOptions
  ) => Promise<Redacted.Redacted<string>>
  /** `oauth/token` with `grant_type=authorization_code`: a session. */
  readonly exchangeCode: (options: CaptureClient.ExchangeOptions) => Promise<CapturePromiseSession>
  /** Resume a stored session (by refresh token, string or Redacted, or by key). Throws `ConfigError` at once on bad options. */
  readonly session: (options: CaptureClient.ResumeOptions) => CapturePromiseSession
  /** `access/getCreationToken`. */
  readonly creationToken: (
    options: CaptureClient.CreationTokenOptions
  ) => Promise<CaptureResponse.CreationToken>
  /** Closes every session's manager and the HTTP client. Idempotent. */
  readonly close: () => Promise<void>
}

/**
 * What a runtime adapter supplies.
 *
 * @since 0.1.0
 * @category models
 */
export interface Platform extends Transport.Platform {
  /** Reads a `CAPTURE_*` variable (for the options left out). */
  readonly env: (name: CaptureConfig.EnvVar) => string | undefined
}

/**
 * Build the facade. Throws `ConfigError` synchronously on bad options: nothing is sent before config is valid.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: CaptureClientOptions | undefined, platform: Platform): CapturePromiseClient => {
  const parsed = CaptureConfig.make(options ?? {}, platform.env)
  if (Result.isFailure(parsed)) throw parsed.failure
  const config = parsed.success
  const route = Transport.route(config.transport, platform)
  const runtime = ManagedRuntime.make(
    CaptureClient.layerFromConfig(config).pipe(Layer.provide(route.httpLayer))
  )

  let closed = false
  const closedError = () =>
    new ConfigError({ field: "close", message: "this Capture client is closed: create a new one" })

  /** Every rejection goes through here: typed, with the client secret scrubbed (core scrubbed codes and tokens). */
  const clean = (error: unknown): unknown =>
    isAuthError(error) ? scrubError(error, [config.clientSecret]) : error

  const run = <A>(effect: Effect.Effect<A, AuthError, CaptureClient.CaptureClient>): Promise<A> => {
    if (closed) return Promise.reject(closedError())
    return runtime.runPromiseExit(effect).then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      if (closed || Cause.hasInterruptsOnly(exit.cause)) throw closedError()
      throw clean(Cause.squash(exit.cause))
    })
  }

  const withClient = <A>(f: (client: CaptureClient.Service) => Effect.Effect<A, AuthError>) =>
    run(Effect.flatMap(CaptureClient.CaptureClient, f))

  const wrap = (key: string, opened: Promise<CaptureSession.CaptureSession>): CapturePromiseSession => {
    opened.catch(() => undefined) // surfaced by the first use, never as an unhandled rejection
    let sessionClosed = false
    return {
      key,
      call: (operation, params) => opened.then((s) => run(s.call(operation, params))),
      tokens: () => opened.then((s) => run(s.tokens)),
      close: async () => {
        if (sessionClosed || closed) return
        sessionClosed = true
        const s = await opened.catch(() => undefined)
        if (s !== undefined && !closed) await runtime.runPromise(s.close)
      }
    }
  }

  return {
    call: (operation, params) => withClient((c) => c.call(operation, params)),
    authorizationCode: (opts) => withClient((c) => c.authorizationCode(opts)),
    exchangeCode: (opts) =>
      withClient((c) => c.exchangeCode(opts)).then((session) => wrap(session.key, Promise.resolve(session))),
    session: (opts) => {
      if (closed) throw closedError()
      const checked = CaptureClient.resume(config, opts)
      if (Result.isFailure(checked)) throw checked.failure
      return wrap(
        checked.success.key,
        withClient((c) => c.session(opts))
      )
    },
    creationToken: (opts) => withClient((c) => c.creationToken(opts)),
    close: async () => {
      if (closed) return
      closed = true
      await runtime.dispose()
      await route.close()
    }
  }
}
