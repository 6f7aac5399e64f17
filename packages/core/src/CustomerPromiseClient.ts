/**
 * The Promise face of end-customer auth (Capillary's Auth Engine), for apps without Effect. Written once here;
 * each runtime adapter (`@capauth/node`, `@capauth/deno`, `@capauth/browser`) calls `make` with its HTTP layer and
 * exposes it as `createCustomerAuth`. It needs only `fetch` (no `ky`, no environment).
 *
 * - Logins are sent once, never retried (see `CustomerAuth`); a refusal rejects with a typed error: `InvalidOtp`,
 *   `InvalidPassword`, `AttemptsExhausted`, `InvalidSession`, `CannotRegenerate`, `RateLimited` (1534, the OTP
 *   quota), `CustomerAuthError` (any other code).
 * - `session.fetch` calls the gateway with the `cap_*` headers; an answer with code 1529 (any HTTP status)
 *   regenerates the token once and sends the request again once (100 concurrent calls on an expired token make
 *   one regeneration); a second 1529 rejects with `TokenExpired`. Redirects are not followed: the token stays on
 *   the gateway's origin. Every other answer is handed back as it is.
 * - No token, key, OTP or password appears in an error message, `JSON.stringify` or `inspect`: they are
 *   `Redacted`, and every rejection is scrubbed of them.
 *
 * @example
 * ```ts
 * import { CustomerPromiseClient } from "@capauth/core"
 * import { FetchHttpClient } from "effect/http"
 *
 * declare const askCustomerForOtp: () => Promise<string>
 *
 * // What `createCustomerAuth` of @capauth/node, @capauth/deno and @capauth/browser does, with their HTTP layer:
 * const auth = CustomerPromiseClient.make(
 *   { cluster: "eu", gatewayUrl: "https://eu-api-gateway.capillarytech.com/mobile", brand: "MyBrand", deviceId: "d-1" },
 *   { httpLayer: FetchHttpClient.layer }
 * )
 * const login = await auth.startOtp({ identifierType: "MOBILE", identifierValue: "919876543210" })
 * const session = await login.verify(await askCustomerForOtp())
 * const profile = await (await session.fetch("/v1/customer/profile")).json()
 * const key = await session.key() // Redacted: store it to resume later with auth.resume({ key })
 * await auth.close()
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
import { type AuthError, ConfigError, isAuthError, TokenExpired, TransportError } from "./AuthError.ts"
import * as CustomerAuth from "./CustomerAuth.ts"
import * as CustomerAuthConfig from "./CustomerAuthConfig.ts"
import * as CustomerAuthResponse from "./CustomerAuthResponse.ts"
import * as CustomerSession from "./CustomerSession.ts"
import { judgeGateway } from "./internal/customer.ts"
import { abortable, callerAbort, isOneShot, release, sendFailure } from "./internal/fetch.ts"
import * as Lifecycle from "./internal/lifecycle.ts"
import { type Known, scrubError } from "./internal/redact.ts"
import type * as TokenManager from "./TokenManager.ts"
import * as Transport from "./Transport.ts"

/**
 * Options of `createCustomerAuth`.
 *
 * @since 0.1.0
 * @category models
 */
export type CustomerAuthOptions = CustomerAuthConfig.Input

/**
 * What `session.token()` shows. The value is `Redacted`: `Redacted.value(info.value)` reveals it on purpose.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionTokenInfo {
  readonly value: Redacted.Redacted<string>
  /** Local time its request was sent. */
  readonly obtainedAt: Date
  /** When it is renewed ahead of expiry. */
  readonly refreshAt: Date
  /** `obtainedAt` plus the token's own lifetime (`exp - iat`). */
  readonly expiresAt: Date
  readonly lifetimeMillis: number
  /** The token's claims, unverified. */
  readonly claims: Readonly<Record<string, unknown>> | undefined
}

/**
 * A customer session, as Promises.
 *
 * @since 0.1.0
 * @category models
 */
