/**
 * The wire path of the Promise facade, over real HTTP on 127.0.0.1: where credentials may travel, bodies handed
 * on byte for byte and still streaming, typed rejections, aborts, one-shot bodies, and no secret or token in any
 * error. Capillary is the testkit simulator, fronted where needed by small node:http servers of the test's own
 * (an "API" server that proxies what it does not answer itself to the simulator, and an "other" origin).
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
import { gzipSync } from "node:zlib"
import { basicAuthorization, md5hex, SAMPLE_CLIENT, type Simulator, startSimulator } from "@capauth/testkit"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import {
  type CapillaryClientOptions,
  type CapillaryPromiseClient,
  createCapillaryClient
} from "../src/index.ts"

// ---------------------------------------------------------------------------------------------------------
// Known values: every one of them must stay out of every error.

/** Shorter than 32 characters, so no "looks like a secret" pattern can mask it: only scrubbing by value can. */
const SECRET = "s3cr3t-short-value"
const KEY = "wire-key"
const TILL = { id: "wire.till", password: "t1ll-pw-short" }
const URL_PASSWORD = "pa55w0rd-in-url"
const TOKEN_PATH = "/v3/oauth/token/generate"
/** Every token value handed to a client in this file (short ones of our own, the simulator's JWTs added last). */
const tokensUsed = new Set<string>()

// ---------------------------------------------------------------------------------------------------------
// Errors: every rejection in this file is collected and checked at the end (section 6).

type Tagged = Error & {
  readonly _tag?: string
  readonly reason?: string
  readonly field?: string
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

/** What `f` throws synchronously (collected). */
const thrown = (where: string, f: () => unknown): Tagged => {
  try {
    f()
  } catch (e) {
    collected.push({ where, error: e })
    return e as Tagged
  }
  throw new Error(`${where}: expected a throw`)
}

/** Settle `promise` within `ms` or report "pending": a bounded wait, never a timing assertion by itself. */
const within = <A>(promise: Promise<A>, ms: number): Promise<{ value: A } | { error: unknown } | "pending"> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve("pending"), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve({ value })
      },
      (error: unknown) => {
        clearTimeout(timer)
        resolve({ error })
      }
    )
  })

// ---------------------------------------------------------------------------------------------------------
// Our own servers.

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
  /** Answer `path` (without query) with `handler`; anything unrouted is proxied to the simulator or 404. */
  readonly route: (path: string, handler: Handler) => void
  /** Resolves once `count` requests to `path` have arrived (their bodies read). */
  readonly arrived: (path: string, count?: number) => Promise<void>
  readonly requestsTo: (path: string) => Array<Seen>
}

let sim: Simulator
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

/** Hop-by-hop and framing headers: not forwarded by the proxy. */
const hop = new Set([
  "host",
  "connection",
  "keep-alive",
  "content-length",
  "transfer-encoding",
  "content-encoding"
])

const proxyToSim: Handler = async (_req, res, seen) => {
  const headers = new Headers()
  for (const [name, value] of Object.entries(seen.headers)) {
    if (value !== undefined && !hop.has(name))
      headers.set(name, Array.isArray(value) ? value.join(", ") : value)
  }
  const upstream = await fetch(sim.url + seen.path, {
    method: seen.method,
    headers,
    body: seen.method === "GET" || seen.method === "HEAD" ? null : new Uint8Array(seen.body),
    redirect: "manual"
  })
  const out: Record<string, string> = {}
  upstream.headers.forEach((value, name) => {
    if (!hop.has(name)) out[name] = value
  })
  const bytes = Buffer.from(await upstream.arrayBuffer())
  res.writeHead(upstream.status, { ...out, "content-length": String(bytes.length) })
  res.end(bytes)
}

