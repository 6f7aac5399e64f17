/**
 * The worker side: core's `TokenManager` and authenticated client, on `FetchHttpClient`, serving pages over
 * `postMessage`. Tokens come from your broker (`brokerUrl`) or a token provider you write in the worker; the
 * token stays in the worker, pages get responses only. In a `SharedWorker` every connected page shares one
 * manager, so any number of tabs make one broker request per token.
 *
 * The ready-made entries `@capauth/browser/worker` and `@capauth/browser/shared-worker` call `serveDedicated` /
 * `serveShared` with no options. Write your own entry to supply a token provider:
 *
 * @example
 * ```ts
 * // my-worker.ts, bundled for the browser and started with new Worker(url, { type: "module" })
 * import { WorkerHost } from "@capauth/browser"
 *
 * WorkerHost.serveDedicated(self, {
 *   tokenProvider: async () => {
 *     const res = await fetch("/my/token", { credentials: "include" })
 *     return res.json() // { accessToken, ttlSeconds }
 *   }
 * })
 * ```
 * @module
 * @since 0.1.0
 */
import * as AccessToken from "@capauth/core/AccessToken"
import { type AuthError, ConfigError, TransportError } from "@capauth/core/AuthError"
import * as CapillaryClient from "@capauth/core/CapillaryClient"
import * as TokenBroker from "@capauth/core/TokenBroker"
import * as TokenManager from "@capauth/core/TokenManager"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as BrowserConfig from "./BrowserConfig.ts"
import { type FromWorker, strippedHeaders, type ToWorker, toWire, type WireEvent } from "./Protocol.ts"

/**
 * Your own way to get a token, run in the worker: resolve `{ accessToken, ttlSeconds }`.
 *
 * @since 0.1.0
 * @category models
 */
export type TokenProvider = TokenBroker.TokenProvider

/**
 * Options of a worker host.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Tokens from your code instead of `brokerUrl`. */
  readonly tokenProvider?: TokenProvider | undefined
  /** Configuration fixed in the worker; a page's `init` may then send none. */
  readonly config?: BrowserConfig.Input | undefined
}

/**
 * What the host needs of a `MessagePort` or a dedicated worker's global scope.
 *
 * @since 0.1.0
 * @category models
 */
export interface Port {
  postMessage(message: FromWorker, transfer?: Array<Transferable>): void
  addEventListener(type: "message", listener: (event: MessageEvent<ToWorker>) => void): void
  start?: () => void
  close?: () => void
}

interface Runtime {
  readonly config: BrowserConfig.BrowserConfig
  readonly tokens: TokenManager.Service
  readonly client: HttpClient.HttpClient.With<HttpClientError.HttpClientError | AuthError>
}

const build = (config: BrowserConfig.BrowserConfig, options: Options, onEvent: (event: WireEvent) => void) =>
  Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient
    let refused: string | undefined // fingerprint of a token the API refused since the last broker request
    const rejected = () => {
      const fingerprint = refused
      refused = undefined
      return fingerprint
    }
    const source =
      options.tokenProvider !== undefined
        ? TokenBroker.providerSource(options.tokenProvider)
        : config.brokerUrl !== undefined
          ? yield* TokenBroker.source(config.brokerUrl, {
              headers: config.brokerHeaders,
              timeoutMillis: config.tokenTimeoutMillis,
              rejected
            })
          : yield* Effect.fail(
              new ConfigError({
                field: "brokerUrl",
                message: "set brokerUrl (your server's token broker) or give the worker a tokenProvider"
              })
            )
    const tokens = yield* TokenManager.make({ source, refresh: config.refresh })
    yield* Effect.forkScoped(
      Stream.runForEach(tokens.events, (event) =>
        Effect.sync(() => onEvent(event._tag === "Failed" ? { ...event, error: toWire(event.error) } : event))
      )
    )
    const tracked: TokenManager.Service = {
      ...tokens,
      invalidate: (token) =>
        Effect.map(tokens.invalidate(token), (dropped) => {
          if (dropped) refused = AccessToken.fingerprint(token)
          return dropped
        })
    }
    const client = CapillaryClient.fromTokenManager(http, config, tracked)
    return { config, tokens, client } satisfies Runtime
  }).pipe(Effect.provide(FetchHttpClient.layer))

/** Token headers print as <redacted> wherever the worker's effects log or inspect headers. */
const redacted = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.provide(effect, CapillaryClient.layerRedactHeaders)

/** Turn a page's request into an Effect request, refusing any URL off the configured API origin. */
const toRequest = (config: BrowserConfig.BrowserConfig, message: Extract<ToWorker, { type: "fetch" }>) => {
  const url = new URL(message.path, config.baseUrl)
  if (url.origin !== config.baseUrl.origin) {
    return Result.fail(
      new ConfigError({
        field: "path",
        message: `only paths on ${config.baseUrl.origin} can be fetched: the token is never sent to another origin`
      })
    )
  }
  const headers = Object.fromEntries(message.headers)
  const contentType = headers["content-type"] ?? "application/json"
  let request = HttpClientRequest.make(message.method.toUpperCase() as "POST")(url, { headers })
  if (typeof message.body === "string")
    request = HttpClientRequest.bodyText(request, message.body, contentType)
  else if (message.body !== undefined) {
    request = HttpClientRequest.bodyUint8Array(request, new Uint8Array(message.body), contentType)
  }
  if (message.attribution !== undefined) {
    const attribution = BrowserConfig.make({
      baseUrl: config.baseUrl.origin,
      attribution: message.attribution
    })
    if (Result.isFailure(attribution)) return Result.fail(attribution.failure)
    request = CapillaryClient.attribute(attribution.success.attribution!)(request)
  }
  return Result.succeed(request)
}

