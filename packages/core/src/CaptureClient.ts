/**
 * The Capture client: client-authenticated operations (`call`, `authorizationCode`, `creationToken`), the code
 * exchange that opens a user session (`exchangeCode`), and resuming one from a refresh token (`session`). Every
 * request is built by `CaptureRequest` and read by `CaptureResponse`; 480 and 510 (and 429, 503) are retried
 * with the backoff `Lifecycle.retryDelay` decides. Sessions (`CaptureSession`) live in the client's scope.
 *
 * @example
 * ```ts
 * import { CaptureClient } from "@capauth/core"
 * import { Effect, Layer } from "effect"
 * import { FetchHttpClient } from "effect/http"
 *
 * declare const uuid: string, redirectUri: string, clientId: string, clientSecret: string
 *
 * const program = Effect.gen(function* () {
 *   const capture = yield* CaptureClient.CaptureClient
 *   const count = yield* capture.call("entity.count", { type_name: "user" })
 *   const code = yield* capture.authorizationCode({ typeName: "user", uuid, redirectUri })
 *   const session = yield* capture.exchangeCode({ code, redirectUri })
 *   return yield* session.call("entity", { type_name: "user" })
 * })
 * const Live = CaptureClient.layer({ baseUrl: "https://myapp.us.janraincapture.com", clientId, clientSecret }).pipe(
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * Effect.runPromise(Effect.scoped(Effect.provide(program, Live)))
 * // or from the CAPTURE_* variables, through Effect's ConfigProvider: CaptureClient.layerConfig
 * ```
 * @module
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import * as AccessToken from "./AccessToken.ts"
import { type AuthError, ConfigError } from "./AuthError.ts"
import * as CaptureConfig from "./CaptureConfig.ts"
import * as CaptureRequest from "./CaptureRequest.ts"
import * as CaptureResponse from "./CaptureResponse.ts"
import * as CaptureSession from "./CaptureSession.ts"
import * as Capture from "./internal/capture.ts"

/**
 * A secret value as users may pass it.
 *
 * @since 0.1.0
 * @category models
 */
export type Secret = string | Redacted.Redacted<string>

/**
 * Whose authorization code: exactly one of `uuid`, `id`, or `keyAttribute` with `keyValue`.
 *
 * @since 0.1.0
 * @category models
 */
export type Entity =
  | { readonly uuid: string; readonly id?: undefined; readonly keyAttribute?: undefined }
  | { readonly id: string | number; readonly uuid?: undefined; readonly keyAttribute?: undefined }
  | {
      readonly keyAttribute: string
      readonly keyValue: string
      readonly uuid?: undefined
      readonly id?: undefined
    }

/**
 * Options of `authorizationCode` (`access/getAuthorizationCode`).
 *
 * @since 0.1.0
 * @category models
 */
export type AuthorizationCodeOptions = Entity & {
  readonly typeName: string
  /** Must match the one given to `exchangeCode`. */
  readonly redirectUri: string
  /** Seconds (Capture's default 30). */
  readonly lifetime?: number | undefined
  /** The code is then exchanged with *that* client's id and secret. */
  readonly forClientId?: string | undefined
  readonly transactionState?: unknown
}

/**
 * Options of `exchangeCode` (`oauth/token`, `grant_type=authorization_code`).
 *
 * @since 0.1.0
 * @category models
 */
export interface ExchangeOptions {
  readonly code: Secret
  readonly redirectUri: string
  /** The session's key in the refresh token store (default: derived from the first refresh token). */
  readonly key?: string | undefined
}

/**
 * Options of `session`: resume from a refresh token, or from the one the store holds for `key`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResumeOptions {
  readonly refreshToken?: Secret | undefined
  readonly key?: string | undefined
}

/**
 * Options of `creationToken` (`access/getCreationToken`).
 *
 * @since 0.1.0
 * @category models
 */
export interface CreationTokenOptions {
  readonly typeName: string
  /** Seconds (Capture's default 3600). */
  readonly lifetime?: number | undefined
  readonly forClientId?: string | undefined
}