const serve = async (options: { readonly proxy?: boolean } = {}): Promise<Own> => {
  const routes = new Map<string, Handler>()
  const seen: Array<Seen> = []
  const waiters: Array<() => void> = []
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
      for (const wake of waiters.splice(0)) wake()
      const handler =
        routes.get(pathOnly(entry.path)) ??
        (options.proxy === true
          ? proxyToSim
          : (_: IncomingMessage, r: ServerResponse) => {
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
  const requestsTo = (path: string) => seen.filter((s) => pathOnly(s.path) === path)
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    route: (path, handler) => void routes.set(path, handler),
    requestsTo,
    arrived: async (path, count = 1) => {
      while (requestsTo(path).length < count) {
        await new Promise<void>((resolve) => waiters.push(resolve))
      }
    }
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

const bytesOf = async (response: Response) => new Uint8Array(await response.arrayBuffer())

beforeAll(async () => {
  sim = await startSimulator({
    port: 0,
    clients: [SAMPLE_CLIENT, { key: KEY, secret: SECRET, ttlSeconds: 3600, defaultTill: "store.till1" }],
    tills: [TILL]
  })
})
afterEach(async () => {
  for (const open of gates.splice(0)) open()
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    server.close()
  }
  await Promise.allSettled(clients.splice(0).map((c) => c.close()))
})
afterAll(async () => {
  await sim.close()
})

const CRED_HEADERS = ["x-cap-api-oauth-token", "authorization"]
const credentialOrAttribution = (headers: IncomingHttpHeaders) =>
  Object.keys(headers).filter(
    (name) => CRED_HEADERS.includes(name) || name.startsWith("x-cap-api-attribution")
  )

// ---------------------------------------------------------------------------------------------------------

describe("1. the token stays with its origin", () => {
  it("(a) a 307 to another path on the same origin is followed with x-cap-api-oauth-token", async () => {
    const api = await serve({ proxy: true })
    api.route("/hop", (_req, res) => send(res, 307, "", { location: "/v2/customers/1" }))
    const cap = client(api.url)
    const response = await cap.fetch("/hop")
    expect(response.status).toBe(200)
    expect(((await response.json()) as { id: number }).id).toBe(1)
    const target = api.requestsTo("/v2/customers/1")
    expect(target).toHaveLength(1)
    const token = target[0]?.headers["x-cap-api-oauth-token"]
    expect(token).toBeTypeOf("string")
    expect(sim.tokens.map((t) => t.token)).toContain(token)
    expect(api.requestsTo("/hop")[0]?.headers["x-cap-api-oauth-token"]).toBe(token)
  })

  it("(b) a 307 to another origin is refused (TransportError Redirect); the other server gets nothing", async () => {
    const other = await serve()
    other.route("/collect", (_req, res) => send(res, 200, "{}"))
    const { api, cap } = await ownApi()
    api.route("/away", (_req, res) => send(res, 307, "", { location: `${other.url}/collect` }))
    const error = await rejection("1b", cap.fetch("/away"))
    expect(error).toMatchObject({ _tag: "TransportError", reason: "Redirect", status: 307 })
    expect(error.message).toContain(other.url)
    expect(api.requestsTo("/away")).toHaveLength(1)
    expect(other.seen).toHaveLength(0)
  })

  it('(c) crossOriginRedirect: "strip" follows it with no credential or attribution header', async () => {
    const other = await serve()
    other.route("/collect", (_req, res) => send(res, 200, '{"elsewhere":true}'))
    const { api, cap } = await ownApi({
      crossOriginRedirect: "strip",
      attribution: { type: "TILL", code: "store.till1" },
      legacyTillHeader: true
    })
    api.route("/away", (_req, res) => send(res, 307, "", { location: `${other.url}/collect` }))
    const response = await cap.fetch("/away", { attribution: { type: "TILL", code: "store.till2" } })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ elsewhere: true })
    // The first hop carried them all (so "absent" below means stripped, not never sent).
    const first = api.requestsTo("/away")[0]?.headers ?? {}
    expect(first["x-cap-api-oauth-token"]).toBeTypeOf("string")
    expect(first["x-cap-api-attribution-entity-code"]).toBe("store.till2")
    expect(first["x-cap-api-attribution-till-code"]).toBe("store.till2")
    expect(other.seen).toHaveLength(1)
    expect(credentialOrAttribution(other.seen[0]?.headers ?? {})).toEqual([])
  })

  it("(d) a 303 after a POST becomes a GET without a body", async () => {
    const api = await serve({ proxy: true })
    api.route("/submit", (_req, res) => send(res, 303, "", { location: "/landing" }))
    api.route("/landing", (_req, res) => send(res, 200, '{"landed":true}'))
    const cap = client(api.url)
    const body = JSON.stringify({ profiles: [{ name: "x".repeat(500) }] })
    const response = await cap.fetch("/submit", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ landed: true })
    const posted = api.requestsTo("/submit")[0]
    expect(posted?.method).toBe("POST")
    expect(posted?.body.toString()).toBe(body)
    const landing = api.requestsTo("/landing")
    expect(landing).toHaveLength(1)
    expect(landing[0]?.method).toBe("GET")
    expect(landing[0]?.body.length).toBe(0)
    expect(landing[0]?.headers["content-type"]).toBeUndefined()
    expect(landing[0]?.headers["transfer-encoding"]).toBeUndefined()
    expect(Number(landing[0]?.headers["content-length"] ?? "0")).toBe(0)
    // Same origin: the token still goes along.
    expect(sim.tokens.map((t) => t.token)).toContain(landing[0]?.headers["x-cap-api-oauth-token"])
  })

  it('(e) redirect: "manual" hands the 3xx response itself to the caller', async () => {
    const other = await serve()
    const { api, cap } = await ownApi()
    api.route("/hop", (_req, res) => send(res, 307, "", { location: "/target", "x-custom": "kept" }))
    api.route("/away", (_req, res) => send(res, 302, "", { location: `${other.url}/collect` }))
    const same = await cap.fetch("/hop", { redirect: "manual" })
    expect(same.status).toBe(307)
    expect(same.headers.get("location")).toBe("/target")
    expect(same.headers.get("x-custom")).toBe("kept")
    // Even a cross-origin one: nothing is followed, so nothing is refused either.
    const away = await cap.fetch("/away", { redirect: "manual" })
    expect(away.status).toBe(302)
    expect(away.headers.get("location")).toBe(`${other.url}/collect`)
    expect(api.requestsTo("/target")).toHaveLength(0)
    expect(other.seen).toHaveLength(0)
  })

  it("(f) a token endpoint answering 307 elsewhere: MalformedResponse, the key/secret go nowhere else", async () => {
    const other = await serve()
    other.route(TOKEN_PATH, (_req, res) => send(res, 200, tokenBody("wt-stolen")))
    const api = await serve()
    api.route(TOKEN_PATH, (_req, res) => send(res, 307, "", { location: `${other.url}${TOKEN_PATH}` }))
    const cap = client(api.url)
    const error = await rejection("1f", cap.fetch("/v2/customers/1"))
    expect(error).toMatchObject({ _tag: "MalformedResponse", status: 307 })
    expect(error.message).toMatch(/redirect/i)
    expect(other.seen).toHaveLength(0)
    expect(api.requestsTo(TOKEN_PATH)).toHaveLength(1)
    expect(api.requestsTo("/v2/customers/1")).toHaveLength(0)
  })

  it("(g) an absolute URL on another origin is a ConfigError before anything is sent", async () => {
    const other = await serve()
    const { api, cap } = await ownApi()
    for (const input of [`${other.url}/v2/customers/1`, new URL("/v2/customers/1", other.url)]) {
      const error = await rejection("1g", cap.fetch(input))
      expect(error).toMatchObject({ _tag: "ConfigError", field: "url" })
    }
    const viaRequest = await rejection("1g request", cap.fetch(new Request(`${other.url}/v2/customers/1`)))
    expect(viaRequest).toMatchObject({ _tag: "ConfigError", field: "url" })
    const withUserinfo = await rejection(
      "1g userinfo",
      cap.fetch(`http://user:${URL_PASSWORD}@127.0.0.1:9/v2/customers/1`)
    )
    expect(withUserinfo).toMatchObject({ _tag: "ConfigError", field: "url" })
    expect(other.seen).toHaveLength(0)
    expect(api.seen).toHaveLength(0) // not even a token request
  })

  it("(h) Basic (till) credentials: a cross-origin redirect is refused too, or stripped of Authorization", async () => {
    const other = await serve()
    other.route("/collect", (_req, res) => send(res, 200, "{}"))
    const api = await serve({ proxy: true })
    api.route("/away", (_req, res) => send(res, 308, "", { location: `${other.url}/collect` }))
    const till = { till: TILL.id, password: TILL.password }
    const refusing = client(api.url, { credentials: till })
    const error = await rejection("1h", refusing.fetch("/away"))
    expect(error).toMatchObject({ _tag: "TransportError", reason: "Redirect", status: 308 })
    expect(api.requestsTo("/away")[0]?.headers.authorization).toBe(basicAuthorization(TILL.id, TILL.password))
    expect(other.seen).toHaveLength(0)
    const stripping = client(api.url, { credentials: till, crossOriginRedirect: "strip" })
    expect((await stripping.fetch("/away")).status).toBe(200)
    expect(other.seen).toHaveLength(1)
    expect(credentialOrAttribution(other.seen[0]?.headers ?? {})).toEqual([])
    // And the same origin still works with Basic (through the simulator).
    expect((await refusing.fetch("/v2/customers/1")).status).toBe(200)
  })
})

