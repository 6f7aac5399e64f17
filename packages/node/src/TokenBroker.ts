/**
 * The token broker on Node: core's runtime-neutral `TokenBroker` (its fetch-style handler, statuses and
 * envelope are documented there) plus a `node:http` handler for `http.createServer` or Express.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http"
 * import { createCapillaryClient, TokenBroker } from "@capauth/node"
 *
 * const cap = createCapillaryClient() // CAPILLARY_* from the environment
 * const broker = TokenBroker.make({
 *   client: cap,
 *   authorize: (request) => request.headers.get("cookie")?.includes("session=") ?? false // your session check
 * })
 * createServer(broker.node).listen(8080)
 * // or, fetch-style: app.get("/capillary/token", (c) => broker.fetch(c.req.raw))
 * ```
 * @module
 * @since 0.1.0
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import * as CoreBroker from "@capauth/core/TokenBroker"

/**
 * @since 0.1.0
 * @category models
 */
export type Options = CoreBroker.Options

/**
 * @since 0.1.0
 * @category models
 */
export interface TokenBroker extends CoreBroker.TokenBroker {
  /** `node:http` handler (`http.createServer(broker.node)`, or an Express route). */
  readonly node: (req: IncomingMessage, res: ServerResponse) => void
}

/**
 * Request header by which a worker reports the token Capillary refused (its fingerprint, never the token).
 *
 * @since 0.1.0
 * @category constants
 */
export const rejectedTokenHeader = CoreBroker.rejectedTokenHeader

/**
 * Build a broker over a client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): TokenBroker => {
  const { fetch } = CoreBroker.make(options)
  const node = (req: IncomingMessage, res: ServerResponse): void => {
    void toRequest(req)
      .then(fetch, () => badRequest())
      .then((response) => writeResponse(response, res))
      .catch(() => {
        if (!res.headersSent) res.writeHead(500, { "cache-control": "no-store" })
        res.end()
      })
  }
  return { fetch, node }
}

const badRequest = () =>
  new Response(
    JSON.stringify({ data: null, errors: [{ code: 400, message: "could not read the request" }] }),
    {
      status: 400,
      headers: { "cache-control": "no-store", pragma: "no-cache", "content-type": "application/json" }
    }
  )

/** Requests bodies larger than this are cut off: the broker needs none, `authorize` may peek at a small one. */
const maxBody = 64 * 1024

const toRequest = async (req: IncomingMessage): Promise<Request> => {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(":")) continue
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else headers.set(name, value)
  }
  let url: URL
  try {
    url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`)
  } catch {
    url = new URL(req.url ?? "/", "http://localhost")
  }
  const method = req.method ?? "GET"
  let body: ArrayBuffer | undefined
  if (method !== "GET" && method !== "HEAD") {
    const chunks: Array<Buffer> = []
    let size = 0
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > maxBody) break
      chunks.push(chunk)
    }
    const all = Buffer.concat(chunks)
    body = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer
  }
  return new Request(url, { method, headers, ...(body === undefined ? {} : { body }) })
}

const writeResponse = async (response: Response, res: ServerResponse): Promise<void> => {
  const text = await response.text()
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    headers[name] = value
  })
  headers["content-length"] = String(Buffer.byteLength(text))
  res.writeHead(response.status, headers)
  res.end(text)
}
