/**
 * The Promise + ky face of capauth, for teams without Effect. Written once here; each runtime adapter
 * (`@capauth/node`, `@capauth/deno`) calls `make` with its own HTTP layer and environment.
 *
 * The warm path (a fresh token cached) is synchronous up to the one `fetch` call: no Effect runtime, no schema
 * decoding, one header object. Failures reject with capauth's error classes (`Error` subclasses with `_tag`).
 *
 * @example
 * ```ts
 * import * as PromiseClient from "@capauth/core/PromiseClient"
 * import { FetchHttpClient } from "effect/http"
 *
 * // What `createCapillaryClient` of @capauth/node and @capauth/deno does, with their HTTP layer and env reader:
 * const cap = PromiseClient.make(
 *   { cluster: "eu", credentials: { key: "my-key", secret: "my-secret" } },
 *   { httpLayer: FetchHttpClient.layer, env: () => undefined }
 * )
 * const body = JSON.stringify({ root: { customer: [{ mobile: "919999999999" }] } })
 * const res = await cap.fetch("/v1.1/customer/add?format=json", { method: "POST", body })
 * const json = await cap.ky.get("v2/customers/123", { attribution: { type: "TILL", code: "t1" } }).json()
 * await cap.close()
 * ```
 * @module
 * @since 0.1.0
 */

import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as PubSub from "effect/PubSub"
import type * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import ky, { type KyInstance } from "ky"
import * as AccessToken from "./AccessToken.ts"
import { type AuthError, ConfigError, isAuthError, isTransient, TransportError } from "./AuthError.ts"
import * as AuthHeaders from "./AuthHeaders.ts"
import * as CapillaryClient from "./CapillaryClient.ts"
import * as CapillaryConfig from "./CapillaryConfig.ts"
import * as Authorizer from "./internal/authorizer.ts"
import {
  isAuthStatus,
  readWhole,
  type Verdict,
  verdictError,
  verdictOf,
  type WholeBody
} from "./internal/classify.ts"
import {
  abortable,
  callerAbort,
  isJson,
  isOneShot,
  nullBodyStatuses,
  release,
  sendFailure,
  withBody
} from "./internal/fetch.ts"
import * as Lifecycle from "./internal/lifecycle.ts"
import { overlay } from "./internal/overlay.ts"
import { envelopeScanner, peekBody, peekLimitBytes } from "./internal/peek.ts"
import { type Known, scrubError } from "./internal/redact.ts"
import { credentialHeaders, isRedirect, nextHop, redirectRefused } from "./internal/transport.ts"
import * as TokenManager from "./TokenManager.ts"
import * as Transport from "./Transport.ts"

/**
 * A per-request attribution override.
 *
 * @since 0.1.0
 * @category models
 */
export interface AttributionInput {
  readonly type?: AuthHeaders.AttributionType | undefined
  readonly code: string
}

declare module "ky" {
  interface Options {
    /** capauth: attribute this request to another till or store. */
    attribution?: AttributionInput
  }
}

/**
 * `RequestInit` plus a per-request attribution.
 *
 * @since 0.1.0
 * @category models
 */
export interface CapRequestInit extends RequestInit {
  readonly attribution?: AttributionInput | undefined
}

/**
 * What `token()` shows. The value is `Redacted`: use `Redacted.value(info.value)` to reveal it on purpose.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenInfo {
  readonly value: Redacted.Redacted<string>
  readonly obtainedAt: Date
  readonly refreshAt: Date
  readonly expiresAt: Date
  readonly remainingMillis: number
  readonly claims: Readonly<Record<string, unknown>> | undefined
}

/**
 * The Promise + ky client: `fetch`, `ky`, `headers`, `token`, `invalidate`, `stats`, `onEvent`, `close`.
 *
 * @since 0.1.0
 * @category models
 */