// ---------------------------------------------------------------------------------------------------------

describe("2. bodies are byte-identical and streamed", () => {
  const cases: ReadonlyArray<{
    readonly name: string
    readonly contentType: string
    readonly body: Buffer
    readonly gzip?: boolean
  }> = [
    {
      name: "a UTF-8 BOM before JSON",
      contentType: "application/json; charset=utf-8",
      body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"name":"Müller","id":1}')])
    },
    {
      name: "invalid UTF-8 bytes (FF FE 80) in a JSON string",
      contentType: "application/json",
      body: Buffer.concat([Buffer.from('{"v":"'), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('","n":2}')])
    },
    {
      name: "latin-1 bytes with charset=iso-8859-1",
      contentType: "application/json; charset=iso-8859-1",
      body: Buffer.from('{"name":"José Müller","city":"Zürich"}', "latin1")
    },
    {
      name: "random binary sent as application/json (beyond the 64 KiB peek)",
      contentType: "application/json",
      body: randomBytes(200_000)
    },
    {
      name: "gzip (content-encoding: gzip): the decoded bytes",
      contentType: "application/json",
      body: Buffer.from(
        JSON.stringify({ data: Array.from({ length: 5000 }, (_, i) => ({ i, s: "é€" })), errors: null })
      ),
      gzip: true
    },
    {
      name: "non-JSON binary (application/octet-stream)",
      contentType: "application/octet-stream",
      body: randomBytes(100_000)
    }
  ]

  for (const c of cases) {
    it(`${c.name}: bytes, headers and url unchanged`, async () => {
      const { api, cap } = await ownApi()
      const wire = c.gzip === true ? gzipSync(c.body) : c.body
      api.route("/body", (_req, res) =>
        send(res, 200, wire, {
          "content-type": c.contentType,
          "x-custom": "custom-value",
          ...(c.gzip === true ? { "content-encoding": "gzip" } : {})
        })
      )
      const response = await cap.fetch("/body?x=1")
      expect(response.status).toBe(200)
      expect(response.url).toBe(`${api.url}/body?x=1`)
      expect(response.headers.get("content-type")).toBe(c.contentType)
      expect(response.headers.get("content-length")).toBe(String(wire.length))
      expect(response.headers.get("x-custom")).toBe("custom-value")
      if (c.gzip === true) expect(response.headers.get("content-encoding")).toBe("gzip")
      const got = await bytesOf(response)
      expect(got.length).toBe(c.body.length)
      expect(Buffer.from(got).equals(c.body)).toBe(true)
    })
  }

  it("ndjson streams: the first line reaches the caller before the server writes the rest", async () => {
    const { api, cap } = await ownApi()
    const release = gate()
    const lines = ['{"n":1,"first":true}\n', '{"n":2}\n', '{"n":3,"last":true}\n']
    api.route("/stream", async (_req, res) => {
      res.writeHead(200, { "content-type": "application/x-ndjson", "x-custom": "nd" })
      res.write(lines[0])
      await release.opened
      res.write(lines[1])
      res.end(lines[2])
    })
    const outcome = await within(cap.fetch("/stream"), 10_000)
    if (outcome === "pending" || "error" in outcome) {
      throw new Error(`cap.fetch did not hand the streaming response over: ${inspect(outcome)}`)
    }
    const response = outcome.value
    expect(response.headers.get("x-custom")).toBe("nd")
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    let text = ""
    while (!text.includes("\n")) {
      const next = await reader.read()
      if (next.done) break
      text += decoder.decode(next.value, { stream: true })
    }
    // Read while the server still holds the rest back: the body was streamed, not buffered.
    expect(text).toBe(lines[0])
    release.open()
    for (;;) {
      const next = await reader.read()
      if (next.done) break
      text += decoder.decode(next.value, { stream: true })
    }
    expect(text).toBe(lines.join(""))
  })

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

  const expiredBodies: ReadonlyArray<{ readonly name: string; readonly expired: string }> = [
    {
      name: 'v1.1 response.status.code "498" (string)',
      expired: JSON.stringify({
        response: {
          guid: "g-1",
          meta: { padding: "p".repeat(2000), list: [1, 2, { code: 200 }] },
          status: { success: false, code: "498", message: "Token expired" }
        }
      })
    },
    {
      name: "v1.1 response.status.code 498 (number)",
      expired: JSON.stringify({
        response: {
          customers: { count: 0, customer: [] },
          status: { success: false, code: 498, message: "Token expired" }
        }
      })
    },
    {
      name: "v2 errors[0].code 498",
      expired: JSON.stringify({
        warnings: [{ code: 200, message: "w" }],
        data: { id: null, code: 200 },
        errors: [{ status: false, code: 498, message: "Token expired" }]
      })
    }
  ]
  for (const { name, expired } of expiredBodies) {
    it(`expiry in the body (${name}, after other keys) is recovered with exactly one new token`, async () => {
      const { api, issued, cap } = await ownApi()
      const answer = JSON.stringify({ id: 1, answer: "real" })
      api.route("/res", (_req, res, seen) =>
        send(res, 200, seen.headers["x-cap-api-oauth-token"] === issued[0] ? expired : answer)
      )
      const response = await cap.fetch("/res")
      expect(response.status).toBe(200)
      expect(await response.text()).toBe(answer)
      expect(issued).toHaveLength(2)
      const calls = api.requestsTo("/res")
      expect(calls.map((s) => s.headers["x-cap-api-oauth-token"])).toEqual([issued[0], issued[1]])
    })
  }

  it("a 498 only in a per-record item_status is not an expiry: no token request, body as is", async () => {
    const { api, issued, cap } = await ownApi()
    const bodies = [
      JSON.stringify({
        response: {
          customers: {
            customer: [{ mobile: "919876543210", item_status: { success: false, code: 498, message: "x" } }]
          },
          status: { success: true, code: 200, message: "Success" }
        }
      }),
      JSON.stringify({
        response: { customers: { customer: [{ item_status: { code: 498 } }] } }
      })
    ]
    for (const [i, body] of bodies.entries()) {
      api.route(`/items${i}`, (_req, res) => send(res, 200, body))
      const response = await cap.fetch(`/items${i}`)
      expect(response.status).toBe(200)
      expect(await response.text()).toBe(body)
      expect(api.requestsTo(`/items${i}`)).toHaveLength(1)
    }
    expect(issued).toHaveLength(1)
  })
})