export interface CustomerPromiseSession {
  readonly platform: CustomerAuthConfig.Platform
  /** A gateway call (a path is appended to `gatewayUrl`) with the `cap_*` headers; 1529 renews and retries once. */
  readonly fetch: (input: string | URL, init?: RequestInit) => Promise<Response>
  /** The `cap_*` headers with a usable token, for your own HTTP client. */
  readonly headers: () => Promise<Record<string, string>>
  /** Mobile: the key to store (`Redacted.value(key)` to hand it to your secure storage); web: `undefined`. */
  readonly key: () => Promise<Redacted.Redacted<string> | undefined>
  /** The current token and its timeline (renewed if needed). */
  readonly token: () => Promise<SessionTokenInfo>
  /** Counters of the session's token lifecycle (regenerations are `fetched` beyond the login's token). */
  readonly stats: () => Promise<TokenManager.TokenStats>
  /** Stops this session's token manager (the stored key stays). Idempotent. */
  readonly close: () => Promise<void>
}

/**
 * An OTP login under way.
 *
 * @since 0.1.0
 * @category models
 */
export interface CustomerOtpLogin {
  readonly sessionId: string
  readonly userRegistered: boolean | undefined
  /** `otp/validate`: resolves the session; `InvalidOtp` lets the customer try again in the same login. */
  readonly verify: (otp: string | number | Redacted.Redacted<string>) => Promise<CustomerPromiseSession>
  /** A new OTP in the same login (counts against the customer's OTP quota). */
  readonly resend: () => Promise<void>
}

/**
 * The end-customer auth client, as Promises.
 *
 * @since 0.1.0
 * @category models
 */
export interface CustomerAuthClient {
  readonly startOtp: (input: CustomerAuth.IdentifierInput) => Promise<CustomerOtpLogin>
  readonly loginWithPassword: (input: CustomerAuth.PasswordLogin) => Promise<CustomerPromiseSession>
  /** From a stored key (mobile; none: the key store's) or `{ token }` (web). Throws `ConfigError` at once on bad options. */
  readonly resume: (options?: CustomerAuth.ResumeOptions) => CustomerPromiseSession
  /** Closes every session and the HTTP client. Idempotent. */
  readonly close: () => Promise<void>
}

/**
 * What a runtime adapter supplies.
 *
 * @since 0.1.0
 * @category models
 */
export type Platform = Transport.Platform

