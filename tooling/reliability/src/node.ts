/** The Node side of the suite: the drivers over @capauth/node. */

import { subscribe, unsubscribe } from "node:diagnostics_channel"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { createCapillaryClient, NodeCapillary } from "@capauth/node"
import { type EffectDriverOptions, effectDriver, type MakeDriver, promiseDriver } from "./drivers.ts"
import type { Serve } from "./fuzz.ts"

/**
 * On Node the witness listens to undici's diagnostics channels, which every request through undici publishes
 * (Node's own fetch and the undici package alike): it sees what leaves whatever transport the client picks.
 */
const undiciWitness =
  (make: MakeDriver): MakeDriver =>
  (ctx) => {
    const sent = new WeakMap<object, string | undefined>()
    const tokenOf = (headers: unknown): string | undefined => {
      if (typeof headers === "string")
        return /(?:^|\r\n)x-cap-api-oauth-token:\s*([^\r\n]*)/i.exec(headers)?.[1]
      if (Array.isArray(headers))
        for (let i = 0; i + 1 < headers.length; i += 2)
          if (String(headers[i]).toLowerCase() === "x-cap-api-oauth-token") return String(headers[i + 1])
      return undefined
    }
    const onCreate = (message: unknown) => {
      const { request } = message as { request: { headers?: unknown } }
      const token = tokenOf(request.headers)
      sent.set(request, token)
      ctx.witness.onSend(token)
    }
    const onHeaders = (message: unknown) => {
      const { request, response } = message as { request: object; response: { statusCode: number } }
      ctx.witness.onAnswer(sent.get(request), response.statusCode)
    }
    subscribe("undici:request:create", onCreate)
    subscribe("undici:request:headers", onHeaders)
    const driver = make({ ...ctx, witnessed: true })
    return {
      ...driver,
      close: async () => {
        await driver.close()
        unsubscribe("undici:request:create", onCreate)
        unsubscribe("undici:request:headers", onHeaders)
      }
    }
  }

export const nodePromise: MakeDriver = undiciWitness(
  promiseDriver(createCapillaryClient, "node promise facade")
)
export const nodeEffect = (options: EffectDriverOptions = {}): MakeDriver =>
  undiciWitness(effectDriver(NodeCapillary.httpLayer, options, "node Effect client"))

/** Serves a web-standard handler on 127.0.0.1 over node:http (the fuzz server). */
export const serveNode: Serve = (handler) =>
  new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", async () => {
        try {
          const headers = new Headers()
          for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v)
          const body = req.method === "GET" || req.method === "HEAD" ? undefined : Buffer.concat(chunks)
          const response = await handler(
            new Request(`http://127.0.0.1${req.url}`, {
              method: req.method ?? "GET",
              headers,
              ...(body ? { body } : {})
            })
          )
          const out = Buffer.from(await response.arrayBuffer())
          const h: Record<string, string> = {}
          response.headers.forEach((v, k) => {
            h[k] = v
          })
          res.writeHead(response.status, { ...h, "content-length": String(out.length) })
          res.end(out)
        } catch {
          res.destroy()
        }
      })
    })
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          })
      })
    })
  })