// ---------------------------------------------------------------------------------------------------------

/** Tokens the server hands out that no header can carry; each must be refused before it is ever sent. */
const badTokens: ReadonlyArray<{ readonly name: string; readonly token: string }> = [
  { name: "CR/LF", token: "wtA\r\nx-evil: 1" },
  { name: "whitespace-only", token: "\t \t  \t" },
  { name: "10,000 characters", token: `wtLong-${"q".repeat(9993)}` }
]

describe("3. every rejection is typed", () => {
  for (const { name, token } of badTokens) {
    it(`a token with ${name} is MalformedResponse, never sent, never shown`, async () => {
      tokensUsed.add(token)
      const api = await serve()
      api.route(TOKEN_PATH, (_req, res) => send(res, 200, tokenBody(token)))
      api.route("/v2/customers/1", (_req, res) => send(res, 200, "{}"))
      const cap = client(api.url)
      const error = await rejection(`3 ${name}`, cap.fetch("/v2/customers/1"))
      expect(error).toMatchObject({ _tag: "MalformedResponse" })
      expect(api.requestsTo(TOKEN_PATH)).toHaveLength(1)
      expect(api.seen.filter((s) => pathOnly(s.path) !== TOKEN_PATH)).toHaveLength(0)
      const escaped = JSON.stringify(token).slice(1, -1)
      for (const shown of [
        error.message,
        String(error),
        inspect(error, { depth: 10 }),
        JSON.stringify(error)
      ]) {
        expect(shown.includes(token) || shown.includes(escaped)).toBe(false)
      }
    })
  }

  it("close() while a cold token fetch is pending rejects that fetch with ConfigError (closed)", async () => {
    const api = await serve()
    api.route(TOKEN_PATH, () => undefined) // never answers (until the test's servers close)
    const cap = client(api.url)
    const pending = cap.fetch("/v2/customers/1")
    await api.arrived(TOKEN_PATH)
    const closing = cap.close()
    const outcome = await within(rejection("3 close", pending), 10_000)
    if (outcome === "pending" || "error" in outcome) throw new Error(`fetch still pending after close()`)
    expect(outcome.value).toMatchObject({ _tag: "ConfigError" })
    expect(outcome.value.message).toMatch(/closed/)
    expect(await within(closing, 10_000)).toEqual({ value: undefined })
    expect(api.seen.filter((s) => pathOnly(s.path) !== TOKEN_PATH)).toHaveLength(0)
  })

  const invalid: ReadonlyArray<{ readonly field: string; readonly options: Record<string, unknown> }> = [
    { field: "tokenTimeoutMillis", options: { tokenTimeoutMillis: "5000" } },
    { field: "legacyTillHeader", options: { legacyTillHeader: "yes" } },
    { field: "attribution.code", options: { attribution: { code: "a\r\nb" } } },
    { field: "crossOriginRedirect", options: { crossOriginRedirect: "sometimes" } },
    { field: "refresh.refreshAtFraction", options: { refresh: { refreshAtFraction: Number.NaN } } },
    { field: "tokenStore", options: { tokenStore: {} } }
  ]
  it("invalid options are a ConfigError naming the field, before any request", async () => {
    const api = await serve()
    for (const { field, options } of invalid) {
      const error = thrown(`3 option ${field}`, () =>
        createCapillaryClient({
          baseUrl: api.url,
          credentials: { key: KEY, secret: SECRET },
          ...(options as Partial<CapillaryClientOptions>)
        })
      )
      expect(error).toMatchObject({ _tag: "ConfigError", field })
      expect(error.message).toContain(field)
    }
    expect(api.seen).toHaveLength(0)
  })

  it("a per-request attribution with CR/LF is a ConfigError and nothing is sent", async () => {
    const { api, cap } = await ownApi()
    const viaFetch = await rejection(
      "3 attribution fetch",
      cap.fetch("/v2/customers/1", { attribution: { code: "store1\r\nx-injected: 1" } })
    )
    expect(viaFetch).toMatchObject({ _tag: "ConfigError", field: "attribution.code" })
    const viaKy = await rejection(
      "3 attribution ky",
      cap.ky.get("v2/customers/1", { attribution: { type: "STORE_CODE", code: "a\nb" }, retry: 0 })
    )
    expect(viaKy).toMatchObject({ _tag: "ConfigError", field: "attribution.code" })
    expect(api.seen).toHaveLength(0)
  })

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

// ---------------------------------------------------------------------------------------------------------

describe("4. aborts are honoured at once", () => {
  it("an abort while waiting for the token rejects with the signal's reason; other callers go on", async () => {
    const api = await serve()
    const release = gate()
    let tokenRequests = 0
    api.route(TOKEN_PATH, async (_req, res) => {
      tokenRequests++
      await release.opened
      const token = `wt-held-${randomBytes(3).toString("hex")}`
      tokensUsed.add(token)
      send(res, 200, tokenBody(token))
    })
    api.route("/v2/customers/1", (_req, res) => send(res, 200, '{"id":1}'))
    const cap = client(api.url)
    const controller = new AbortController()
    const aborting = rejection("4 token abort", cap.fetch("/v2/customers/1", { signal: controller.signal }))
    const patient = cap.fetch("/v2/customers/1")
    await api.arrived(TOKEN_PATH)
    controller.abort()
    // The token endpoint is still held: the aborted caller must not wait for it.
    const outcome = await within(aborting, 5_000)
    if (outcome === "pending" || "error" in outcome)
      throw new Error("the aborted caller waited for the token")
    expect(outcome.value).toBe(controller.signal.reason)
    expect(outcome.value.name).toBe("AbortError")
    expect(await within(patient, 200)).toBe("pending")
    release.open()
    const response = await patient
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ id: 1 })
    expect(tokenRequests).toBe(1)
    expect(api.requestsTo("/v2/customers/1")).toHaveLength(1)
  })

  it("an abort during the request (the server holding its answer) rejects with the AbortError", async () => {
    const { api, cap } = await ownApi()
    let serverSawClose!: () => void
    const closedByClient = new Promise<void>((resolve) => {
      serverSawClose = resolve
    })
    api.route("/slow", (_req, res) => {
      res.on("close", () => serverSawClose())
    })
    const controller = new AbortController()
    const aborting = rejection("4 request abort", cap.fetch("/slow", { signal: controller.signal }))
    await api.arrived("/slow")
    const reason = new DOMException("caller gave up", "AbortError")
    controller.abort(reason)
    const outcome = await within(aborting, 5_000)
    if (outcome === "pending" || "error" in outcome) throw new Error("the aborted request was still pending")
    expect(outcome.value).toBe(reason)
    expect(outcome.value.name).toBe("AbortError")
    expect(await within(closedByClient, 5_000)).toEqual({ value: undefined })
  })
})

