/**
 * The Promise + ky face of capauth, for teams without Effect. Written once here; each runtime adapter
 * (`@capauth/node`, `@capauth/deno`) calls `make` with its own HTTP layer and environment.
 *
 * The warm path (a fresh token cached) is synchronous up to the one `fetch` call: no Effect runtime, no schema
 * decoding, one header object. Failures reject with capauth's error classes (`Error` subclasses with `_tag`).
 *
 * @example
 * ```ts
 * import { createCapillaryClient } from "@capauth/node" // or "@capauth/deno"
 *
 * const cap = createCapillaryClient({ cluster: "eu", credentials: { key, secret } })
 * const res = await cap.fetch("/v1.1/customer/add?format=json", { method: "POST", body })
 * const json = await cap.ky.get("v2/customers/123", { attribution: { type: "TILL", code: "t1" } }).json()
 * await cap.close()
 * ```
 * @since 0.1.0
 */

import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as HttpClient from "effect/http/HttpClient"
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
import { parseJson, type Verdict, verdict, verdictError } from "./internal/classify.ts"
import * as TokenManager from "./TokenManager.ts"

/** A per-request attribution override. */
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

/** `RequestInit` plus a per-request attribution. */
export interface CapRequestInit extends RequestInit {
  readonly attribution?: AttributionInput | undefined
}

/** What `token()` shows. The value is `Redacted`: use `Redacted.value(info.value)` to reveal it on purpose. */
export interface TokenInfo {
  readonly value: Redacted.Redacted<string>
  readonly obtainedAt: Date
  readonly refreshAt: Date
  readonly expiresAt: Date
  readonly remainingMillis: number
  readonly claims: Readonly<Record<string, unknown>> | undefined
}

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

/** What a runtime adapter supplies. */
export interface Platform {
  /** The Effect HTTP client used for token requests. */
  readonly httpLayer: Layer.Layer<HttpClient.HttpClient>
  /** The fetch used for API calls (defaults to the global one). */
  readonly fetch?: typeof globalThis.fetch | undefined
  /** Reads the `CAPILLARY_*` variables when no options are given. */
  readonly env: (name: CapillaryConfig.EnvVar) => string | undefined
}

const now = () => Date.now()

const rethrow = (cause: Cause.Cause<unknown>): never => {
  throw Cause.squash(cause)
}

const toTransportError = (error: unknown): AuthError => {
  if (isAuthError(error)) return error
  const name = (error as { name?: unknown } | null)?.name
  return name === "AbortError" || name === "TimeoutError"
    ? new TransportError({
        reason: name === "AbortError" ? "Aborted" : "Timeout",
        message: `request ${String(name)}`
      })
    : new TransportError({
        reason: "Network",
        message: `request failed: ${String((error as Error)?.message ?? error).slice(0, 120)}`
      })
}

