/**
 * The transport of the Node Promise facade: undici's `request` over its pooled global dispatcher, answered as a
 * standard `Response`. Node's global `fetch` runs the whole WHATWG fetch algorithm (a `Request`, `Headers` with
 * guards, a `ReadableStream` body) on every call; tooling/bench measured it at about 3x the client CPU of this
 * path on a small JSON answer. What the facade sends (a URL string, `redirect: "manual"`, no body, a string or
 * bytes) goes this way, through the dispatcher the global fetch uses; anything else, or every call once the
 * global `fetch` was replaced (a test's stub, a mock server), goes to the global `fetch`.
 */
import { pipeline, type Readable, Transform } from "node:stream"
import * as zlib from "node:zlib"
import { type Dispatcher, getGlobalDispatcher, request } from "@effect/platform-node/Undici"

/**
 * undici's process-global dispatcher (an `Agent` unless the process set another with `setGlobalDispatcher`: a
 * proxy agent, a mock). Node's global fetch sends through this same dispatcher once the undici package is loaded,
 * so both share one connection pool.
 */
const dispatcher = (): Dispatcher => getGlobalDispatcher()

/** "deflate" is zlib-wrapped by the standard and raw from some servers: the first byte tells (as fetch does). */
const inflate = (options: zlib.ZlibOptions): Transform => {
  let inner: zlib.Inflate | zlib.InflateRaw | undefined
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (inner === undefined) {
        if (chunk.length === 0) return callback()
        inner = (chunk[0]! & 0x0f) === 0x08 ? zlib.createInflate(options) : zlib.createInflateRaw(options)
        inner.on("data", (data: Buffer) => this.push(data))
        inner.on("error", (error) => this.destroy(error))
      }
      inner.write(chunk, callback)
    },
    flush(callback) {
      if (inner === undefined) return callback()
      inner.once("end", () => callback())
      inner.end()
    }
  })
}

/** As fetch: decode what it advertised (gzip, deflate, br), keeping the response's headers as they came. */
const decoderOf = (coding: string): Transform | undefined => {
  // Lenient at the end, as fetch is, for servers that close a compressed body early.
  const flush = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH }
  switch (coding.trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return zlib.createGunzip(flush)
    case "deflate":
      return inflate(flush)
    case "br":
      return zlib.createBrotliDecompress({
        flush: zlib.constants.BROTLI_OPERATION_FLUSH,
        finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH
      })
    default:
      return undefined
  }
}

/** The body decoded by its content-encoding (codings applied in order are undone in reverse). */
const decoded = (body: Readable, encoding: string | undefined): Readable => {
  if (encoding === undefined || encoding === "") return body
  const codings = encoding.split(",")
  // As fetch (a guard against resource exhaustion).
  if (codings.length > 5) {
    body.destroy(new Error(`too many content-encodings in response: ${codings.length}, maximum allowed is 5`))
    return body
  }
  const decoders: Array<Transform> = []
  for (const coding of codings.reverse()) {
    const decoder = decoderOf(coding)
    if (decoder === undefined) return body // an unknown coding: the bytes as they came, as fetch does
    decoders.push(decoder)
  }
  return pipeline([body, ...decoders], () => undefined) as unknown as Readable
}

/**
 * Whether the global fetch sends through undici's global dispatcher (the undici package keeps the legacy slot a
 * wrapper of it); if something else was put there, the global fetch is used as is.
 */
const sharesGlobalDispatcher = (): boolean =>
  (globalThis as Record<symbol, { constructor?: { name?: string } } | undefined>)[
    Symbol.for("undici.globalDispatcher.1")
  ]?.constructor?.name === "Dispatcher1Wrapper"

/**
 * The global fetch as this module found it. One replaced later (a test's stub, a mock server's interceptor) is
 * what the process means to send with: it gets every call, as it did before this transport.
 */
const loadedFetch = globalThis.fetch

const nullBodyStatuses = new Set([101, 103, 204, 205, 304])
const normalizedMethods = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"])