/**
 * The client.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly config: CaptureConfig.CaptureConfig
  /** A client-authenticated operation; the JSON body of a `stat: "ok"` answer. */
  readonly call: (
    operation: string,
    params?: CaptureRequest.Params
  ) => Effect.Effect<CaptureResponse.Body, AuthError>
  readonly authorizationCode: (
    options: AuthorizationCodeOptions
  ) => Effect.Effect<Redacted.Redacted<string>, AuthError>
  /** Exchange a code for a session (its first refresh token is stored before this returns). */
  readonly exchangeCode: (options: ExchangeOptions) => Effect.Effect<CaptureSession.CaptureSession, AuthError>
  /** Resume a session; nothing is sent until it is used. */
  readonly session: (options: ResumeOptions) => Effect.Effect<CaptureSession.CaptureSession, ConfigError>
  readonly creationToken: (
    options: CreationTokenOptions
  ) => Effect.Effect<CaptureResponse.CreationToken, AuthError>
}

/**
 * The service tag.
 *
 * @since 0.1.0
 * @category services
 */
export class CaptureClient extends Context.Service<CaptureClient, Service>()("@capauth/core/CaptureClient") {}

const argument = (field: string, message: string) => Effect.fail(new ConfigError({ field, message }))

const isText = (u: unknown): u is string => typeof u === "string" && u.trim() !== ""

const secretOf = (u: unknown): Redacted.Redacted<string> | undefined => {
  const value = Redacted.isRedacted(u) ? Redacted.value(u) : u
  return isText(value)
    ? Redacted.isRedacted(u)
      ? (u as Redacted.Redacted<string>)
      : Redacted.make(value)
    : undefined
}

const isLifetime = (u: unknown) => u === undefined || (typeof u === "number" && Number.isInteger(u) && u > 0)

/** The default session key: not secret (a one-way fingerprint), stable for a given first refresh token. */
const keyFor = (config: CaptureConfig.CaptureConfig, refreshToken: Redacted.Redacted<string>) =>
  `capture:${config.baseUrl.host}:${config.clientId}:${AccessToken.fingerprint(refreshToken)}`

