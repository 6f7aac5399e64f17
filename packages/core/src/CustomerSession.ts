/**
 * A logged-in customer: the customer's token kept by a `TokenManager` (single flight, renewal ahead of expiry,
 * compare-and-invalidate) over a `TokenSource` that calls `token/regenerate`.
 *
 * - **Lifetime.** Each token's lifetime is its own `exp - iat` (the reference says 15 minutes, its samples show
 *   an hour), placed from the local time its request was sent; the absolute `exp` is never compared with the
 *   local clock.
 * - **Renewal.** Mobile: with the `key` the login answered. The key is long-lived and secret: it is written to the
 *   config's `CustomerKeyStore` at login and read back at each renewal (no other copy is kept unless the store
 *   fails a write). Web: with the token itself (`expiredToken`), held in memory only.
 * - **Gateway.** `execute` sends a request to the gateway with `cap_authorization`, `cap_brand`, `cap_device_id`
 *   and `cap_mobile`. An answer with code 1529 (token expired, with any HTTP status) is the verdict `"expired"` of
 *   `Lifecycle.afterResponse`: that token is invalidated (only if still current), the request is sent again once
 *   with a regenerated token, and a second 1529 is `TokenExpired`, never a loop. Concurrent callers on an
 *   expired token share one regeneration (the manager's single flight).
 *
 * @example
 * ```ts
 * import { CustomerAuth } from "@capauth/core"
 * import { Effect } from "effect"
 * import { HttpClientRequest } from "effect/http"
 *
 * const program = Effect.gen(function* () {
 *   const auth = yield* CustomerAuth.CustomerAuth
 *   const session = yield* auth.resume({}) // the key in the config's key store (mobile)
 *   const response = yield* session.execute(HttpClientRequest.get("/v1/customer/profile"))
 *   return yield* response.json
 * })
 * ```
 * @module
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { IssuedToken } from "./AccessToken.ts"
import * as AccessToken from "./AccessToken.ts"
import { type AuthError, ConfigError, ServiceUnavailable, TokenExpired } from "./AuthError.ts"
import * as CustomerAuthConfig from "./CustomerAuthConfig.ts"
import * as CustomerAuthRequest from "./CustomerAuthRequest.ts"
import * as CustomerAuthResponse from "./CustomerAuthResponse.ts"
import { isJsonDocument } from "./internal/classify.ts"
import * as Customer from "./internal/customer.ts"
import * as Lifecycle from "./internal/lifecycle.ts"
import { withoutRedirects } from "./internal/transport.ts"
import * as TokenManager from "./TokenManager.ts"
import type { TokenSource } from "./TokenSource.ts"

/**
 * How a session starts: from a login's answer, from a mobile key (`undefined`: the one in the key store), or
 * from a web token (expired or not: the first use regenerates it).
 *
 * @since 0.1.0
 * @category models
 */
export type Start =
  | { readonly _tag: "LoggedIn"; readonly tokens: CustomerAuthResponse.Tokens }
  | { readonly _tag: "Key"; readonly key: Redacted.Redacted<string> | undefined }
  | { readonly _tag: "Token"; readonly token: Redacted.Redacted<string> }

/**
 * Options of `make`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly config: CustomerAuthConfig.CustomerAuthConfig
  /** The client Auth Engine and gateway requests go through. */
  readonly http: HttpClient.HttpClient
  readonly start: Start
  /** The customer's identifier, when known: sent with regenerations; a `MOBILE` one is also `cap_mobile`. */
  readonly identifier?: CustomerAuthRequest.Identifier | undefined
  /** `cap_mobile`, when the identifier is not a mobile number. */
  readonly mobile?: string | undefined
}

/**
 * A customer session.
 *
 * @since 0.1.0
 * @category models
 */