/**
 * A Node stream as a web stream, pulled on demand. Chunks that arrive in the same tick (a socket read holding
 * many small chunks of a chunked answer, as a streamed ndjson is sent) go out as one, at the end of that tick:
 * each chunk costs every stream layer after this one a read, so fewer chunks is less CPU, and no byte waits.
 * Not `Readable.toWeb`: a chunk already emitted when the web stream is cancelled (the facade releases answers it
 * never reads) makes it throw from an event handler.
 */
const toWeb = (state: BodyState): ReadableStream<Uint8Array> => {
  const body = state.body
  let settled = false
  let pending: Array<Buffer> = []
  let scheduled = false
  let out: ReadableStreamDefaultController<Uint8Array> | undefined
  const flush = () => {
    scheduled = false
    if (settled || pending.length === 0 || out === undefined) return
    const chunk = pending.length === 1 ? pending[0]! : Buffer.concat(pending)
    pending = []
    out.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    if ((out.desiredSize ?? 0) <= 0) body.pause()
  }
  const fail = (error: unknown) => {
    if (settled) return
    settled = true
    pending = []
    out?.error(state.mapError === undefined ? error : state.mapError(error))
  }
  /** On the first read: the bytes a peek took first, then the rest of the body as it comes. */
  const listen = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    state.started = true
    if (state.failed !== undefined) return fail(state.failed)
    pending.push(...state.prefix)
    state.prefix = []
    if (state.ended) {
      flush()
      settled = true
      return controller.close()
    }
    body.on("data", (chunk: Buffer) => {
      if (settled) return
      pending.push(chunk)
      if (!scheduled) {
        scheduled = true
        queueMicrotask(flush)
      }
    })
    state.listener = {
      end: () => {
        flush()
        if (settled) return
        settled = true
        controller.close()
      },
      error: fail
    }
    if (pending.length > 0) flush()
    else body.resume()
  }
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        out = controller
      },
      pull(controller) {
        if (!state.started) listen(controller)
        else body.resume()
      },
      cancel() {
        settled = true
        pending = []
        state.started = true
        body.destroy()
      }
    },
    // Nothing is pulled before someone reads: until then `peekInPlace` may look at the first bytes.
    { highWaterMark: 0 }
  )
}

/** A body this transport made, until its web stream is first read (see `peekInPlace`). */
interface BodyState {
  readonly body: Readable
  /** Bytes a peek read, handed on first. */
  prefix: Array<Buffer>
  /** The body ended, or failed (kept for whoever listens next). */
  ended: boolean
  failed: unknown
  /** The web stream has been read (or cancelled): no more peeking. */
  started: boolean
  /** How a failure of the body reaches its reader (the facade types it). */
  mapError: ((error: unknown) => unknown) | undefined
  /** Who hears of the end and of a failure: nobody at first, then the peek, then the web stream. */
  listener: { readonly end: () => void; readonly error: (error: unknown) => void } | undefined
}

/**
 * Track `body` from the start: an error with no listener would be thrown, and its end may come between the
 * peek letting go and the web stream listening (Node 26 hands a small body and its end over at once).
 */
const track = (body: Readable): BodyState => {
  const state: BodyState = {
    body,
    prefix: [],
    ended: false,
    failed: undefined,
    started: false,
    mapError: undefined,
    listener: undefined
  }
  body.once("end", () => {
    state.ended = true
    state.listener?.end()
  })
  body.on("error", (error) => {
    state.failed ??= error
    state.listener?.error(error)
  })
  return state
}
const bodies = new WeakMap<Response, BodyState>()

/**
 * Look at the first `limit` bytes of a body this transport made, before its web stream is read: `push` gets each
 * chunk (at most `limit` bytes in all) until it returns true. The body then streams on from its first byte,
 * through no second stream, and a failure of it (now or later) is `mapError`'s. `undefined` for a response this
 * transport did not make, or one already read: the facade then peeks through a stream of its own.
 */
