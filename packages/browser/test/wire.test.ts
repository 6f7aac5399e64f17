/**
 * The worker's wire path in real headless Chromium, against an API server of the test's own (node:http, with
 * CORS, on its own origin): a redirect to another origin is refused without the token travelling, a 498 code
 * deep in a v1.1 body is recovered with one more broker request, and a large JSON body arrives byte for byte.
 * Tokens still come from the Node `TokenBroker` over the testkit simulator (see harness.ts).
 */
import { createHash } from "node:crypto"
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import type { BrowserContext, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Connection } from "../src/Connection.ts"
import { type Bench, startBench } from "./harness.ts"

interface PageApi {
  readonly connect: typeof import("../src/Connection.ts").connect
}
declare const capauth: PageApi
declare const cap: Connection

const tokenHeader = "x-cap-api-oauth-token"

interface Seen {
  readonly method: string
  readonly path: string
  readonly headers: IncomingHttpHeaders
}

interface TestServer {
  readonly url: string
  /** Every request but CORS preflights. */
  readonly requests: Array<Seen>
  readonly close: () => Promise<void>
}

/** A CORS-open server on 127.0.0.1 (any port) that records requests and answers with `handler`. */
const serve = async (
  handler: (req: IncomingMessage, res: ServerResponse, path: string) => void
): Promise<TestServer> => {
  const requests: Array<Seen> = []
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname
    res.setHeader("access-control-allow-origin", "*")
    res.setHeader("access-control-expose-headers", "*")
    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE",
        "access-control-allow-headers": req.headers["access-control-request-headers"] ?? "*",
        "access-control-max-age": "0"
      })
      return res.end()
    }
    requests.push({ method: req.method ?? "GET", path, headers: req.headers })
    handler(req, res, path)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** About 1 MB of JSON with no envelope code, the same bytes every time. */
const bigJson = (() => {
  const items = Array.from({ length: 12_000 }, (_, i) => ({
    id: i,
    mobile: `9198${String(i).padStart(8, "0")}`,
    note: `row ${i} ${"x".repeat(40)}`
  }))
  return Buffer.from(JSON.stringify({ items, total: items.length }))
})()

/** Tokens the API treats as expired (answered with a 498 code deep in a v1.1 body, with HTTP 200). */
const expiredTokens = new Set<string>()

const expiredEnvelope = JSON.stringify({
  note: "the code is not the first thing in this body",
  response: {
    customers: { customer: [{ mobile: "919800000001", firstname: "Ada", tags: ["a", "b"] }] },
    meta: { page: 1, nested: { deeper: [1, 2, { code: 200 }] } },
    status: { success: false, message: "Token expired", code: 498 }
  }
})

const json = (res: ServerResponse, status: number, body: string | Buffer) => {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" })
  res.end(body)
}

let bench: Bench
let context: BrowserContext
let api: TestServer
let other: TestServer

beforeAll(async () => {
  bench = await startBench()
  context = await bench.browser.newContext()
  other = await serve((_req, res) => json(res, 200, '{"elsewhere":true}'))
  api = await serve((req, res, path) => {
    if (path === "/redirect") {
      res.writeHead(307, { location: `${other.url}/landing` })
      return res.end()
    }
    if (path === "/big") return json(res, 200, bigJson)
    const token = req.headers[tokenHeader]
    if (typeof token === "string" && expiredTokens.has(token)) return json(res, 200, expiredEnvelope)
    json(res, 200, '{"response":{"status":{"success":true,"code":200}}}')
  })
})
afterAll(async () => {
  await bench?.close()
  await api?.close()
  await other?.close()
})

/** A page connected to a new dedicated worker (as `globalThis.cap`) whose API is the test's own server. */
const openConnected = async (): Promise<Page> => {
  const page = await context.newPage()
  await page.goto(`${bench.origin}/`)
  await page.waitForFunction(() => "capauth" in globalThis)
  await page.evaluate(async (baseUrl) => {
    const connection = capauth.connect(new Worker("/worker.js", { type: "module" }), {
      config: { baseUrl, brokerUrl: "/broker" }
    })
    Object.assign(globalThis, { cap: connection })
    await connection.ready
  }, api.url)
  return page
}

const tokensSentTo = (server: TestServer, path: string) =>
  server.requests.filter((r) => r.path === path).map((r) => r.headers[tokenHeader])

describe("worker wire path", () => {
  it("refuses an API redirect to another origin: a TransportError on the page, nothing sent there", async () => {
    const page = await openConnected()
    const out = await page.evaluate(() =>
      cap.fetch("/redirect").then(
        (r) => ({ status: r.status }),
        (e: { _tag?: string; reason?: string; message?: string }) => ({
          tag: e._tag,
          reason: e.reason,
          message: e.message
        })
      )
    )
    expect(out).toMatchObject({ tag: "TransportError", reason: "Redirect" })
    // The worker did send the call, with a token, to the API itself.
    const sent = tokensSentTo(api, "/redirect")
    expect(sent).toHaveLength(1)
    expect(bench.tokenValues()).toContain(sent[0])
    // The other origin saw nothing at all, so certainly no token.
    expect(other.requests.filter((r) => r.headers[tokenHeader] !== undefined)).toEqual([])
    expect(other.requests).toEqual([])
    await page.close()
  })

  it("recovers from a 498 code placed after other keys of a v1.1 body with exactly one more broker request", async () => {
    const page = await openConnected()
    const path = "/v1.1/customer/get"
    const get = () =>
      page.evaluate(
        (path) =>
          cap.fetch(`${path}?format=json`).then(async (r) => ({ status: r.status, text: await r.text() })),
        path
      )
    expect((await get()).status).toBe(200)
    const first = tokensSentTo(api, path).at(-1)
    expect(typeof first).toBe("string")
    expiredTokens.add(first as string)
    try {
      const before = bench.brokerRequests()
      const renewsBefore = bench.renewRequests()
      const callsBefore = tokensSentTo(api, path).length
      const out = await get()
      expect(out.status).toBe(200)
      expect(out.text).toContain('"success":true')
      expect(bench.brokerRequests() - before).toBe(1)
      expect(bench.renewRequests() - renewsBefore).toBe(1)
      const sent = tokensSentTo(api, path).slice(callsBefore)
      expect(sent).toHaveLength(2)
      expect(sent[0]).toBe(first)
      expect(sent[1]).not.toBe(first)
      expect(bench.tokenValues()).toContain(sent[1])
    } finally {
      expiredTokens.clear()
    }
    await page.close()
  })

  it("hands on a ~1 MB JSON body with no envelope code byte for byte", async () => {
    const page = await openConnected()
    const before = bench.brokerRequests()
    const out = await page.evaluate(async () => {
      const res = await cap.fetch("/big")
      const bytes = new Uint8Array(await res.arrayBuffer())
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))
      return {
        status: res.status,
        contentType: res.headers.get("content-type"),
        length: bytes.length,
        sha256: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")
      }
    })
    expect(bigJson.length).toBeGreaterThan(900_000)
    expect(out).toEqual({
      status: 200,
      contentType: "application/json; charset=utf-8",
      length: bigJson.length,
      sha256: createHash("sha256").update(bigJson).digest("hex")
    })
    expect(tokensSentTo(api, "/big")).toHaveLength(1)
    expect(bench.brokerRequests() - before).toBe(1)
    await page.close()
  })
})