/**
 * Validate `session`'s options (synchronously, for facades that must throw at once): the session's key and start.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resume = (
  config: CaptureConfig.CaptureConfig,
  options: ResumeOptions
): Result.Result<{ readonly key: string; readonly start: CaptureSession.Start }, ConfigError> => {
  const fail = (field: string, message: string) => Result.fail(new ConfigError({ field, message }))
  if (typeof options !== "object" || options === null) return fail("options", "options must be an object")
  const given = options.refreshToken
  const refreshToken = given === undefined ? undefined : secretOf(given)
  if (given !== undefined && refreshToken === undefined) {
    return fail("refreshToken", "refreshToken must be a non-empty string or Redacted string")
  }
  const key = options.key
  if (key !== undefined && !isText(key)) return fail("key", "key must be a non-empty string")
  if (refreshToken === undefined) {
    return key === undefined
      ? fail("refreshToken", "give a refreshToken, or the key of a stored session")
      : Result.succeed({ key, start: { _tag: "Resume", refreshToken } })
  }
  return Result.succeed({ key: key ?? keyFor(config, refreshToken), start: { _tag: "Resume", refreshToken } })
}

/**
 * Build the client; its sessions belong to the current `Scope`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  config: CaptureConfig.CaptureConfig
): Effect.Effect<Service, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient
    const scope = yield* Effect.scope
    const deps: Capture.Deps = { config, http }

    const clientCall = (
      operation: string,
      params: CaptureRequest.Params = {},
      known: ReadonlyArray<Redacted.Redacted<string>> = []
    ) =>
      Capture.withBackoff(Capture.send(deps, operation, params, CaptureRequest.client, known), config.backoff)

    // Sessions are forked from the client's scope (whoever's scope the caller runs in): closing the client
    // closes them all.
    const open = (key: string, start: CaptureSession.Start) =>
      Scope.provide(scope)(
        CaptureSession.make({ ...deps, key, start, store: config.tokenStore, refresh: config.refresh })
      )

    const authorizationCode = (options: AuthorizationCodeOptions) =>
      Effect.suspend(() => {
        if (typeof options !== "object" || options === null)
          return argument("options", "options must be an object")
        if (!isText(options.typeName)) return argument("typeName", "typeName must be a non-empty string")
        if (!isText(options.redirectUri))
          return argument("redirectUri", "redirectUri must be a non-empty string")
        const { uuid, id, keyAttribute, keyValue } = options as {
          uuid?: unknown
          id?: unknown
          keyAttribute?: unknown
          keyValue?: unknown
        }
        const chosen = [uuid, id, keyAttribute].filter((u) => u !== undefined).length
        if (chosen !== 1 || (keyAttribute !== undefined) !== (keyValue !== undefined)) {
          return argument("uuid", "give exactly one of uuid, id, or keyAttribute with keyValue")
        }
        if (!isLifetime(options.lifetime))
          return argument("lifetime", "lifetime must be a whole number of seconds")
        return Effect.flatMap(
          clientCall("access/getAuthorizationCode", {
            type_name: options.typeName,
            uuid,
            id,
            key_attribute: keyAttribute,
            key_value: keyValue,
            redirect_uri: options.redirectUri,
            lifetime: options.lifetime,
            for_client_id: options.forClientId,
            transaction_state: options.transactionState
          }),
          (answer) => Effect.fromResult(CaptureResponse.authorizationCode(answer.body))
        )
      })

    const exchangeCode = (options: ExchangeOptions) =>
      Effect.gen(function* () {
        const code = secretOf(options?.code)
        if (code === undefined) return yield* argument("code", "code must be a non-empty string")
        if (!isText(options.redirectUri)) {
          return yield* argument("redirectUri", "redirectUri must be a non-empty string")
        }
        if (options.key !== undefined && !isText(options.key)) {
          return yield* argument("key", "key must be a non-empty string")
        }
        const answer = yield* clientCall(
          "oauth/token",
          { grant_type: "authorization_code", code, redirect_uri: options.redirectUri },
          [code]
        )
        const tokens = yield* Effect.fromResult(CaptureResponse.tokens(answer.body, answer.sentAt))
        return yield* open(options.key ?? keyFor(config, tokens.refreshToken), { _tag: "Exchanged", tokens })
      })

    const session = (options: ResumeOptions) =>
      Effect.flatMap(Effect.fromResult(resume(config, options)), ({ key, start }) => open(key, start))

    const creationToken = (options: CreationTokenOptions) =>
      Effect.suspend(() => {
        if (typeof options !== "object" || options === null)
          return argument("options", "options must be an object")
        if (!isText(options.typeName)) return argument("typeName", "typeName must be a non-empty string")
        if (!isLifetime(options.lifetime))
          return argument("lifetime", "lifetime must be a whole number of seconds")
        const lifetime = options.lifetime ?? 3600
        return Effect.flatMap(
          clientCall("access/getCreationToken", {
            type_name: options.typeName,
            lifetime: options.lifetime,
            for_client_id: options.forClientId
          }),
          (answer) => Effect.fromResult(CaptureResponse.creationToken(answer.body, answer.sentAt, lifetime))
        )
      })

    return {
      config,
      call: (operation, params) => Effect.map(clientCall(operation, params), (answer) => answer.body),
      authorizationCode,
      exchangeCode,
      session,
      creationToken
    } satisfies Service
  })

/**
 * A layer from a validated config.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromConfig = (
  config: CaptureConfig.CaptureConfig
): Layer.Layer<CaptureClient, never, HttpClient.HttpClient> => Layer.effect(CaptureClient, make(config))

/**
 * A layer from user input (`CaptureConfig.make`); `env` fills what the input leaves out.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  input: CaptureConfig.Input,
  env?: CaptureConfig.Env
): Layer.Layer<CaptureClient, ConfigError, HttpClient.HttpClient> =>
  Layer.effect(CaptureClient, Effect.flatMap(Effect.fromResult(CaptureConfig.make(input, env)), make))

/**
 * A layer reading the `CAPTURE_*` variables through Effect's current `ConfigProvider` (`CaptureConfig.fromConfig`:
 * the secret as `Config.Redacted`). A missing or invalid variable fails the layer with a `ConfigError` naming it.
 *
 * @example
 * ```ts
 * import { CaptureClient } from "@capauth/core"
 * import { ConfigProvider, Layer } from "effect"
 * import { FetchHttpClient } from "effect/http"
 *
 * const Live = CaptureClient.layerConfig.pipe(Layer.provide(FetchHttpClient.layer))
 * // from elsewhere than the environment:
 * Live.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { CAPTURE_BASE_URL: "…" } }))))
 * ```
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<CaptureClient, ConfigError, HttpClient.HttpClient> =
  /* @__PURE__ */ Layer.effect(CaptureClient, Effect.flatMap(CaptureConfig.fromConfig, make))
