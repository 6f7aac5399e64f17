/**
 * The page side: talk to the token worker with `fetch(path, init)` and get real `Response`s back. The page
 * never sees the token; errors arrive as capauth's typed errors (`ConfigError`, `InvalidCredentials`, ...).
 *
 * @example
 * ```ts
 * import { connect } from "@capauth/browser"
 *
 * const worker = new SharedWorker(new URL("./capauth-shared-worker.js", import.meta.url), { type: "module" })
 * const cap = connect(worker, { config: { baseUrl: "https://eu.api.capillarytech.com", brokerUrl: "/capillary/token" } })
 * const res = await cap.fetch("/v1.1/customer/get?format=json&mobile=919999999999")
 * console.log(res.status, await res.json())
 * cap.close()
 * ```
 * @module
 * @since 0.1.0
 */
import * as Err from "@capauth/core/AuthError"
import type { TokenEvent } from "@capauth/core/TokenManager"
import type { Input } from "./BrowserConfig.ts"
import type { FromWorker, TokenInfo, ToWorker, WireError } from "./Protocol.ts"

/**
 * Options of {@link connect}.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectOptions {
  /** Sent to the worker in the first message; omit when the worker's URL query (or code) configures it. */
  readonly config?: Input | undefined
}

/**
 * `RequestInit` as the worker understands it, plus a per-request attribution.
 *
 * @since 0.1.0
 * @category models
 */
export interface FetchInit {
  readonly method?: string | undefined
  readonly headers?: HeadersInit | undefined
  readonly body?: BodyInit | null | undefined
  readonly signal?: AbortSignal | null | undefined
  /** Attribute this request to another till or store than the configured default. */
  readonly attribution?: { readonly type?: string | undefined; readonly code: string } | undefined
}

/**
 * A page's connection to the token worker, as {@link connect} returns it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Connection {
  /** Resolves once the worker accepted the configuration; rejects with its `ConfigError` otherwise. */
  readonly ready: Promise<void>
  /** A request to the configured API, authenticated in the worker. Paths are relative to its `baseUrl`. */
  readonly fetch: (path: string, init?: FetchInit) => Promise<Response>
  /** The current token's timeline (obtaining one if needed); never its value. */
  readonly tokenInfo: () => Promise<TokenInfo>
  /** Token lifecycle events; returns the unsubscribe function. */
  readonly onEvent: (listener: (event: TokenEvent) => void) => () => void
  /** Stop listening; a dedicated worker is terminated, a shared worker's port closed. Pending calls reject. */
  readonly close: () => void
}

/**
 * Rebuild a worker's error as the matching capauth error class (a plain `Error` for anything else).
 *
 * @since 0.1.0
 * @category codecs
 */
export const fromWire: (wire: WireError) => Err.AuthError | Error = Err.fromWire

const nullBodyStatus = new Set([101, 103, 204, 205, 304])

const isShared = (worker: Worker | SharedWorker): worker is SharedWorker => "port" in worker

/**
 * Connect a page to a token worker started from `@capauth/browser/worker` or `/shared-worker` (or your own).
 *
 * @since 0.1.0
 * @category constructors
 */
export const connect = (worker: Worker | SharedWorker, options?: ConnectOptions): Connection => {
  const port: Pick<MessagePort, "postMessage" | "addEventListener" | "removeEventListener"> = isShared(worker)
    ? worker.port
    : worker
  const pending = new Map<
    number,
    { resolve: (value: never) => void; reject: (error: unknown) => void; make: (m: FromWorker) => unknown }
  >()
  const listeners = new Set<(event: TokenEvent) => void>()
  let nextId = 1
  let closed = false
  let settle: { resolve: () => void; reject: (error: unknown) => void } = {
    resolve: () => {},
    reject: () => {}
  }
  const ready = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject }
  })
  ready.catch(() => {}) // observed through fetch; avoid an unhandled rejection when nobody awaits it

  const post = (message: ToWorker, transfer: Array<Transferable> = []) => port.postMessage(message, transfer)

  const onMessage = (event: MessageEvent<FromWorker>) => {
    const message = event.data
    switch (message.type) {
      case "ready":
        return settle.resolve()
      case "init-error":
        return settle.reject(fromWire(message.error))
      case "event": {
        const e = message.event
        const event = (e._tag === "Failed" ? { ...e, error: fromWire(e.error) } : e) as TokenEvent
        for (const listener of listeners) listener(event)
        return
      }
      default: {
        const entry = pending.get(message.id)
        if (entry === undefined) return
        pending.delete(message.id)
        if (message.type === "error") entry.reject(fromWire(message.error))
        else {
          try {
            entry.resolve(entry.make(message) as never)
          } catch (error) {
            entry.reject(error)
          }
        }
      }
    }
  }

  const onError = (event: Event) => {
    const error = new Error(
      `the capauth worker failed: ${(event as ErrorEvent).message || "it could not be loaded"}`
    )
    settle.reject(error)
    for (const entry of pending.values()) entry.reject(error)
    pending.clear()
  }

  port.addEventListener("message", onMessage as EventListener)
  worker.addEventListener("error", onError)
  if (isShared(worker)) worker.port.start()
  post({ type: "init", config: options?.config })

  const call = <A>(
    send: (id: number) => void,
    make: (message: FromWorker) => A,
    signal?: AbortSignal | null
  ): Promise<A> =>
    ready.then(
      () =>
        new Promise<A>((resolve, reject) => {
          if (closed) return reject(new Error("this capauth connection is closed"))
          if (signal?.aborted) return reject(signal.reason)
          const id = nextId++
          pending.set(id, { resolve: resolve as (value: never) => void, reject, make })
          signal?.addEventListener(
            "abort",
            () => {
              if (!pending.delete(id)) return
              post({ type: "abort", id })
              reject(signal.reason)
            },
            { once: true }
          )
          send(id)
        })
    )

  const fetch = async (path: string, init: FetchInit = {}): Promise<Response> => {
    const headers: Array<[string, string]> = []
    new Headers(init.headers).forEach((value, name) => {
      headers.push([name, value])
    })
    const raw = init.body
    const body =
      raw == null ? undefined : typeof raw === "string" ? raw : await new Response(raw).arrayBuffer()
    return call(
      (id) =>
        post(
          {
            type: "fetch",
            id,
            path,
            method: init.method ?? "GET",
            headers,
            body,
            ...(init.attribution === undefined ? {} : { attribution: init.attribution })
          },
          body instanceof ArrayBuffer ? [body] : []
        ),
      (message) => {
        if (message.type !== "response") throw new Error(`unexpected ${message.type}`)
        return new Response(nullBodyStatus.has(message.status) ? null : message.body, {
          status: message.status,
          headers: message.headers as Array<[string, string]>
        })
      },
      init.signal
    )
  }

  return {
    ready,
    fetch,
    tokenInfo: () =>
      call(
        (id) => post({ type: "token", id }),
        (message) => (message as Extract<FromWorker, { type: "token" }>).info
      ),
    onEvent: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close: () => {
      if (closed) return
      closed = true
      post({ type: "close" })
      port.removeEventListener("message", onMessage as EventListener)
      worker.removeEventListener("error", onError)
      const error = new Error("this capauth connection is closed")
      for (const entry of pending.values()) entry.reject(error)
      pending.clear()
      settle.reject(error)
      if (isShared(worker)) worker.port.close()
      else worker.terminate()
    }
  }
}