/** An Effect `HttpClientError` (no usable response) as capauth's `TransportError`; anything else as is. */
const transport = (e: unknown): unknown =>
  HttpClientError.isHttpClientError(e)
    ? new TransportError({ reason: "Network", message: `request failed (${e.reason._tag})` })
    : e

/**
 * A host: one runtime (built on the first `init`), serving any number of ports. Later `init`s must carry
 * the same configuration (or none).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}, location?: string) => {
  const ports = new Set<Port>()
  let started: { key: string; runtime: Promise<Runtime> } | undefined
  const scope = Effect.runSync(Scope.make())

  const broadcast = (event: WireEvent) => {
    for (const port of ports) port.postMessage({ type: "event", event })
  }

  const start = (input: BrowserConfig.Input | undefined): Promise<Runtime> => {
    const query = location === undefined ? undefined : BrowserConfig.fromQuery(new URL(location).search)
    const effective = input ?? options.config ?? query
    const key = JSON.stringify(effective ?? null)
    if (started !== undefined) {
      if (input === undefined || key === started.key) return started.runtime
      return Promise.reject(
        new ConfigError({
          message:
            "this shared worker already runs with another configuration: give the SharedWorker another name"
        })
      )
    }
    const config = BrowserConfig.make(effective, location)
    const runtime = Result.isFailure(config)
      ? Promise.reject(config.failure)
      : Effect.runPromise(redacted(Scope.provide(scope)(build(config.success, options, broadcast))))
    // A configuration error is answered to this page, and the next init may try again.
    started = Result.isFailure(config) ? undefined : { key, runtime }
    runtime.catch(() => {
      if (started?.runtime === runtime) started = undefined
    })
    return runtime
  }

  const attach = (port: Port) => {
    let runtime: Promise<Runtime> | undefined
    const inflight = new Map<number, Fiber.Fiber<unknown, unknown>>()
    const fail = (id: number, error: unknown) =>
      port.postMessage({ type: "error", id, error: toWire(transport(error)) })

    const onMessage = (message: ToWorker) => {
      switch (message.type) {
        case "init": {
          runtime = start(message.config)
          ports.add(port)
          runtime.then(
            () => port.postMessage({ type: "ready" }),
            (error) => port.postMessage({ type: "init-error", error: toWire(error) })
          )
          return
        }
        case "fetch":
        case "token": {
          if (runtime === undefined) {
            return fail(message.id, new ConfigError({ message: "send init before any request" }))
          }
          runtime.then(
            (rt) => run(rt, message),
            (error) => fail(message.id, error)
          )
          return
        }
        case "abort": {
          const fiber = inflight.get(message.id)
          if (fiber !== undefined) Effect.runFork(Fiber.interrupt(fiber))
          return
        }
        case "close": {
          ports.delete(port)
          for (const fiber of inflight.values()) Effect.runFork(Fiber.interrupt(fiber))
          port.close?.()
          return
        }
      }
    }

    const run = (rt: Runtime, message: Extract<ToWorker, { type: "fetch" | "token" }>) => {
      const { id } = message
      if (message.type === "token") {
        Effect.runPromise(rt.tokens.get).then(
          ({ obtainedAt, refreshAt, staleAt, expiresAt, lifetimeMillis }) =>
            port.postMessage({
              type: "token",
              id,
              info: { obtainedAt, refreshAt, staleAt, expiresAt, lifetimeMillis }
            }),
          (error) => fail(id, error)
        )
        return
      }
      const request = toRequest(rt.config, message)
      if (Result.isFailure(request)) return fail(id, request.failure)
      const fiber = Effect.runFork(
        redacted(
          Effect.flatMap(rt.client.execute(request.success), (response) =>
            Effect.map(response.arrayBuffer, (body) => ({ response, body }))
          )
        )
      )
      inflight.set(id, fiber)
      fiber.addObserver((exit) => {
        inflight.delete(id)
        if (Exit.isSuccess(exit)) {
          const { response, body } = exit.value
          const headers = Object.entries(response.headers).filter(([name]) => !strippedHeaders.has(name))
          port.postMessage({ type: "response", id, status: response.status, headers, body }, [body])
        } else if (!Exit.hasInterrupts(exit)) {
          const failure = Cause.findErrorOption(exit.cause)
          fail(
            id,
            failure._tag === "Some"
              ? failure.value
              : new TransportError({ reason: "Network", message: "request failed" })
          )
        }
      })
    }

    port.addEventListener("message", (event) => onMessage(event.data))
    port.start?.()
  }

  return {
    attach,
    /** Stop background work (refresh flights, event streams). */
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

interface SharedScope {
  addEventListener(type: "connect", listener: (event: MessageEvent) => void): void
  readonly location?: { readonly href: string }
}

/**
 * Serve the pages of a dedicated worker (`self`).
 *
 * @since 0.1.0
 * @category workers
 */
export const serveDedicated = (self: unknown, options?: Options): void =>
  make(options, (self as { location?: { href: string } }).location?.href).attach(self as Port)

/**
 * Serve every page that connects to a shared worker (`self`); they share one token manager.
 *
 * @since 0.1.0
 * @category workers
 */
export const serveShared = (self: unknown, options?: Options): void => {
  const scope = self as SharedScope
  const host = make(options, scope.location?.href)
  scope.addEventListener("connect", (event) => {
    for (const port of event.ports) host.attach(port as unknown as Port)
  })
}