/**
 * Build the facade. Throws `ConfigError` synchronously on bad options: nothing is sent before config is valid.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: CustomerAuthOptions, platform: Platform): CustomerAuthClient => {
  const parsed = CustomerAuthConfig.make(options)
  if (Result.isFailure(parsed)) throw parsed.failure
  const config = parsed.success
  // Auth Engine requests (`httpLayer`) and gateway calls (`fetch`) leave the process the same way.
  const route = Transport.route(config.transport, platform)
  const fetchImpl = route.fetch
  const runtime = ManagedRuntime.make(
    CustomerAuth.layerFromConfig(config).pipe(Layer.provide(route.httpLayer))
  )

  let closed = false
  const closedError = () =>
    new ConfigError({ field: "close", message: "this customer auth client is closed: create a new one" })

  // Tokens and keys this client handled (most recent first), kept out of every rejection.
  const known: Array<Known> = []
  const remember = (value: Redacted.Redacted<string> | undefined) => {
    if (value === undefined || known.includes(value)) return
    known.unshift(value)
    if (known.length > 16) known.pop()
  }
  const clean = (error: unknown): unknown => (isAuthError(error) ? scrubError(error, known) : error)

  const run = <A>(effect: Effect.Effect<A, AuthError, CustomerAuth.CustomerAuth>): Promise<A> => {
    if (closed) return Promise.reject(closedError())
    return runtime.runPromiseExit(effect).then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      if (closed || Cause.hasInterruptsOnly(exit.cause)) throw closedError()
      throw clean(Cause.squash(exit.cause))
    })
  }

  const withAuth = <A>(f: (auth: CustomerAuth.Service) => Effect.Effect<A, AuthError>) =>
    run(Effect.flatMap(CustomerAuth.CustomerAuth, f))

  /** One gateway call, carrying out `Lifecycle.afterResponse` on 1529. */
  const gatewayFetch = async (
    session: CustomerSession.CustomerSession,
    input: string | URL,
    init: RequestInit = {}
  ): Promise<Response> => {
    const target = CustomerSession.gatewayTarget(config, input)
    if (Result.isFailure(target)) throw target.failure
    const signal = init.signal
    const aborted = callerAbort(signal)
    if (aborted !== undefined) throw aborted
    // Streams are sent as they come (fetch needs `duplex: "half"` for them) and never buffered or replayed.
    const oneShot = isOneShot(init.body)
    const base = (oneShot ? { ...init, duplex: "half" } : init) as RequestInit
    for (let replays = 0; ; replays++) {
      const token = session.manager.unsafeFresh() ?? (await abortable(run(session.manager.get), signal))
      remember(token.value)
      const headers = new Headers(init.headers)
      for (const [name, value] of Object.entries(session.headersFor(token))) headers.set(name, value)
      let response: Response
      try {
        response = await fetchImpl(target.success.href, { ...base, headers, redirect: "manual" })
      } catch (error) {
        throw sendFailure(error, signal)
      }
      const judged = await judgeGateway(
        response,
        (error) =>
          callerAbort(signal) ??
          new TransportError({
            reason: "Network",
            status: response.status,
            message: `the gateway's answer failed mid-way: ${String((error as Error)?.message ?? error).slice(0, 120)}`
          })
      )
      const next = Lifecycle.afterResponse(CustomerAuthResponse.gatewayVerdict(judged.code), {
        renewable: true,
        replayable: !oneShot,
        replays
      })
      if (next === "Settle") return judged.response
      release(judged.response)
      await run(session.manager.invalidate(token)) // only that token: a fresher one stays
      if (next === "InvalidateAndSettle") {
        throw new TokenExpired({
          code: CustomerAuthResponse.tokenExpiredCode,
          status: response.status,
          requestId: response.headers.get("x-cap-requestid") ?? undefined,
          message:
            replays > 0
              ? "the gateway refused the customer's token as expired (1529) again right after it was regenerated"
              : "the gateway refused the customer's token as expired (1529) and the request cannot be replayed (its body was a stream)"
        })
      }
    }
  }

  const wrap = (opened: Promise<CustomerSession.CustomerSession>): CustomerPromiseSession => {
    opened.catch(() => undefined) // surfaced by the first use, never as an unhandled rejection
    let sessionClosed = false
    const use = async <A>(f: (session: CustomerSession.CustomerSession) => Promise<A>): Promise<A> => {
      try {
        if (closed) throw closedError()
        return await f(await opened)
      } catch (error) {
        throw clean(error)
      }
    }
    return {
      platform: config.platform,
      fetch: (input, init) => use((s) => gatewayFetch(s, input, init)),
      headers: () =>
        use(async (s) => {
          const token = await run(s.token)
          remember(token.value)
          return s.headersFor(token)
        }),
      key: () =>
        use(async (s) => {
          const key = await run(s.key)
          remember(key)
          return key
        }),
      token: () =>
        use(async (s) => {
          const token = await run(s.token)
          remember(token.value)
          return {
            value: token.value,
            obtainedAt: new Date(token.obtainedAt),
            refreshAt: new Date(token.refreshAt),
            expiresAt: new Date(token.expiresAt),
            lifetimeMillis: token.lifetimeMillis,
            claims: token.claims
          }
        }),
      stats: () => use((s) => run(s.manager.stats)),
      close: async () => {
        if (sessionClosed || closed) return
        sessionClosed = true
        const s = await opened.catch(() => undefined)
        if (s !== undefined && !closed) await runtime.runPromise(s.close)
      }
    }
  }

  const guarded = <A>(promise: Promise<A>): Promise<A> =>
    promise.catch((error: unknown) => {
      throw clean(error)
    })

  return {
    startOtp: (input) =>
      guarded(
        withAuth((auth) => auth.startOtp(input)).then((login) => ({
          sessionId: login.sessionId,
          userRegistered: login.userRegistered,
          verify: (otp) =>
            withAuth(() => login.verify(otp)).then((session) => wrap(Promise.resolve(session))),
          resend: () => withAuth(() => login.resend)
        }))
      ),
    loginWithPassword: (input) =>
      withAuth((auth) => auth.loginWithPassword(input)).then((session) => wrap(Promise.resolve(session))),
    resume: (opts) => {
      if (closed) throw closedError()
      const checked = CustomerAuth.resumeStart(config, opts)
      if (Result.isFailure(checked)) throw checked.failure
      const { start } = checked.success
      remember(start._tag === "Key" ? start.key : start._tag === "Token" ? start.token : undefined)
      return wrap(withAuth((auth) => auth.resume(opts)))
    },
    close: async () => {
      if (closed) return
      closed = true
      await runtime.dispose()
      await route.close()
    }
  }
}