/** Build the facade. Throws `ConfigError` synchronously on bad options: nothing is sent before config is valid. */
export const make = (
  options: CapillaryConfig.Input | undefined,
  platform: Platform
): CapillaryPromiseClient => {
  const parsed = options === undefined ? CapillaryConfig.fromEnv(platform.env) : CapillaryConfig.make(options)
  if (Result.isFailure(parsed)) throw parsed.failure
  const config = parsed.success
  const fetchImpl = platform.fetch ?? globalThis.fetch.bind(globalThis)
  const runtime = ManagedRuntime.make(
    CapillaryClient.tokenManagerLayer.pipe(
      Layer.provide(Layer.succeed(CapillaryConfig.CapillaryConfig, config)),
      Layer.provide(platform.httpLayer)
    )
  )
  const run = <A>(effect: Effect.Effect<A, AuthError, TokenManager.TokenManager>): Promise<A> =>
    runtime.runPromiseExit(effect).then((exit) => (Exit.isSuccess(exit) ? exit.value : rethrow(exit.cause)))

  let closed = false
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
    if (closed) throw new ConfigError({ message: "this capauth client is closed" })
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

  /** Headers for one request: synchronously when a fresh token is cached, else after the shared flight. */
  const authorize = async (auth: Authorizer.Authorizer, attribution: Authorizer.AttributionChoice) =>
    auth.unsafeAuthorize(attribution, now()) ?? (await run(auth.authorize(attribution)))

  const judge = async (response: Response): Promise<{ verdict: Verdict; response: Response }> => {
    const status = response.status
    if (status === 498 || status === 401 || status === 403)
      return { verdict: verdict(status, undefined), response }
    if (!(response.headers.get("content-type") ?? "").toLowerCase().includes("json"))
      return { verdict: "ok", response }
    // Read the JSON body once to look for 498 inside it; the caller gets the same Response serving that text.
    const text = await response.text()
    const json = parseJson(text)
    return { verdict: verdict(status, json), response: buffered(response, text, json) }
  }

  const replayable = (body: unknown) =>
    body === undefined || body === null || !(body instanceof ReadableStream)

  const capFetch = async (input: string | URL | Request, init?: CapRequestInit): Promise<Response> => {
    const { attribution: override, ...rest } = init ?? {}
    const attribution = attributionOf(override)
    let url: string
    let requestInit: RequestInit = rest
    if (input instanceof Request) {
      // Buffer a Request's body once so a renewed attempt can send it again.
      const request = Object.keys(rest).length > 0 ? new Request(input, rest) : input
      const body = request.body === null ? null : await request.arrayBuffer()
      url = request.url
      requestInit = {
        method: request.method,
        headers: request.headers,
        body,
        signal: request.signal,
        redirect: request.redirect
      }
    } else {
      url =
        typeof input === "string" && input.startsWith("/")
          ? config.baseUrl.origin + input
          : new URL(input, config.baseUrl).href
      if (!replayable(rest.body)) {
        requestInit = { ...rest, body: await new Response(rest.body).arrayBuffer() }
      }
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
      let response: Response
      try {
        response = await fetchImpl(url, { ...requestInit, headers })
      } catch (error) {
        throw toTransportError(error)
      }
      return { authorized, ...(await judge(response)) }
    }
    const auth = await ready()
    const first = await send(await authorize(auth, choice))
    const renew = (first.verdict === "expired" || first.verdict === "rejected") && auth.renewable
    if (!renew) return settle(first, false)
    await run(auth.invalidate(first.authorized)) // only that token: a fresher one stays
    return settle(await send(await authorize(auth, choice)), true)
  }

  const settle = ({ verdict: v, response }: { verdict: Verdict; response: Response }, renewed: boolean) => {
    const requestId = response.headers.get(AuthHeaders.names.requestId) ?? undefined
    const error = verdictError(v, { requestId, status: response.status }, renewed, config.mapForbidden)
    if (error !== undefined) throw error
    return response
  }

  const client: CapillaryPromiseClient = {
    fetch: capFetch,
    ky: ky.create({
      prefixUrl: config.baseUrl.origin,
      fetch: capFetch as typeof globalThis.fetch,
      retry: {
        limit: 2,
        shouldRetry: ({ error }) => (isAuthError(error) && !isTransient(error) ? false : undefined)
      }
    }),
    headers: async (opts) => ({
      ...(await authorize(await ready(), attributionOf(opts?.attribution))).headers
    }),
    token: async () => {
      await ready()
      const token = await run(Effect.flatMap(TokenManager.TokenManager, (t) => t.get))
      return {
        value: token.value,
        obtainedAt: new Date(token.obtainedAt),
        refreshAt: new Date(token.refreshAt),
        expiresAt: new Date(token.expiresAt),
        remainingMillis: AccessToken.remainingMillis(token, now()),
        claims: token.claims
      }
    },
    invalidate: async (token) => {
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
    },
    stats: async () => {
      await ready()
      return run(Effect.flatMap(TokenManager.TokenManager, (t) => t.stats))
    },
    onEvent: (listener) => {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    close: async () => {
      if (closed) return
      closed = true
      await runtime.dispose()
    }
  }
  return client
}

/**
 * The same `Response` (status, headers, url, `instanceof` all intact) with its body already read: every body
 * accessor serves `text`. Cheaper than a second `Response` per reply, and the JSON is parsed once.
 */
const buffered = (response: Response, text: string, json: unknown): Response => {
  const bytes = () => new TextEncoder().encode(text)
  let used = false
  let stream: ReadableStream<Uint8Array> | null | undefined
  const once = <A>(read: () => A): Promise<A> => {
    if (used) return Promise.reject(new TypeError("Body has already been consumed."))
    used = true
    return Promise.resolve().then(read)
  }
  return Object.defineProperties(response, {
    bodyUsed: { get: () => used },
    body: {
      get: () => {
        if (used) return null
        stream ??= new Response(text).body
        return stream
      }
    },
    text: { value: () => once(() => text) },
    json: { value: () => once(() => (json !== undefined || text === "" ? json : JSON.parse(text))) },
    arrayBuffer: { value: () => once(() => bytes().buffer) },
    bytes: { value: () => once(bytes) },
    blob: { value: () => once(() => new Blob([text], { type: response.headers.get("content-type") ?? "" })) },
    formData: { value: () => once(() => new Response(text, { headers: response.headers }).formData()) },
    clone: {
      value: () => {
        if (used) throw new TypeError("Response body is already used")
        const copy = new Response(text, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers
        })
        Object.defineProperty(copy, "url", { value: response.url })
        return copy
      }
    }
  })
}
