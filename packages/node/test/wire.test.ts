/**
 * The wire path of the Promise facade on Node, over real HTTP on 127.0.0.1. The scenarios every runtime must
 * pass are the testkit's wire contract (`@capauth/testkit/contract`), run here with node:http serving its
 * web-standard handlers. Below it, only what is Node's own: a 100 MB download's heap bound (with `gc`), a Node
 * `Readable` one-shot body, and a connection reset mid-body (a destroyed socket), each over small node:http
 * servers of the test's own, with their errors checked for secrets at the end as the contract does for its own.
 */
import { randomBytes } from "node:crypto"
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse
} from "node:http"
import type { AddressInfo } from "node:net"
import { Readable } from "node:stream"
import { inspect } from "node:util"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { serveNode, wireContract } from "@capauth/testkit/contract"
import { afterEach, describe, expect, it } from "vitest"
import {
  type CapillaryClientOptions,
  type CapillaryPromiseClient,
  createCapillaryClient
} from "../src/index.ts"

describe("the wire contract (@capauth/testkit/contract)", () => {
  wireContract({
    test: (name, fn) => void it(name, fn),
    serve: serveNode,
    createClient: createCapillaryClient,
    inspect: (value) => inspect(value, { depth: 10 })
  })
})

// ---------------------------------------------------------------------------------------------------------
// Node only. Known values: every one of them must stay out of every error.

/** Shorter than 32 characters, so no "looks like a secret" pattern can mask it: only scrubbing by value can. */
const SECRET = "s3cr3t-short-value"
const KEY = "wire-key"
const TOKEN_PATH = "/v3/oauth/token/generate"
/** Every token value handed to a client below. */
const tokensUsed = new Set<string>()

type Tagged = Error & {
  readonly _tag?: string
  readonly reason?: string
  readonly excerpt?: string
  readonly status?: number
}
const collected: Array<{ readonly where: string; readonly error: unknown }> = []

/** The rejection of `promise` (collected); fails the test if it resolves. */
const rejection = async (where: string, promise: Promise<unknown>): Promise<Tagged> => {
  let error: unknown
  try {
    await promise
  } catch (e) {
    error = e
  }
  if (error === undefined) throw new Error(`${where}: expected a rejection, got a value`)
  collected.push({ where, error })
  return error as Tagged
}

interface Seen {
  readonly method: string
  /** Path and query as received. */
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => unknown

interface Own {
  readonly url: string
  readonly seen: Array<Seen>
  /** Answer `path` (without query) with `handler`; anything unrouted is a 404. */
  readonly route: (path: string, handler: Handler) => void
  readonly requestsTo: (path: string) => Array<Seen>
}

const servers: Array<Server> = []
const clients: Array<CapillaryPromiseClient> = []
/** Gates a held response waits on: all opened after each test so nothing stays pending. */
const gates: Array<() => void> = []

const gate = () => {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  gates.push(open)
  return { opened, open }
}

const pathOnly = (path: string) => path.split("?")[0] ?? path

const serve = async (): Promise<Own> => {
  const routes = new Map<string, Handler>()
  const seen: Array<Seen> = []
  const server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const entry: Seen = {
        method: req.method ?? "GET",
        path: req.url ?? "/",
        headers: req.headers,
        body: Buffer.concat(chunks)
      }
      seen.push(entry)
      const handler =
        routes.get(pathOnly(entry.path)) ??
        ((_: IncomingMessage, r: ServerResponse) => {
          r.writeHead(404, { "content-type": "text/plain" })
          r.end("no such route")
        })
      Promise.resolve()
        .then(() => handler(req, res, entry))
        .catch(() => res.destroy())
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    route: (path, handler) => void routes.set(path, handler),
    requestsTo: (path) => seen.filter((s) => pathOnly(s.path) === path)
  }
}

const send = (
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string> = {}
) => {
  const bytes = typeof body === "string" ? Buffer.from(body) : body
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(bytes.length),
    ...headers
  })
  res.end(bytes)
}

const tokenBody = (accessToken: string, ttlSeconds = 3600) =>
  JSON.stringify({ data: { accessToken, ttlSeconds }, errors: null })

