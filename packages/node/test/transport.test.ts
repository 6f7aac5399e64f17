/**
 * The facade's transport on Node (src/internal/transport.ts: undici's `request` answered as a `Response`), over
 * real HTTP on 127.0.0.1: what it must keep of fetch's behaviour, and when it hands a call to the global fetch.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import * as zlib from "node:zlib"
import { afterEach, describe, expect, it } from "vitest"
import { peekInPlace, fetch as transport } from "../src/internal/transport.ts"

const servers: Array<Server> = []
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((resolve) => s.close(resolve))
  }
})

const serve = async (handle: (req: IncomingMessage, body: string, res: ServerResponse) => void) => {
  const server = createServer((req, res) => {
    let body = ""
    req.setEncoding("utf8")
    req.on("data", (c: string) => {
      body += c
    })
    req.on("end", () => handle(req, body, res))
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const manual = (init: RequestInit = {}): RequestInit => ({ ...init, redirect: "manual" })

describe("the Node facade's transport", () => {
  it("answers a standard Response: status, status text, headers (repeated ones kept), url, body", async () => {
    const base = await serve((_req, _body, res) => {
      res.setHeader("set-cookie", ["a=1", "b=2"])
      res.writeHead(201, "Made", { "content-type": "application/json", "x-request-id": "r1" })
      res.end('{"ok":true}')
    })
    const response = await transport(`${base}/x?y=1`, manual())
    expect(response).toBeInstanceOf(Response)
    expect([response.status, response.statusText, response.url]).toEqual([201, "Made", `${base}/x?y=1`])
    expect(response.headers.get("x-request-id")).toBe("r1")
    expect(response.headers.getSetCookie()).toEqual(["a=1", "b=2"])
    expect(await response.json()).toEqual({ ok: true })
  })

  it("sends the method, the caller's headers over fetch's defaults, and string and byte bodies as fetch does", async () => {
    const seen: Array<{ method: string; headers: IncomingMessage["headers"]; body: string }> = []
    const base = await serve((req, body, res) => {
      seen.push({ method: req.method ?? "", headers: req.headers, body })
      res.end()
    })
    await transport(base, manual({ method: "post", body: "hello", headers: new Headers({ "x-a": "1" }) }))
    await transport(
      base,
      manual({
        method: "PUT",
        body: new TextEncoder().encode("bytes"),
        headers: { accept: "application/json" }
      })
    )
    expect(seen[0]).toMatchObject({
      method: "POST",
      body: "hello",
      headers: { "x-a": "1", "content-type": "text/plain;charset=UTF-8", accept: "*/*" }
    })
    // Only encodings it decodes (below). Where it can't share the global dispatcher (Node 24), the call goes to
    // Node's own fetch, which may leave out br.
    expect(seen[0]?.headers["accept-encoding"]).toMatch(/^gzip, deflate(, br)?$/)
    expect(seen[1]).toMatchObject({ method: "PUT", body: "bytes", headers: { accept: "application/json" } })
    expect(seen[1]?.headers["content-type"]).toBeUndefined()
  })

  it.each([
    ["gzip", zlib.gzipSync],
    ["deflate", zlib.deflateSync],
    ["deflate", zlib.deflateRawSync],
    ["br", zlib.brotliCompressSync],
    ["deflate, gzip", (b: Buffer) => zlib.gzipSync(zlib.deflateSync(b))]
  ] as const)("decodes %s (%#) and keeps the headers as they came", async (coding, encode) => {
    const text = JSON.stringify({ data: "x".repeat(5000) })
    const wire = encode(Buffer.from(text))
    const base = await serve((_req, _body, res) => {
      res.writeHead(200, { "content-encoding": coding, "content-length": wire.length })
      res.end(wire)
    })
    const response = await transport(base, manual())
    expect(response.headers.get("content-encoding")).toBe(coding)
    expect(response.headers.get("content-length")).toBe(String(wire.length))
    expect(await response.text()).toBe(text)
  })

  it("a body cancelled while it streams ends quietly, and the next call is served", async () => {
    const base = await serve((req, _body, res) => {
      if (req.url === "/next") return res.end("next")
      res.writeHead(200, { "content-type": "application/x-ndjson" })
      const chunk = `${"y".repeat(16 * 1024)}\n`
      for (let i = 0; i < 64; i++) res.write(chunk)
      res.end()
    })
    const response = await transport(`${base}/stream`, manual())
    const reader = response.body!.getReader()
    await reader.read()
    await reader.cancel()
    expect(await (await transport(`${base}/next`, manual())).text()).toBe("next")
  })

  it("HEAD and 204 answers have no body", async () => {
    const base = await serve((req, _body, res) => {
      res.writeHead(req.method === "HEAD" ? 200 : 204, {
        "content-length": req.method === "HEAD" ? "5" : "0"
      })
      res.end()
    })
    expect((await transport(base, manual({ method: "HEAD" }))).body).toBeNull()
    expect((await transport(base, manual({ method: "DELETE" }))).body).toBeNull()
  })

  it("the caller's abort rejects with its reason", async () => {
    const base = await serve(() => undefined) // never answers
    const controller = new AbortController()
    const pending = transport(base, manual({ signal: controller.signal }))
    controller.abort(new Error("mine"))
    await expect(pending).rejects.toThrow("mine")
  })

  it("hands the call to the global fetch once it was replaced, and for what it does not send itself", async () => {
    const base = await serve((_req, _body, res) => res.end("server"))
    const original = globalThis.fetch
    const calls: Array<string> = []
    globalThis.fetch = (input, init) => {
      calls.push(String(input))
      return original(input, init)
    }
    try {
      expect(await (await transport(`${base}/stubbed`, manual())).text()).toBe("server")
    } finally {
      globalThis.fetch = original
    }
    expect(calls).toEqual([`${base}/stubbed`])
    // A body it does not encode itself (URLSearchParams) and redirects left to fetch: the global fetch's answers.
    expect(
      await (await transport(base, manual({ method: "POST", body: new URLSearchParams({ a: "1" }) }))).text()
    ).toBe("server")
    expect(await (await transport(base, { redirect: "follow" })).text()).toBe("server")
  })
})

