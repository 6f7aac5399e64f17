import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import type { SimulatorCore } from "./core.ts"

/** The only host the simulator listens on: it is a test tool, never exposed beyond loopback. */
const HOST = "127.0.0.1"
const MAX_BODY_BYTES = 1024 * 1024

// Reason phrases for Capillary's non-standard statuses (node would say "unknown").
const REASONS: Record<number, string> = {
  461: "Retry Later",
  498: "Token Expired",
  521: "Retry Later"
}

/** A running node:http server for a core. */
export interface NodeServer {
  readonly url: string
  readonly port: number
  close(): Promise<void>
}

const flatHeaders = (req: IncomingMessage): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v
  }
  return out
}

/**
 * Serves `core` on 127.0.0.1 with node:http. Needed for the `reset` (destroy the socket) and `no-response`
 * (hold it) faults, which a web-standard handler cannot express.
 */
export const serveNode = (core: SimulatorCore, port: number): Promise<NodeServer> => {
  const handle = async (req: IncomingMessage, res: ServerResponse, body: string) => {
    const outcome = await core.dispatch({
      method: req.method ?? "GET",
      url: req.url ?? "/",
      headers: flatHeaders(req),
      body
    })
    if (outcome.kind === "reset") return void req.socket.destroy()
    // Hold the socket: nothing is written; close() releases it.
    if (outcome.kind === "no-response") return
    const { reply } = outcome
    if (outcome.afterwards === "reset") return void req.socket.destroy()
    if (outcome.afterwards === "no-response") return
    const headers = { ...reply.headers, "content-length": String(Buffer.byteLength(reply.body)) }
    const reason = REASONS[reply.status]
    if (reason === undefined) res.writeHead(reply.status, headers)
    else res.writeHead(reply.status, reason, headers)
    res.end(reply.body)
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_BODY_BYTES) chunks.push(chunk)
    })
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413, { "content-type": "application/json" })
        res.end(JSON.stringify({ data: null, errors: [{ code: 413, message: "Request body too large" }] }))
        return
      }
      handle(req, res, Buffer.concat(chunks).toString("utf8")).catch((err: unknown) => {
        if (res.headersSent) return void res.destroy()
        res.writeHead(500, { "content-type": "application/json" })
        res.end(JSON.stringify({ data: null, errors: [{ code: 500, message: String(err) }] }))
      })
    })
  })

  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, HOST, () => {
      server.off("error", reject)
      const actual = (server.address() as AddressInfo).port
      resolve({
        url: `http://${HOST}:${actual}`,
        port: actual,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()))
            // Also drops idle keep-alive sockets and sockets held by no-response faults.
            server.closeAllConnections()
          })
      })
    })
  })
}
