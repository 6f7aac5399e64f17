/**
 * A Capture user session: an access token kept by a `TokenManager` (single flight, refresh ahead,
 * compare-and-invalidate) over a `TokenSource` that refreshes with `oauth/token grant_type=refresh_token`.
 *
 * - **Rotation.** Capture's refresh tokens are single-use: each refresh answers a new one. The source writes the
 *   new refresh token to the session's `RefreshTokenStore` *before* it hands the new access token to the
 *   manager, and only then replaces the one it holds in memory. The manager never asks its source twice at
 *   once, so concurrent callers on an expired session cause exactly one refresh. A refresh reads the store
 *   first (another process sharing the key may have rotated the token since), unless the last write failed.
 *   Processes sharing a session key refresh it once between them when the store has `sessionTokens` (a
 *   lease-capable `TokenStore`, e.g. `@capauth/redis`): the lease holder refreshes and stores the rotated pair,
 *   the others adopt the access token and read the refresh token from the store. Without it, two processes
 *   refreshing the same key at the same instant race (one is refused).
 * - **Seeding.** A session opened by the code exchange starts with the exchanged access token: the source hands
 *   it out on its first fetch (unless it is already stale), so the first `get` sends no request.
 * - **Replay.** `call` attaches the access token (`Authorization: OAuth`, never the client's credentials). A
 *   `414 access_token_expired` is the verdict `"expired"` of `Lifecycle.afterResponse`: the token is
 *   invalidated (only if still current), the call is sent again once with a new token, and a second 414 is final.
 *
 * @example
 * ```ts
 * import { CaptureClient } from "@capauth/core"
 * import { Effect } from "effect"
 *
 * declare const code: string, redirectUri: string
 *
 * const program = Effect.gen(function* () {
 *   const capture = yield* CaptureClient.CaptureClient
 *   const session = yield* capture.exchangeCode({ code, redirectUri })
 *   const me = yield* session.call("entity", { type_name: "user" })
 *   const { refreshToken } = yield* session.tokens // persist it to resume later: capture.session({ refreshToken })
 * })
 * ```
 * @module
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as HttpClient from "effect/http/HttpClient"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import type { IssuedToken } from "./AccessToken.ts"
import * as AccessToken from "./AccessToken.ts"
import { type AuthError, ConfigError } from "./AuthError.ts"
import type { CaptureConfig } from "./CaptureConfig.ts"
import * as CaptureRequest from "./CaptureRequest.ts"
import * as CaptureResponse from "./CaptureResponse.ts"
import * as Capture from "./internal/capture.ts"
import * as Lifecycle from "./internal/lifecycle.ts"
import type { RefreshTokenStore } from "./RefreshTokenStore.ts"
import * as TokenManager from "./TokenManager.ts"
import type { TokenSource } from "./TokenSource.ts"

/**
 * How a session starts: from the code exchange's answer (seeded), or from a refresh token (`undefined`: the one
 * the store holds for the key).
 *
 * @since 0.1.0
 * @category models
 */
export type Start =
  | { readonly _tag: "Exchanged"; readonly tokens: CaptureResponse.Tokens }
  | { readonly _tag: "Resume"; readonly refreshToken: Redacted.Redacted<string> | undefined }

/**
 * Options of `make`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly config: CaptureConfig
  /** The HTTP client requests go through. */
  readonly http: HttpClient.HttpClient
  /** The key of this session's refresh token in the store. */
  readonly key: string
  readonly start: Start
  readonly store: RefreshTokenStore
  readonly refresh?: Partial<AccessToken.RefreshPolicy> | undefined
}

/**
 * A session's current tokens.
 *
 * @since 0.1.0
 * @category models
 */
export interface Tokens {
  readonly accessToken: Redacted.Redacted<string>
  readonly refreshToken: Redacted.Redacted<string>
  readonly expiresAt: Date
}

/**
 * A user session.
 *
 * @since 0.1.0
 * @category models
 */
export interface CaptureSession {
  /** The key of its refresh token in the store (not secret). */
  readonly key: string
  /** An operation with the user's access token; a 414 refreshes and sends again, once. */
  readonly call: (
    operation: string,
    params?: CaptureRequest.Params
  ) => Effect.Effect<CaptureResponse.Body, AuthError>
  /** A usable access token (refreshed if needed), the refresh token that goes with it, and its expiry. */
  readonly tokens: Effect.Effect<Tokens, AuthError>
  /** The session's token manager (events, stats, explicit refresh). */
  readonly manager: TokenManager.Service
  /** Stop the manager; later calls fail with a `ConfigError`. Idempotent. */
  readonly close: Effect.Effect<void>
}

/**
 * The refresh-token source of a session. It writes every rotated refresh token to the store before returning
 * the access token that came with it, and hands out `seed` (the code exchange's token) on its first fetch.
 *
 * @since 0.1.0
 * @category constructors
 */