export interface CapillaryPromiseClient {
  /** Like `fetch`, rooted at the base URL, with auth headers, expiry recovery and typed rejections. */
  readonly fetch: (input: string | URL | Request, init?: CapRequestInit) => Promise<Response>
  /** A ky instance rooted at the base URL (`prefixUrl`), going through `fetch` above. */
  readonly ky: KyInstance
  /** The auth headers for one request, as a plain object. */
  readonly headers: (options?: {
    readonly attribution?: AttributionInput | undefined
  }) => Promise<Record<string, string>>
  /** The current token and its timeline (OAuth only). */
  readonly token: () => Promise<TokenInfo>
  /** Stops background work; the process can exit. Idempotent. */
  readonly close: () => Promise<void>
  /**
   * Compare-and-invalidate: drop the current token only if it is `token` (its value, or its
   * `AccessToken.fingerprint`); true if it was dropped. A token broker uses this when a browser worker
   * reports that Capillary refused the token it was handed.
   */
  readonly invalidate: (
    token: Redacted.Redacted<string> | { readonly fingerprint: string }
  ) => Promise<boolean>
  /** Counters of the token lifecycle. */
  readonly stats: () => Promise<TokenManager.TokenStats>
  /** Listen to lifecycle events; returns an unsubscribe function. */
  readonly onEvent: (listener: (event: TokenManager.TokenEvent) => void) => () => void
}

/**
 * What a runtime adapter supplies.
 *
 * @since 0.1.0
 * @category models
 */
export interface Platform extends Transport.Platform {
  /** Reads the `CAPILLARY_*` variables when no options are given. */
  readonly env: (name: CapillaryConfig.EnvVar) => string | undefined
  /**
   * Look at the first `limit` bytes of a body the platform's own `fetch` made, before it is read: `push` gets
   * each chunk until it returns true; the body then streams on from its first byte with no second stream, its
   * failures passed through `mapError`. `undefined` for a response it did not make (the facade then peeks
   * through a stream of its own). Node's transport has it.
   */
  readonly peekInPlace?:
    | ((
        response: Response,
        limit: number,
        push: (chunk: Uint8Array) => boolean,
        mapError: (error: unknown) => unknown
      ) => Promise<void> | undefined)
    | undefined
}

const now = () => Date.now()

/** What a `buffered` response holds: its body, read once like a real one. */
interface Held {
  used: boolean
  stream: ReadableStream<Uint8Array> | null | undefined
  readonly bytes: Uint8Array<ArrayBuffer>
  readonly whole: WholeBody
}
const held = Symbol("capauth/held")
type HeldResponse = Response & { readonly [held]: Held }

const take = <A>(response: HeldResponse, read: (body: Held) => A | Promise<A>): Promise<A> => {
  const body = response[held]
  if (body.used) return Promise.reject(new TypeError("Body has already been consumed."))
  body.used = true
  return Promise.resolve(body).then(read)
}

// Shared accessors (`this` is the response they are defined on): no closure is made per response.
const heldAccessors: PropertyDescriptorMap = {
  bodyUsed: {
    get(this: HeldResponse) {
      return this[held].used
    }
  },
  body: {
    get(this: HeldResponse) {
      const body = this[held]
      if (body.used) return null
      body.stream ??= new Response(body.bytes).body
      return body.stream
    }
  },
  text: {
    value(this: HeldResponse) {
      return take(this, (body) => body.whole.text)
    }
  },
  // Parsed once already; a body that did not parse throws as Response.json() would.
  json: {
    value(this: HeldResponse) {
      return take(this, ({ whole }) => (whole.json !== undefined ? whole.json : JSON.parse(whole.text)))
    }
  },
  arrayBuffer: {
    value(this: HeldResponse) {
      return take(this, (body) => body.bytes.buffer)
    }
  },
  bytes: {
    value(this: HeldResponse) {
      return take(this, (body) => body.bytes)
    }
  },
  blob: {
    value(this: HeldResponse) {
      const type = this.headers.get("content-type") ?? ""
      return take(this, (body) => new Blob([body.bytes], { type }))
    }
  },
  formData: {
    value(this: HeldResponse) {
      const headers = this.headers
      return take(this, (body) => new Response(body.bytes, { headers }).formData())
    }
  },
  clone: {
    value(this: HeldResponse) {
      const body = this[held]
      if (body.used) throw new TypeError("Response body is already used")
      return withBody(this, body.bytes.slice())
    }
  }
}

