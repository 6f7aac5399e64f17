/**
 * Serves a web-standard handler (`Request -> Response`) on 127.0.0.1 with node:http, for running the contract
 * suites under Node: the request (body read whole) becomes a web `Request` whose `signal` aborts when the
 * client goes away; the `Response` is streamed back chunk by chunk, as the handler produces it.
 *
 * @module
 * @since 0.1.0
 */
import { Buffer } from "node:buffer"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import type { ContractServer, WebHandler } from "./wire.ts"

const HOST = "127.0.0.1"

const toRequest = async (req: IncomingMessage, origin: string, signal: AbortSignal): Promise<Request> => {
  const chunks: Array<Buffer> = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const headers = new Headers()
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string)
  }
  const method = req.method ?? "GET"
  return new Request(origin + (req.url ?? "/"), {
    method,
    headers,
    body: method === "GET" || method === "HEAD" ? null : Buffer.concat(chunks),
    signal
  })
}

const writeResponse = async (res: ServerResponse, response: Response): Promise<void> => {
  const headers: Record<string, string | Array<string>> = {}
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) headers["set-cookie"] = cookies
  if (response.statusText === "") res.writeHead(response.status, headers)
  else res.writeHead(response.status, response.statusText, headers)
  if (response.body === null) return void res.end()
  const reader = response.body.getReader()
  try {
    for (;;) {
      const next = await reader.read()
      if (next.done) break
      if (res.destroyed) return
      if (!res.write(next.value)) {
        await new Promise<void>((resolve) => {
          res.once("drain", resolve)
          res.once("close", resolve)
        })
      }
    }
    res.end()
  } finally {
    if (res.destroyed) await reader.cancel().catch(() => undefined)
  }
}

/**
 * Serves `handler` on 127.0.0.1 (any port) with node:http. `close()` stops listening and drops every
 * connection.
 *
 * @since 0.1.0
 * @category utils
 */
export const serveNode = (handler: WebHandler): Promise<ContractServer> => {
  let origin = `http://${HOST}`
  const server = createServer((req, res) => {
    const gone = new AbortController()
    res.once("close", () => {
      if (!res.writableFinished) gone.abort(new DOMException("the client went away", "AbortError"))
    })
    toRequest(req, origin, gone.signal)
      .then((request) => handler(request))
      .then((response) => writeResponse(res, response))
      .catch(() => res.destroy())
  })
  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, HOST, () => {
      server.off("error", reject)
      origin = `http://${HOST}:${(server.address() as AddressInfo).port}`
      resolve({
        url: origin,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()))
            server.closeAllConnections()
          })
      })
    })
  })
}