export const source = (
  options: Options
): {
  readonly source: TokenSource
  /** The refresh token held now (`undefined` until read from the store). */
  readonly current: () => Redacted.Redacted<string> | undefined
  /** Persist `refreshToken` then hold it (store failures are logged, never fatal: the token is held anyway). */
  readonly rotate: (refreshToken: Redacted.Redacted<string>) => Effect.Effect<void>
} => {
  const { key, store } = options
  const policy = { ...AccessToken.defaultRefreshPolicy, ...options.refresh }
  let refreshToken =
    options.start._tag === "Exchanged" ? options.start.tokens.refreshToken : options.start.refreshToken
  let seed: IssuedToken | undefined =
    options.start._tag === "Exchanged" ? options.start.tokens.issued : undefined

  /** The token held could not be stored: the store's copy is older (spent), so it must not be read back. */
  let unsaved = false

  const rotate = (next: Redacted.Redacted<string>) =>
    store.set(key, next).pipe(
      Effect.as(false),
      Effect.catch((e) =>
        Effect.as(
          Effect.logWarning(
            "capauth: the rotated Capture refresh token could not be stored; it is held in memory only",
            e.message
          ),
          true
        )
      ),
      Effect.flatMap((failed) =>
        Effect.sync(() => {
          refreshToken = next
          unsaved = failed
        })
      )
    )

  const stored = store.get(key).pipe(
    Effect.catch((e) =>
      Effect.as(Effect.logWarning("capauth: refresh token store read failed", e.message), Option.none())
    ),
    Effect.map(Option.getOrUndefined)
  )

  const refresh: Effect.Effect<IssuedToken, AuthError> = Effect.gen(function* () {
    // The store's copy first: another process (or session) sharing this key may have rotated it since.
    const current = (unsaved ? undefined : yield* stored) ?? refreshToken
    if (current === undefined) {
      return yield* Effect.fail(
        new ConfigError({
          field: "refreshToken",
          message: `no refresh token for the Capture session "${key}": open it with exchangeCode, or resume it with a refresh token`
        })
      )
    }
    const answer = yield* Capture.send(
      options,
      "oauth/token",
      { grant_type: "refresh_token", refresh_token: current },
      CaptureRequest.client,
      [current]
    )
    const issued = yield* Effect.fromResult(CaptureResponse.tokens(answer.body, answer.sentAt))
    // Single-use: the old token is spent now. Persist the new one before its access token can be used.
    yield* rotate(issued.refreshToken)
    return issued.issued
  })

  const fetch: Effect.Effect<IssuedToken, AuthError> = Effect.suspend(() => {
    const first = seed
    seed = undefined
    if (first === undefined) return refresh
    return Effect.flatMap(Clock.currentTimeMillis, (now) =>
      AccessToken.freshness(AccessToken.make(first, policy), now) === "stale"
        ? refresh
        : Effect.succeed(first)
    )
  })

  return {
    source: { id: `capture:${options.config.baseUrl.origin}:${options.config.clientId}:${key}`, fetch },
    current: () => refreshToken,
    rotate
  }
}

/**
 * Open a session. Its manager lives in a scope of its own, forked from the current one: closing the caller's
 * scope (the client) closes every session; `close` closes this one alone. A session opened by the code exchange
 * persists its first refresh token before this returns.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<CaptureSession, never, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Scope.fork(yield* Effect.scope)
    const tokens = source(options)
    if (options.start._tag === "Exchanged") yield* tokens.rotate(options.start.tokens.refreshToken)
    else if (options.start.refreshToken !== undefined) yield* tokens.rotate(options.start.refreshToken)
    const manager = yield* Scope.provide(scope)(
      TokenManager.make({
        source: tokens.source,
        refresh: options.refresh,
        backoff: options.config.backoff,
        store: options.store.sessionTokens
      })
    )
    let closed = false
    const closedError = new ConfigError({
      field: "close",
      message: "this Capture session is closed: open or resume a new one"
    })
    const open = <A>(effect: Effect.Effect<A, AuthError>) =>
      Effect.suspend(() => (closed ? Effect.fail(closedError) : effect))

    const call = (operation: string, params: CaptureRequest.Params = {}) =>
      open(
        Effect.gen(function* () {
          for (let replays = 0; ; replays++) {
            const token = yield* manager.get
            const result = yield* Effect.result(
              Capture.withBackoff(
                Capture.send(options, operation, params, CaptureRequest.accessToken(token.value), [
                  token.value
                ]),
                options.config.backoff
              )
            )
            const verdict: Lifecycle.Verdict =
              Result.isFailure(result) && CaptureResponse.isAccessTokenExpired(result.failure)
                ? "expired"
                : "ok"
            const next = Lifecycle.afterResponse(verdict, { renewable: true, replayable: true, replays })
            if (next !== "Settle") yield* manager.invalidate(token) // only that token: a fresher one stays
            if (next !== "InvalidateAndReplay") return (yield* Effect.fromResult(result)).body
          }
        })
      )

    // With shared session tokens, another process may have rotated the pair: its refresh token is in the store.
    const latest =
      options.store.sessionTokens === undefined
        ? Effect.sync(tokens.current)
        : Effect.map(
            Effect.option(options.store.get(options.key)),
            (stored) => Option.getOrUndefined(Option.flatten(stored)) ?? tokens.current()
          )

    const current = open(
      Effect.flatMap(Effect.zip(manager.get, latest), ([token, refreshToken]) => {
        return refreshToken === undefined
          ? Effect.fail(
              new ConfigError({
                field: "refreshToken",
                message: "this Capture session holds no refresh token"
              })
            )
          : Effect.succeed({ accessToken: token.value, refreshToken, expiresAt: new Date(token.expiresAt) })
      })
    )

    return {
      key: options.key,
      call,
      tokens: current,
      manager,
      close: Effect.suspend(() => {
        closed = true
        return Scope.close(scope, Exit.void)
      })
    } satisfies CaptureSession
  })