export interface CustomerSession {
  readonly platform: CustomerAuthConfig.Platform
  /** A usable token (regenerated if needed). */
  readonly token: Effect.Effect<AccessToken.AccessToken, AuthError>
  /** The gateway headers with a usable token, for your own HTTP client. */
  readonly headers: Effect.Effect<Record<string, string>, AuthError>
  /** The gateway headers of a given token (for facades that hold one already). */
  readonly headersFor: (token: AccessToken.AccessToken) => Record<string, string>
  /** A gateway call (a relative URL is resolved against `gatewayUrl`); 1529 regenerates and sends again, once. */
  readonly execute: (
    request: HttpClientRequest.HttpClientRequest
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, AuthError | HttpClientError.HttpClientError>
  /** Mobile: the key to store (read from the key store); web: `undefined`. */
  readonly key: Effect.Effect<Redacted.Redacted<string> | undefined, AuthError>
  /** The session's token manager (events, stats, explicit refresh). */
  readonly manager: TokenManager.Service
  /** Stop the manager; later calls fail with a `ConfigError`. Idempotent. The stored key stays. */
  readonly close: Effect.Effect<void>
}

/**
 * Where a gateway call goes: a path is appended to `gatewayUrl` (its path kept as a prefix); an absolute URL must
 * be on the gateway's origin, the only one the customer's token is sent to.
 *
 * @since 0.1.0
 * @category utils
 */
export const gatewayTarget = (
  config: CustomerAuthConfig.CustomerAuthConfig,
  input: string | URL
): Result.Result<URL, ConfigError> => {
  const gateway = config.gatewayUrl
  if (gateway === undefined) {
    return Result.fail(
      new ConfigError({
        field: "gatewayUrl",
        message:
          "set gatewayUrl to call the gateway through a session (or send session headers with your own client)"
      })
    )
  }
  const text = String(input)
  const absolute = /^[a-z][a-z\d+.-]*:/i.test(text)
  if (!absolute) {
    const prefix = gateway.href.replace(/\/$/, "")
    return Result.succeed(new URL(`${prefix}${text.startsWith("/") ? "" : "/"}${text}`))
  }
  const url = new URL(text)
  return url.origin === gateway.origin
    ? Result.succeed(url)
    : Result.fail(
        new ConfigError({
          field: "url",
          message: `capauth sends the customer's token only to ${gateway.origin}; use a path or a URL on that origin`
        })
      )
}

/**
 * The regeneration source of a session. Mobile: `token/regenerate` with the key read from the key store (a new
 * key in the answer is stored); web: with the token it handed out last. A login's token is handed out on the
 * first fetch (unless already stale), so the first use sends nothing.
 *
 * @since 0.1.0
 * @category constructors
 */
export const source = (
  options: Options
): {
  readonly source: TokenSource
  /** Write a key to the store (kept in memory instead, with a warning, if the write fails). */
  readonly saveKey: (key: Redacted.Redacted<string>) => Effect.Effect<void>
  /** The key: the store's (or the one held after a failed write). */
  readonly readKey: Effect.Effect<Redacted.Redacted<string> | undefined, AuthError>
} => {
  const { config, start } = options
  const policy = { ...AccessToken.defaultRefreshPolicy, ...config.refresh }
  const id = CustomerAuthConfig.keyId(config)
  let seed: IssuedToken | undefined = start._tag === "LoggedIn" ? start.tokens.issued : undefined
  let webToken: Redacted.Redacted<string> | undefined =
    start._tag === "LoggedIn" ? start.tokens.issued.value : start._tag === "Token" ? start.token : undefined
  /** The key, only when the store refused it (else the store holds the only copy). */
  let unsaved: Redacted.Redacted<string> | undefined

  const saveKey = (key: Redacted.Redacted<string>) =>
    config.keyStore.set(id, key).pipe(
      Effect.as(undefined),
      Effect.catch((e) =>
        Effect.as(
          Effect.logWarning(
            "capauth: the customer key could not be stored; it is held in memory only",
            e.message
          ),
          key
        )
      ),
      Effect.flatMap((held) =>
        Effect.sync(() => {
          unsaved = held
        })
      )
    )

  const readKey: Effect.Effect<Redacted.Redacted<string> | undefined, AuthError> = Effect.suspend(() =>
    unsaved !== undefined
      ? Effect.succeed(unsaved)
      : config.keyStore.get(id).pipe(
          Effect.map(Option.getOrUndefined),
          Effect.mapError(
            () =>
              new ServiceUnavailable({ message: "the customer key store could not be read (see its logs)" })
          )
        )
  )

  const noCredential = (what: string) =>
    Effect.fail(
      new ConfigError({
        field: config.platform === "mobile" ? "key" : "token",
        message: `no ${what} to regenerate the customer's token with: log the customer in again`
      })
    )

  const regenerate: Effect.Effect<IssuedToken, AuthError> = Effect.gen(function* () {
    const deps = { config: options.config, http: options.http }
    if (config.platform === "mobile") {
      const key = yield* readKey
      if (key === undefined) return yield* noCredential("key in the key store")
      const answer = yield* Customer.send(
        deps,
        CustomerAuthRequest.regenerate(config, { key }, options.identifier)
      )
      const tokens = yield* Effect.fromResult(
        CustomerAuthResponse.tokens(answer.body, answer.sentAt, "token/regenerate")
      )
      if (tokens.key !== undefined && Redacted.value(tokens.key) !== Redacted.value(key))
        yield* saveKey(tokens.key)
      return tokens.issued
    }
    const expiredToken = webToken
    if (expiredToken === undefined) return yield* noCredential("token")
    const answer = yield* Customer.send(
      deps,
      CustomerAuthRequest.regenerate(config, { expiredToken }, options.identifier)
    )
    const tokens = yield* Effect.fromResult(
      CustomerAuthResponse.tokens(answer.body, answer.sentAt, "token/regenerate")
    )
    webToken = tokens.issued.value
    return tokens.issued
  })

  const fetch: Effect.Effect<IssuedToken, AuthError> = Effect.suspend(() => {
    const first = seed
    seed = undefined
    if (first === undefined) return regenerate
    return Effect.flatMap(Clock.currentTimeMillis, (now) =>
      AccessToken.freshness(AccessToken.make(first, policy), now) === "stale"
        ? regenerate
        : Effect.succeed(first)
    )
  })

  return { source: { id: `customer:${id}`, fetch }, saveKey, readKey }
}

/**
 * Open a session. Its manager lives in a scope of its own, forked from the current one: closing the caller's
 * scope (the client) closes every session; `close` closes this one alone. A mobile login's key (or the key
 * resumed from) is in the key store before this returns.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<CustomerSession, never, Scope.Scope> =>
  Effect.gen(function* () {
    const { config, http, start } = options
    const scope = yield* Scope.fork(yield* Effect.scope)
    const tokens = source(options)
    if (config.platform === "mobile") {
      const key = start._tag === "LoggedIn" ? start.tokens.key : start._tag === "Key" ? start.key : undefined
      if (key !== undefined) yield* tokens.saveKey(key)
    }
    const manager = yield* Scope.provide(scope)(
      TokenManager.make({ source: tokens.source, refresh: config.refresh })
    )
    const mobile =
      options.mobile ??
      (options.identifier?.identifierType === "MOBILE" ? options.identifier.identifierValue : undefined)
    const headersFor = (token: AccessToken.AccessToken) =>
      CustomerAuthRequest.gatewayHeaders(config, token.value, mobile)

    let closed = false
    const closedError = new ConfigError({
      field: "close",
      message: "this customer session is closed: log in or resume again"
    })
    const open = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E | ConfigError> =>
      Effect.suspend((): Effect.Effect<A, E | ConfigError> => (closed ? Effect.fail(closedError) : effect))

    const execute = (request: HttpClientRequest.HttpClientRequest) =>
      open(
        Effect.gen(function* () {
          const url = yield* Effect.fromResult(gatewayTarget(config, request.url))
          const target = HttpClientRequest.setUrl(request, url.href)
          // A stream body was sent already and cannot be sent again.
          const replayable = request.body._tag !== "Stream"
          for (let replays = 0; ; replays++) {
            const token = yield* manager.get
            const sent = HttpClientRequest.setHeaders(target, headersFor(token))
            const response = yield* withoutRedirects(http.execute(sent))
            const judged = yield* judge(response)
            const next = Lifecycle.afterResponse(CustomerAuthResponse.gatewayVerdict(judged.code), {
              renewable: true,
              replayable,
              replays
            })
            if (next === "Settle") return judged.response
            yield* manager.invalidate(token) // only that token: a fresher one stays
            if (next === "InvalidateAndSettle") {
              return yield* Effect.fail(
                new TokenExpired({
                  code: CustomerAuthResponse.tokenExpiredCode,
                  status: response.status,
                  requestId: response.headers["x-cap-requestid"],
                  message:
                    replays > 0
                      ? "the gateway refused the customer's token as expired (1529) again right after it was regenerated"
                      : "the gateway refused the customer's token as expired (1529) and the request cannot be replayed (its body was a stream)"
                })
              )
            }
          }
        })
      )

    return {
      platform: config.platform,
      token: open(manager.get),
      headers: open(Effect.map(manager.get, headersFor)),
      headersFor,
      execute,
      key: config.platform === "mobile" ? open(tokens.readKey) : Effect.succeed(undefined),
      manager,
      close: Effect.suspend(() => {
        closed = true
        return Scope.close(scope, Exit.void)
      })
    } satisfies CustomerSession
  })

/** The response's envelope code (bounded read, see `internal/customer.ts`), the caller getting the same bytes. */
const judge = (
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<
  { readonly code: number | undefined; readonly response: HttpClientResponse.HttpClientResponse },
  HttpClientError.HttpClientError
> => {
  const { status } = response
  const json = isJsonDocument(response.headers["content-type"])
  if (!json || status < 200 || status === 204 || status === 205 || status === 304) {
    return Effect.succeed({ code: undefined, response })
  }
  const decodeError = (cause: unknown) =>
    new HttpClientError.HttpClientError({
      reason: new HttpClientError.DecodeError({ request: response.request, response, cause })
    })
  const web = new Response(Stream.toReadableStream(response.stream), {
    status,
    headers: response.headers as Record<string, string>
  })
  return Effect.map(
    Effect.tryPromise({
      try: () => Customer.judgeGateway(web, decodeError),
      catch: (e) => (HttpClientError.isHttpClientError(e) ? e : decodeError(e))
    }),
    (judged) => ({
      code: judged.code,
      response: HttpClientResponse.fromWeb(response.request, judged.response)
    })
  )
}