/**
 * The same `Response` (status, headers, url, `instanceof` all intact) with its body already read as `bytes`:
 * every body accessor serves exactly those bytes (`heldAccessors`, laid over its class by `overlay`). Cheaper
 * than a second `Response` on the warm path.
 */
const buffered = (response: Response, bytes: Uint8Array<ArrayBuffer>, whole: WholeBody): Response => {
  const body: Held = { used: false, stream: undefined, bytes, whole }
  Object.defineProperty(response, held, { value: body })
  return overlay(response, heldAccessors)
}

/** The push of a peek that looks at nothing (limit 0). */
const scanNothing = (): boolean => true

/** A response body that failed mid-way: the caller's own abort as is, anything else a `TransportError`. */
const bodyFailure = (error: unknown, signal: AbortSignal | null | undefined, response: Response): unknown =>
  callerAbort(signal) ??
  new TransportError({
    reason: "Network",
    status: response.status,
    requestId: response.headers.get(AuthHeaders.names.requestId) ?? undefined,
    message: `the response body failed mid-way: ${String((error as Error)?.message ?? error).slice(0, 120)}`
  })

/**
 * Build the facade. Throws `ConfigError` synchronously on bad options: nothing is sent before config is valid.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: CapillaryConfig.Input | undefined,
  platform: Platform
): CapillaryPromiseClient => {
  const parsed = options === undefined ? CapillaryConfig.fromEnv(platform.env) : CapillaryConfig.make(options)
  if (Result.isFailure(parsed)) throw parsed.failure
  const config = parsed.success
  const origin = config.baseUrl.origin
  // Token requests (`httpLayer`) and API calls (`fetch`) leave the process the same way: `proxy`, `fetch` or default.
  const route = Transport.route(config.transport, platform)
  const fetchImpl = route.fetch
  const runtime = ManagedRuntime.make(
    CapillaryClient.tokenManagerLayer.pipe(
      Layer.provide(Layer.succeed(CapillaryConfig.CapillaryConfig, config)),
      Layer.provide(route.httpLayer),
      // Token headers print as <redacted> wherever this runtime logs or inspects headers.
      Layer.merge(CapillaryClient.layerRedactHeaders)
    )
  )

  let closed = false
  const closedError = () =>
    new ConfigError({ field: "close", message: "this capauth client is closed: create a new one" })

  // Every value that must never be shown: the secret (or till password hash) and the tokens this client held.
  const known: Array<Known> = []
  if (config.credentials._tag === "OAuthClient") known.push(config.credentials.secret)
  else known.push(config.credentials.passwordMd5, AuthHeaders.basicAuthorization(config.credentials))
  for (const client of config.fallbackCredentials) known.push(client.secret)
  const recentTokens: Array<Redacted.Redacted<string>> = []
  const remember = (token: AccessToken.AccessToken | undefined) => {
    if (token === undefined || recentTokens.includes(token.value)) return
    recentTokens.push(token.value)
    if (recentTokens.length > 8) recentTokens.shift()
  }
  /** Every rejection goes through here: typed (or the caller's own abort), with no secret or token in it. */
  const clean = (error: unknown): unknown =>
    isAuthError(error) ? scrubError(error, [...known, ...recentTokens]) : error

  const run = <A>(effect: Effect.Effect<A, AuthError, TokenManager.TokenManager>): Promise<A> =>
    runtime.runPromiseExit(effect).then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      // Interrupted: the client was closed under a waiting caller.
      if (closed || Cause.hasInterruptsOnly(exit.cause)) throw closedError()
      throw Cause.squash(exit.cause)
    })

  let authorizer: Authorizer.Authorizer | undefined
  // One subscription, made before the first token request can be sent, fans events out to listeners:
  // a listener added at any time sees every event from then on, and none is lost to a race.
  const listeners = new Set<(event: TokenManager.TokenEvent) => void>()
  let starting: Promise<Authorizer.Authorizer> | undefined
  const start = async () => {
    const service = await run(TokenManager.TokenManager)
    const events = await runtime.runPromise(
      Effect.flatMap(Scope.make(), (scope) => Scope.provide(scope)(service.subscribe))
    )
    runtime.runFork(
      Effect.forever(
        Effect.flatMap(PubSub.take(events), (event) =>
          Effect.sync(() => {
            for (const listener of listeners) listener(event)
          })
        )
      )
    )
    authorizer = Authorizer.make(config, service)
    return authorizer
  }
  const ready = async () => {
    if (closed) throw closedError()
    if (authorizer !== undefined) return authorizer // the warm path stays one check: closed, then cached
    starting ??= start()
    return starting
  }

  const attributionOf = (input: AttributionInput | undefined) => {
    if (input === undefined) return undefined
    const checked = AuthHeaders.attribution(input)
    if (Result.isFailure(checked)) throw checked.failure
    return checked.success
  }

  const remembered = (a: Authorizer.Authorized) => {
    remember(a.token)
    return a
  }
  /** Headers for one request: at once (no promise) when a fresh token is cached, else after the shared flight. */
  const authorize = (
    auth: Authorizer.Authorizer,
    attribution: Authorizer.AttributionChoice,
    signal?: AbortSignal | null
  ): Authorizer.Authorized | Promise<Authorizer.Authorized> => {
    const cached = auth.unsafeAuthorize(attribution)
    return cached !== undefined
      ? remembered(cached)
      : abortable(run(auth.authorize(attribution)), signal).then(remembered)
  }

  /**
   * Judge a response without holding it: auth statuses decide alone; a JSON body is peeked (at most
   * `peekLimitBytes`) for the envelope code and handed on byte for byte, still streaming.
   */
  const judge = async (
    response: Response,
    signal: AbortSignal | null | undefined
  ): Promise<{ verdict: Verdict; response: Response }> => {
    const status = response.status
    if (isAuthStatus(status)) return { verdict: verdictOf(status, undefined), response }
    if (response.body === null || nullBodyStatuses.has(status)) return { verdict: "ok", response }
    const json = isJson(response)
    // A small, unencoded JSON body of known length is read whole and served from the same Response (no stream
    // or second Response on the warm path). Anything else streams through the peek.
    const length = Number(response.headers.get("content-length") ?? Number.NaN)
    if (json && length <= peekLimitBytes && !response.headers.has("content-encoding")) {
      let bytes: Uint8Array<ArrayBuffer>
      try {
        bytes = new Uint8Array(await response.arrayBuffer())
      } catch (error) {
        throw bodyFailure(error, signal, response)
      }
      const whole = readWhole(bytes)
      return { verdict: verdictOf(status, whole.code), response: buffered(response, bytes, whole) }
    }
    // The platform's own responses are looked at in place: no second stream between the caller and the bytes.
    const mapError = (error: unknown) => bodyFailure(error, signal, response)
    if (platform.peekInPlace !== undefined) {
      // Only a JSON body is scanned (a scanner costs a few microseconds to make); others are only tracked.
      const scanner = json ? envelopeScanner() : undefined
      const limit = scanner === undefined ? 0 : peekLimitBytes
      const inPlace = platform.peekInPlace(response, limit, scanner?.push ?? scanNothing, mapError)
      if (inPlace !== undefined) {
        await inPlace
        scanner?.end()
        return { verdict: scanner === undefined ? "ok" : verdictOf(status, scanner.code), response }
      }
    }
    // Other bodies are not scanned (limit 0) but go through the same stream, so a failure mid-way is typed too.
    const peeked = await peekBody(response.body, {
      limit: json ? peekLimitBytes : 0,
      mapError
    })
    return {
      verdict: json ? verdictOf(status, peeked.code) : "ok",
      response: withBody(response, peeked.body)
    }
  }

  /** Send, following redirects by capauth's rules (`nextHop`); the caller's `redirect` mode is honoured. */
  const sendFollowing = async (
    url: string,
    init: RequestInit,
    headers: Headers,
    streamBody: boolean
  ): Promise<Response> => {
    const mode = init.redirect ?? "follow"
    let target = url
    let method = init.method ?? "GET"
    let body = init.body ?? null
    let credentialed = true
    for (let hops = 0; ; hops++) {
      let response: Response
      try {
        response = await fetchImpl(target, { ...init, method, body, headers, redirect: "manual" })
      } catch (error) {
        throw sendFailure(error, init.signal)
      }
      if (mode === "manual" || !isRedirect(response.status)) return response
      const hop = nextHop({
        status: response.status,
        location: response.headers.get("location"),
        from: target,
        origin,
        method,
        hops,
        credentialed,
        crossOrigin: config.crossOriginRedirect,
        streamBody
      })
      if (hop._tag === "Return") return response
      // Followed or refused, this answer's body is never read: release it, without waiting (see `release`).
      release(response)
      const requestId = response.headers.get(AuthHeaders.names.requestId) ?? undefined
      if (hop._tag === "Refuse") throw redirectRefused(response.status, requestId, hop.message)
      if (mode === "error")
        throw redirectRefused(response.status, requestId, 'redirected while redirect is "error"')
      if (hop.strip) {
        for (const name of credentialHeaders) headers.delete(name)
        credentialed = false
      }
      if (hop.asGet) {
        method = "GET"
        body = null
        headers.delete("content-type")
      }
      target = hop.url
    }
  }

  const rethrowClean = (error: unknown): never => {
    throw clean(error)
  }
  const capFetch = (input: string | URL | Request, init?: CapRequestInit): Promise<Response> =>
    fetchOnce(input, init).catch(rethrowClean)

  const fetchOnce = async (input: string | URL | Request, init?: CapRequestInit): Promise<Response> => {
    const { attribution: override, ...rest } = init ?? {}
    const attribution = attributionOf(override)
    let url: string
    let requestInit: RequestInit = rest
    let target: URL | undefined // parsed only when the input is not a path on the base origin
    if (input instanceof Request) {
      // Buffer a Request's body once so a renewed attempt can send it again.
      const request = Object.keys(rest).length > 0 ? new Request(input, rest) : input
      const body = request.body === null ? null : await request.arrayBuffer()
      url = request.url
      target = new URL(url)
      requestInit = {
        method: request.method,
        headers: request.headers,
        body,
        signal: request.signal,
        redirect: request.redirect
      }
    } else if (typeof input === "string" && input.startsWith("/")) {
      url = origin + input
    } else {
      target = new URL(input, config.baseUrl)
      url = target.href
    }
    // Streams are sent as they come (fetch needs `duplex: "half"` for them) and never buffered or replayed.
    const oneShot = isOneShot(requestInit.body)
    if (oneShot) requestInit = { ...requestInit, duplex: "half" } as RequestInit
    const signal = requestInit.signal
    const aborted = callerAbort(signal)
    if (aborted !== undefined) throw aborted
    if (target !== undefined && target.origin !== origin) {
      throw new ConfigError({
        field: "url",
        message: `capauth sends credentials only to ${origin}; use a path or a URL on that origin`
      })
    }
    // One Headers per request: the caller's, plus ours. A renewed attempt only replaces the credential.
    const headers = new Headers(requestInit.headers)
    const choice = headers.has(AuthHeaders.names.attributionType) ? null : attribution
    const send = async (authorized: Authorizer.Authorized) => {
      for (const [name, value] of Object.entries(authorized.headers)) {
        // Credentials always come from us; content headers the caller set are kept.
        const credential = name === AuthHeaders.names.oauthToken || name === AuthHeaders.names.authorization
        if (credential || !headers.has(name)) headers.set(name, value)
      }
      const response = await sendFollowing(url, requestInit, headers, oneShot)
      // A refused token is dropped at once (`Lifecycle.invalidates`; `run` starts synchronously), so no other
      // call picks it up: HTTP 498/401 at the status line, before the body is read; a body code once found.
      if (isAuthStatus(response.status)) drop(auth, authorized, verdictOf(response.status, undefined))
      const judged = await judge(response, signal)
      if (!isAuthStatus(response.status)) drop(auth, authorized, judged.verdict)
      return { authorized, ...judged }
    }
    // Warm path: a started client with a fresh token cached goes straight to the send, with no await before it.
    const auth = !closed && authorizer !== undefined ? authorizer : await abortable(ready(), signal)
    const first = authorize(auth, choice, signal)
    let attempt = await send(first instanceof Promise ? await first : first)
    // Carry out `Lifecycle.afterResponse`. A body that could be read only once is never replayed empty.
    for (let replays = 0; ; replays++) {
      const next = Lifecycle.afterResponse(attempt.verdict, {
        renewable: auth.renewable,
        replayable: !oneShot,
        replays
      })
      if (next === "Settle") return settle(attempt, replays > 0)
      release(attempt.response) // its token was dropped in `send` already (only that token: a fresher one stays)
      if (next === "InvalidateAndSettle") return settle(attempt, replays > 0)
      attempt = await send(await authorize(auth, choice, signal))
    }
  }

  /** Drop the token `authorized` carried if `verdict` refused it; synchronous up to the drop itself. */
  const drop = (auth: Authorizer.Authorizer, authorized: Authorizer.Authorized, verdict: Verdict) => {
    if (Lifecycle.invalidates(verdict, auth.renewable))
      run(auth.invalidate(authorized)).catch(() => undefined)
  }

  const settle = ({ verdict: v, response }: { verdict: Verdict; response: Response }, renewed: boolean) => {
    if (v === "ok") return response
    const requestId = response.headers.get(AuthHeaders.names.requestId) ?? undefined
    const error = verdictError(v, { requestId, status: response.status }, renewed, config.mapForbidden)
    if (error !== undefined) throw error
    return response
  }

  const guarded =
    <Args extends Array<unknown>, A>(f: (...args: Args) => Promise<A>) =>
    async (...args: Args): Promise<A> => {
      try {
        return await f(...args)
      } catch (error) {
        throw clean(error)
      }
    }

  const client: CapillaryPromiseClient = {
    fetch: capFetch,
    ky: ky.create({
      prefixUrl: origin,
      // capauth types every failure; ky's own 10 s timeout would reject with an untyped TimeoutError.
      timeout: false,
      fetch: capFetch as typeof globalThis.fetch,
      retry: {
        limit: 2,
        shouldRetry: ({ error }) => (isAuthError(error) && !isTransient(error) ? false : undefined)
      }
    }),
    headers: guarded(async (opts) => {
      const attribution = attributionOf(opts?.attribution)
      return { ...(await authorize(await ready(), attribution)).headers }
    }),
    token: guarded(async () => {
      await ready()
      const token = await run(Effect.flatMap(TokenManager.TokenManager, (t) => t.get))
      remember(token)
      return {
        value: token.value,
        obtainedAt: new Date(token.obtainedAt),
        refreshAt: new Date(token.refreshAt),
        expiresAt: new Date(token.expiresAt),
        remainingMillis: AccessToken.remainingMillis(token, now()),
        claims: token.claims
      }
    }),
    invalidate: guarded(async (token: Redacted.Redacted<string> | { readonly fingerprint: string }) => {
      await ready()
      return run(
        Effect.flatMap(TokenManager.TokenManager, (tokens) =>
          Effect.flatMap(tokens.get, (current) => {
            const same =
              "fingerprint" in token
                ? AccessToken.fingerprint(current) === token.fingerprint
                : AccessToken.sameValue(current, token)
            return same ? tokens.invalidate(current) : Effect.succeed(false)
          })
        )
      )
    }),
    stats: guarded(async () => {
      await ready()
      return run(Effect.flatMap(TokenManager.TokenManager, (t) => t.stats))
    }),
    onEvent: (listener) => {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    close: async () => {
      if (closed) return
      closed = true
      await runtime.dispose()
      await route.close()
    }
  }
  return client
}