export const peekInPlace = (
  response: Response,
  limit: number,
  push: (chunk: Uint8Array) => boolean,
  mapError: (error: unknown) => unknown
): Promise<void> | undefined => {
  const state = bodies.get(response)
  if (state === undefined || state.started) return undefined
  bodies.delete(response)
  state.mapError = mapError
  if (state.failed !== undefined) return Promise.reject(mapError(state.failed))
  if (limit <= 0) return Promise.resolve()
  const body = state.body
  return new Promise<void>((resolve, reject) => {
    let read = 0
    const stop = () => {
      body.off("data", onData)
      state.listener = undefined
    }
    const onData = (chunk: Buffer) => {
      state.prefix.push(chunk)
      const room = limit - read
      read += chunk.byteLength
      if (push(chunk.byteLength > room ? chunk.subarray(0, room) : chunk) || read >= limit) {
        body.pause()
        stop()
        resolve()
      }
    }
    state.listener = {
      end: () => {
        stop()
        resolve()
      },
      error: (error) => {
        stop()
        reject(mapError(error))
      }
    }
    body.on("data", onData)
  })
}

type Body = string | Uint8Array | null

const simpleBody = (body: BodyInit | null | undefined): Body | undefined => {
  if (body === null || body === undefined) return null
  if (typeof body === "string") return body
  if (body instanceof ArrayBuffer) return new Uint8Array(body)
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
  return undefined
}

/**
 * `fetch` for the facade (same contract; never follows redirects itself: the facade asks for `manual`).
 */
export const fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const body = simpleBody(init?.body)
  const raw = init?.method ?? "GET"
  const upper = raw.toUpperCase()
  const method = normalizedMethods.has(upper) ? upper : raw
  if (
    typeof input !== "string" ||
    init === undefined ||
    init.redirect !== "manual" ||
    body === undefined ||
    (body !== null && (method === "GET" || method === "HEAD")) ||
    (init as { dispatcher?: unknown }).dispatcher !== undefined ||
    globalThis.fetch !== loadedFetch ||
    !sharesGlobalDispatcher()
  )
    return globalThis.fetch(input, init)
  // The headers fetch would add when the caller did not set them.
  const headers: Record<string, string> = {
    accept: "*/*",
    "accept-encoding": "gzip, deflate, br",
    "user-agent": "node"
  }
  if (typeof body === "string") headers["content-type"] = "text/plain;charset=UTF-8"
  const given = init.headers
  const set = (value: string, name: string) => {
    headers[name] = value
  }
  // The facade hands a `Headers` (names already lower-case, values checked): read it, do not copy it.
  if (given instanceof Headers) given.forEach(set)
  else if (given !== undefined) new Headers(given).forEach(set)
  return send(input, method, headers, body, init.signal ?? null)
}

const send = async (
  url: string,
  method: string,
  headers: Record<string, string>,
  body: Body,
  signal: AbortSignal | null
): Promise<Response> => {
  const answer = await request(url, {
    method: method as Dispatcher.HttpMethod,
    headers,
    body,
    signal,
    dispatcher: dispatcher(),
    // As Node's fetch asks: HTTP/1.1, which also puts these requests in the same pool as its own (the agent keys
    // its pools by origin and this choice).
    allowH2: false
  } as Parameters<typeof request>[1])
  const status = answer.statusCode
  const pairs: Array<[string, string]> = []
  for (const name in answer.headers) {
    const value = answer.headers[name]
    if (typeof value === "string") pairs.push([name, value])
    else if (Array.isArray(value)) for (const v of value) pairs.push([name, v])
  }
  let stream: ReadableStream<Uint8Array> | null = null
  let state: BodyState | undefined
  if (method === "HEAD" || nullBodyStatuses.has(status)) answer.body.dump().catch(() => undefined)
  else {
    const encoding = answer.headers["content-encoding"]
    state = track(decoded(answer.body, typeof encoding === "string" ? encoding : undefined))
    stream = toWeb(state)
  }
  const response = new Response(stream, { status, statusText: answer.statusText, headers: pairs })
  if (state !== undefined) bodies.set(response, state)
  return Object.defineProperty(response, "url", { value: url })
}