/** A token endpoint of our own issuing short tokens (`wt<n>-<hex>`, 12 characters) to KEY/SECRET. */
const shortTokens = (own: Own) => {
  const issued: Array<string> = []
  own.route(TOKEN_PATH, (_req, res, seen) => {
    const asked = JSON.parse(seen.body.toString("utf8")) as { key?: string; secret?: string }
    if (asked.key !== KEY || asked.secret !== SECRET) {
      return send(res, 401, JSON.stringify({ data: null, errors: [{ code: 320001, message: "Invalid" }] }))
    }
    const token = `wt${issued.length + 1}-${randomBytes(4).toString("hex")}`
    issued.push(token)
    tokensUsed.add(token)
    send(res, 200, tokenBody(token))
  })
  return issued
}

const client = (baseUrl: string, extra: Partial<CapillaryClientOptions> = {}) => {
  const cap = createCapillaryClient({ baseUrl, credentials: { key: KEY, secret: SECRET }, ...extra })
  clients.push(cap)
  return cap
}

/** An own API server with its own short-token endpoint, and a client of it. */
const ownApi = async (extra: Partial<CapillaryClientOptions> = {}) => {
  const api = await serve()
  const issued = shortTokens(api)
  return { api, issued, cap: client(api.url, extra) }
}