/**
 * `peekInPlace`: the facade's look at the first bytes of a body this transport made, before it is read, with no
 * second stream. Where the transport hands calls to Node's own fetch (it cannot share the global dispatcher, as
 * on Node 24), there is nothing to peek in place and the facade peeks through a stream of its own.
 */
describe("the Node facade's transport: peekInPlace", () => {
  const big = JSON.stringify({
    data: Array.from({ length: 4000 }, (_, i) => ({ id: i, name: `n${i}` })),
    errors: null
  })
  const chunked =
    (text: string, parts: number) => (_req: IncomingMessage, _body: string, res: ServerResponse) => {
      res.writeHead(200, { "content-type": "application/json" })
      const size = Math.ceil(text.length / parts)
      for (let at = 0; at < text.length; at += size) res.write(text.slice(at, at + size))
      res.end()
    }
  const mapped = (error: unknown) => ({ mapped: true, error })

  it("looks at no more than the limit, then the body streams on from its first byte", async () => {
    const base = await serve(chunked(big, 8))
    const response = await transport(base, manual())
    const seen: Array<Uint8Array> = []
    const peeked = peekInPlace(
      response,
      65_536,
      (chunk) => {
        seen.push(chunk)
        return false
      },
      mapped
    )
    if (peeked === undefined) return expect(await response.text()).toBe(big) // handed to Node's fetch
    await peeked
    const looked = Buffer.concat(seen)
    expect(looked.length).toBeLessThanOrEqual(65_536)
    expect(looked.length).toBeGreaterThan(0)
    expect(looked.toString()).toBe(big.slice(0, looked.length))
    expect(await response.text()).toBe(big)
    expect(peekInPlace(response, 65_536, () => false, mapped)).toBeUndefined() // once
  })

  it("stops when push decides; a body that ended meanwhile is handed on whole", async () => {
    const text = '{"errors":[{"code":498,"message":"expired"}]}'
    const base = await serve(chunked(text, 3))
    const response = await transport(base, manual())
    let pushes = 0
    const peeked = peekInPlace(
      response,
      65_536,
      () => {
        pushes++
        return true
      },
      mapped
    )
    if (peeked === undefined) return expect(await response.text()).toBe(text)
    await peeked
    expect(pushes).toBe(1)
    expect(await response.text()).toBe(text)
  })

  it("a body failing after the peek fails its reader with mapError's value", async () => {
    const base = await serve((_req, _body, res) => {
      res.writeHead(200, { "content-type": "application/json" })
      res.write(big.slice(0, 100_000))
      setTimeout(() => res.socket?.destroy(), 20)
    })
    const response = await transport(base, manual())
    const peeked = peekInPlace(response, 65_536, () => false, mapped)
    if (peeked === undefined) return expect(response.text()).rejects.toBeDefined()
    await peeked
    await expect(response.text()).rejects.toMatchObject({ mapped: true })
  })

  it("a body failing during the peek rejects the peek with mapError's value", async () => {
    const base = await serve((_req, _body, res) => {
      res.writeHead(200, { "content-type": "application/json" })
      res.write("{")
      setTimeout(() => res.socket?.destroy(), 20)
    })
    const response = await transport(base, manual())
    const peeked = peekInPlace(response, 65_536, () => false, mapped)
    if (peeked === undefined) return expect(response.text()).rejects.toBeDefined()
    await expect(peeked).rejects.toMatchObject({ mapped: true })
  })
})