// ---------------------------------------------------------------------------------------------------------

describe("5. one-shot bodies are sent once, never replayed", () => {
  const parts = Array.from({ length: 8 }, (_, i) =>
    Buffer.from(`{"part":${i},"pad":"${"z".repeat(20_000)}"}\n`)
  )
  const whole = Buffer.concat(parts)
  const kinds: ReadonlyArray<{ readonly name: string; readonly make: () => unknown }> = [
    {
      name: "a ReadableStream",
      make: () =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            for (const part of parts) controller.enqueue(new Uint8Array(part))
            controller.close()
          }
        })
    },
    { name: "a Node Readable.from([...])", make: () => Readable.from(parts.map((p) => Buffer.from(p))) },
    {
      name: "an async generator",
      make: () =>
        (async function* () {
          for (const part of parts) yield new Uint8Array(part)
        })()
    }
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

// ---------------------------------------------------------------------------------------------------------

describe("6. no secret or token in any output", () => {
  const failingTokenEndpoint = async (answer: Handler) => {
    const api = await serve()
    api.route(TOKEN_PATH, answer)
    return { api, cap: client(api.url) }
  }

  it("a token endpoint echoing the secret in its errors envelope: InvalidCredentials, scrubbed", async () => {
    const { cap } = await failingTokenEndpoint((_req, res) =>
      send(res, 200, JSON.stringify({ data: null, errors: [{ code: 999, message: `bad secret ${SECRET}` }] }))
    )
    const error = await rejection("6 envelope", cap.fetch("/v2/customers/1"))
    expect(error).toMatchObject({ _tag: "InvalidCredentials", code: 999 })
    expect(error.message).toContain("bad secret <redacted>")
  })

  it("a token endpoint answering HTTP 500 text with the secret: ServiceUnavailable, scrubbed", async () => {
    const { api, cap } = await failingTokenEndpoint((_req, res) =>
      send(res, 500, `internal error for secret=${SECRET}`, { "content-type": "text/plain" })
    )
    const error = await rejection("6 500", cap.fetch("/v2/customers/1"))
    expect(error).toMatchObject({ _tag: "ServiceUnavailable", status: 500 })
    expect(api.requestsTo(TOKEN_PATH).length).toBeGreaterThanOrEqual(1)
  })

  it("a token endpoint answering HTTP 418 text with the secret: MalformedResponse whose excerpt is scrubbed", async () => {
    const { cap } = await failingTokenEndpoint((_req, res) =>
      send(res, 418, `teapot says ${SECRET}`, { "content-type": "text/plain" })
    )
    const error = await rejection("6 418", cap.fetch("/v2/customers/1"))
    expect(error).toMatchObject({ _tag: "MalformedResponse", status: 418 })
    expect(error.excerpt).toBe("teapot says <redacted>")
  })

  it("a token endpoint answering malformed JSON with the secret: MalformedResponse, scrubbed", async () => {
    const { cap } = await failingTokenEndpoint((_req, res) =>
      send(res, 200, `{"data":{"note":"${SECRET}","accessToken":`)
    )
    const error = await rejection("6 malformed", cap.fetch("/v2/customers/1"))
    expect(error).toMatchObject({ _tag: "MalformedResponse" })
    expect(error.message).toMatch(/not JSON/)
    expect(error.excerpt).toContain("<redacted>")
  })

  it("a token endpoint echoing the previous (short) token after a 498: scrubbed by value", async () => {
    const api = await serve()
    const first = `wt-echo-${randomBytes(3).toString("hex")}`
    tokensUsed.add(first)
    let calls = 0
    api.route(TOKEN_PATH, (_req, res) => {
      calls++
      if (calls === 1) return send(res, 200, tokenBody(first))
      send(
        res,
        200,
        JSON.stringify({ data: null, errors: [{ code: 999, message: `token ${first} revoked` }] })
      )
    })
    api.route("/v2/customers/1", (_req, res) => send(res, 498, '{"errors":[{"code":498}]}'))
    const cap = client(api.url)
    const error = await rejection("6 token echo", cap.fetch("/v2/customers/1"))
    expect(calls).toBe(2)
    expect(error).toMatchObject({ _tag: "InvalidCredentials", code: 999 })
    expect(error.message).toContain("token <redacted> revoked")
  })

  it("a base URL with user:password@ is a ConfigError without the password", () => {
    for (const baseUrl of [
      `http://user:${URL_PASSWORD}@127.0.0.1:9`,
      `https://user:${URL_PASSWORD}@eu.api.capillarytech.com`,
      `http://user:${URL_PASSWORD}@[not a url`
    ]) {
      const error = thrown(`6 userinfo ${baseUrl.slice(0, 5)}`, () =>
        createCapillaryClient({ baseUrl, credentials: { key: KEY, secret: SECRET } })
      )
      expect(error).toMatchObject({ _tag: "ConfigError", field: "baseUrl" })
    }
  })

  it("no error collected in this file shows a secret, a token or a URL password, in any form", () => {
    for (const t of sim.tokens) tokensUsed.add(t.token)
    const known = [
      SECRET,
      TILL.password,
      md5hex(TILL.password),
      basicAuthorization(TILL.id, TILL.password),
      URL_PASSWORD,
      ...tokensUsed
    ]
    const forms = known.flatMap((value) => [value, JSON.stringify(value).slice(1, -1)])
    // Every section contributed (a guard against this check passing on nothing).
    const sections = new Set(collected.map((c) => c.where.split(" ")[0]?.replace(/[a-z]$/, "")))
    expect([...sections].sort()).toEqual(["1", "3", "4", "5", "6"])
    expect(collected.length).toBeGreaterThanOrEqual(30)
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
