/**
 * A real HTTP forward proxy on 127.0.0.1 for the transport scenarios: it tunnels `CONNECT host:port` and forwards
 * absolute-form requests (`GET http://host/path`), and records what it saw of each, so a test can say which
 * requests went through it and what the proxy itself was sent. Written on node:http and node:net, so it runs
 * under Node, Deno and Bun alike.
 *
 * @module
 * @since 0.1.0
 */
import { Buffer } from "node:buffer"
import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http"
import { type AddressInfo, connect, type Socket } from "node:net"

/**
 * One request the proxy received: a tunnel (`CONNECT`, whose `target` is `host:port`; what travels inside is not
 * seen) or a forwarded request (`target` is the absolute URL, `body` what it carried).
 *
 * @since 0.1.0
 * @category models
 */
export interface ProxySeen {
  readonly kind: "connect" | "forward"
  readonly method: string
  readonly target: string
  /** The headers the proxy received, lower-cased (including any `proxy-authorization`). */
  readonly headers: Readonly<Record<string, string>>
  /** A forwarded request's body (empty for a tunnel). */
  readonly body: string
}

/**
 * A running proxy. `url` is `http://127.0.0.1:PORT`; `authUrl` the same with the credentials when `auth` was set.
 *
 * @since 0.1.0
 * @category models
 */
export interface TestProxy {
  readonly url: string
  readonly port: number
  /** Everything it received, oldest first. */
  readonly seen: ReadonlyArray<ProxySeen>
  /** Everything a client sent to the proxy itself, in one string (headers and forwarded bodies, not tunnels). */
  readonly transcript: () => string
  readonly close: () => Promise<void>
}

/**
 * Options of `startProxy`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProxyOptions {
  /** Require `Proxy-Authorization: Basic base64(username:password)`; anything else gets a 407. */
  readonly auth?: { readonly username: string; readonly password: string } | undefined
}

const flatten = (headers: IncomingHttpHeaders): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value
  }
  return out
}

/** Hop-by-hop headers a forwarding proxy must not pass on (RFC 9110 §7.6.1), plus its own credentials. */
const hopByHop = new Set([
  "connection",
  "keep-alive",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade"
])

/**
 * Start a forward proxy on 127.0.0.1 (a free port).
 *
 * @since 0.1.0
 * @category constructors
 */
export const startProxy = async (options: ProxyOptions = {}): Promise<TestProxy> => {
  const seen: Array<ProxySeen> = []
  const sockets = new Set<Socket>()
  const expected =
    options.auth === undefined
      ? undefined
      : `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString("base64")}`
  const allowed = (headers: IncomingHttpHeaders) =>
    expected === undefined || headers["proxy-authorization"] === expected

  const server = createServer(async (req, res) => {
    const chunks: Array<Buffer> = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    const target = req.url ?? "/"
    seen.push({
      kind: "forward",
      method: req.method ?? "GET",
      target,
      headers: flatten(req.headers),
      body: body.toString("utf8")
    })
    if (!allowed(req.headers)) {
      res.writeHead(407, { "proxy-authenticate": 'Basic realm="test"', "content-length": "0" })
      res.end()
      return
    }
    let url: URL
    try {
      url = new URL(target)
    } catch {
      res.writeHead(400, { "content-length": "0" })
      res.end()
      return
    }
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(flatten(req.headers))) {
      if (!hopByHop.has(name)) headers[name] = value
    }
    const upstream = httpRequest(
      { host: url.hostname, port: url.port, method: req.method, path: url.pathname + url.search, headers },
      (answer) => {
        const out: Record<string, string | Array<string>> = {}
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value !== undefined && !hopByHop.has(name)) out[name] = value
        }
        res.writeHead(answer.statusCode ?? 502, out)
        answer.pipe(res)
      }
    )
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502, { "content-length": "0" })
      res.end()
    })
    upstream.end(body)
  })

  server.on("connect", (req, client: Socket, head: Buffer) => {
    const target = req.url ?? ""
    seen.push({ kind: "connect", method: "CONNECT", target, headers: flatten(req.headers), body: "" })
    sockets.add(client)
    client.on("close", () => sockets.delete(client))
    client.on("error", () => client.destroy())
    if (!allowed(req.headers)) {
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n'
      )
      return
    }
    const [host, port] = [target.slice(0, target.lastIndexOf(":")), target.slice(target.lastIndexOf(":") + 1)]
    const upstream = connect(Number(port), host.replace(/^\[(.*)\]$/, "$1"), () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n")
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    sockets.add(upstream)
    upstream.on("close", () => sockets.delete(upstream))
    upstream.on("error", () => client.destroy())
    client.on("close", () => upstream.destroy())
  })
  server.on("connection", (socket: Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    transcript: () =>
      seen.map((s) => `${s.method} ${s.target}\n${JSON.stringify(s.headers)}\n${s.body}`).join("\n---\n"),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}