describe("Node only", () => {
  afterEach(async () => {
    for (const open of gates.splice(0)) open()
    for (const server of servers.splice(0)) {
      server.closeAllConnections()
      server.close()
    }
    await Promise.allSettled(clients.splice(0).map((c) => c.close()))
  })

  describe("2. bodies are byte-identical and streamed", () => {
    it("a 100 MB JSON download streams through with bounded memory", async () => {
      setFlagsFromString("--expose-gc")
      const gc = runInNewContext("gc") as () => void
      const { api, cap } = await ownApi()
      const chunk = Buffer.from('{"a":1},'.repeat(8192)) // 64 KiB
      const count = 1600 // 100 MiB
      const head = Buffer.from('{"data":[')
      const tail = Buffer.from('{"a":1}]}')
      api.route("/big", (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.write(head)
        let sent = 0
        const pump = () => {
          while (sent < count) {
            sent++
            if (!res.write(chunk)) return void res.once("drain", pump)
          }
          res.end(tail)
        }
        pump()
      })
      await cap.fetch("/big").then((r) => r.body?.cancel()) // warm: token, connection, code paths
      gc()
      const sample = () => {
        const m = process.memoryUsage()
        return { heap: m.heapUsed, buffers: m.arrayBuffers }
      }
      const baseline = sample()
      let peak = baseline
      const response = await cap.fetch("/big")
      const reader = response.body!.getReader()
      let total = 0
      let sinceSample = 0
      let first: Uint8Array | undefined
      for (;;) {
        const next = await reader.read()
        if (next.done) break
        first ??= next.value.slice(0, 9)
        total += next.value.byteLength
        sinceSample += next.value.byteLength
        if (sinceSample >= 8 * 1024 * 1024) {
          sinceSample = 0
          gc()
          const now = sample()
          peak = { heap: Math.max(peak.heap, now.heap), buffers: Math.max(peak.buffers, now.buffers) }
        }
      }
      expect(total).toBe(head.length + count * chunk.length + tail.length)
      expect(Buffer.from(first ?? []).equals(head)).toBe(true)
      const MB = 1024 * 1024
      expect((peak.heap - baseline.heap) / MB).toBeLessThan(5)
      // Buffers (outside the JS heap) spike to ~24 MB with a bare fetch too (undici and this process's own server
      // share them); holding the body whole would take 100 MB.
      expect((peak.buffers - baseline.buffers) / MB).toBeLessThan(40)
    }, 120_000)
  })

  describe("3. every rejection is typed", () => {
    it("a connection reset mid-body (after the peek) rejects the body read with TransportError", async () => {
      const { api, cap } = await ownApi()
      const release = gate()
      api.route("/cut", async (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.write(`{"response":{"status":{"success":true,"code":200},"items":[${'{"x":1},'.repeat(100)}`)
        await release.opened
        res.write('{"x":2},'.repeat(1000))
        res.socket?.destroy()
      })
      const response = await cap.fetch("/cut")
      expect(response.status).toBe(200)
      release.open()
      const error = await rejection("3 reset", response.arrayBuffer())
      expect(error).not.toBeInstanceOf(TypeError)
      expect(error).not.toBeInstanceOf(DOMException)
      expect(error).toMatchObject({ _tag: "TransportError", reason: "Network", status: 200 })
    })

    it("a connection reset mid-way through a non-JSON body rejects the body read with TransportError", async () => {
      const { cap, api } = await ownApi()
      const release = gate()
      api.route("/cut-binary", async (_req, res) => {
        res.writeHead(200, { "content-type": "application/octet-stream" })
        res.write(new Uint8Array(1024).fill(7))
        await release.opened
        res.write(new Uint8Array(64 * 1024).fill(9))
        res.socket?.destroy()
      })
      const response = await cap.fetch("/cut-binary")
      expect(response.status).toBe(200)
      release.open()
      const error = await rejection("3 reset binary", response.arrayBuffer())
      expect(error).not.toBeInstanceOf(TypeError)
      expect(error).toMatchObject({ _tag: "TransportError", reason: "Network", status: 200 })
    })
  })

  describe("5. one-shot bodies are sent once, never replayed", () => {
    const parts = Array.from({ length: 8 }, (_, i) =>
      Buffer.from(`{"part":${i},"pad":"${"z".repeat(20_000)}"}\n`)
    )
    const whole = Buffer.concat(parts)
    const kinds: ReadonlyArray<{ readonly name: string; readonly make: () => unknown }> = [
      { name: "a Node Readable.from([...])", make: () => Readable.from(parts.map((p) => Buffer.from(p))) }
    ]
    for (const { name, make } of kinds) {
      it(`${name}: a 498 is TokenExpired (not replayable), one request; a 200 gets the full body`, async () => {
        const { api, issued, cap } = await ownApi()
        let status = 498
        api.route("/upload", (_req, res) =>
          send(res, status, JSON.stringify({ errors: [{ code: status, message: "m" }] }))
        )
        const post = () =>
          cap.fetch("/upload", {
            method: "POST",
            headers: { "content-type": "application/x-ndjson" },
            body: make() as BodyInit
          })
        const error = await rejection(`5 ${name}`, post())
        expect(error).toMatchObject({ _tag: "TokenExpired", status: 498 })
        expect(error.message).toMatch(/cannot be replayed/)
        const first = api.requestsTo("/upload")
        expect(first).toHaveLength(1)
        expect(first[0]?.body.equals(whole)).toBe(true)
        expect(issued).toHaveLength(1)
        status = 200
        const response = await post()
        expect(response.status).toBe(200)
        const both = api.requestsTo("/upload")
        expect(both).toHaveLength(2)
        expect(both[1]?.body.equals(whole)).toBe(true)
        // The 498'd token was dropped, not sent again.
        expect(both[1]?.headers["x-cap-api-oauth-token"]).toBe(issued[1])
      })
    }
  })

  describe("6. no secret or token in any output", () => {
    it("no error collected in the Node-only tests shows the secret or a token, in any form", () => {
      const forms = [SECRET, ...tokensUsed].flatMap((value) => [value, JSON.stringify(value).slice(1, -1)])
      // Every Node-only rejection is here (a guard against this check passing on nothing).
      expect(collected.map((c) => c.where).sort()).toEqual([
        "3 reset",
        "3 reset binary",
        "5 a Node Readable.from([...])"
      ])
      for (const { where, error } of collected) {
        const e = error as Tagged
        const shown = [
          String(e),
          e.message,
          inspect(e, { depth: 10 }),
          JSON.stringify(e) ?? "",
          typeof e.excerpt === "string" ? e.excerpt : ""
        ]
        for (const text of shown) {
          for (const value of forms) {
            if (text.includes(value))
              throw new Error(`${where}: ${inspect(value.slice(0, 40))} shows in ${text}`)
          }
        }
      }
    })
  })
})
