/**
 * The Effect middleware's streamed bodies (anything but a small JSON body of known length), over real HTTP on
 * 127.0.0.1 from a node:http server of the test's own (the simulator sends no chunked or oversized answers):
 * the body code found in the peeked prefix, the bytes handed on unchanged in every form, an ndjson line read
 * while the server is still sending, and a body cut mid-way failing typed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import { FetchHttpClient, type HttpClientResponse } from "effect/http"
import { afterAll, afterEach, beforeAll } from "vitest"
import { CapillaryClient, CapillaryConfig } from "../src/index.ts"

const TOKEN_PATH = "/v3/oauth/token/generate"
const TOKEN_HEADER = "x-cap-api-oauth-token"

type Route = (req: IncomingMessage, res: ServerResponse) => void
let server: Server
let base: string
let issued: Array<string> = []
const seen: Array<{ path: string; token: string | undefined }> = []
const routes = new Map<string, Route>()

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      if (req.url === TOKEN_PATH) {
        const token = `tok-${issued.length + 1}-${Math.random().toString(36).slice(2)}`
        issued.push(token)
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify({ data: { accessToken: token, ttlSeconds: 3600 }, errors: null }))
        return
      }
      seen.push({ path: req.url ?? "", token: req.headers[TOKEN_HEADER] as string | undefined })
      const route = routes.get(req.url ?? "")
      if (route === undefined) {
        res.writeHead(404)
        res.end()
      } else route(req, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))
afterEach(() => {
  routes.clear()
  issued = []
  seen.length = 0
})

const withClient = <A, E>(f: (client: CapillaryClient.CapillaryClient["Service"]) => Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    return yield* f(yield* CapillaryClient.CapillaryClient)
  }).pipe(
    Effect.provide(
      CapillaryClient.layer.pipe(
        Layer.provide(CapillaryConfig.layer({ baseUrl: base, credentials: { key: "k", secret: "s" } })),
        Layer.provide(FetchHttpClient.layer)
      )
    )
  )

/** About 200 KB of JSON (past the 64 KiB peek), its envelope code last. */
const big = JSON.stringify({
  data: Array.from({ length: 2500 }, (_, i) => ({ id: i, name: `item ${i} é ✓`, price: 19.5 })),
  errors: null
})
const expiredFirst = `{"errors":[{"code":498,"message":"token expired"}],"data":[${"0,".repeat(40_000)}0]}`

/** A JSON answer sent chunked (no content-length), in pieces. */
const chunked =
  (...parts: ReadonlyArray<string>): Route =>
  (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" })
    for (const part of parts) res.write(part)
    res.end()
  }

describe("the Effect middleware: streamed bodies", () => {
  it.live(
    "a body code in a chunked JSON answer drops the token, renews it and replays: the caller gets the answer",
    () =>
      Effect.gen(function* () {
        let calls = 0
        routes.set("/chunked", (req, res) => {
          calls++
          if (calls === 1)
            return chunked('{"response":{"status":', '{"success":false,"code":"498"}}}')(req, res)
          return chunked('{"response":{"status":{"success":true,"code":200}},', '"data":[1,2,3]}')(req, res)
        })
        const body = yield* withClient((client) => Effect.flatMap(client.get("/chunked"), (r) => r.json))
        expect(body).toEqual({ response: { status: { success: true, code: 200 } }, data: [1, 2, 3] })
        expect(issued.length).toBe(2)
        expect(seen.map((s) => s.token)).toEqual([issued[0], issued[1]])
      })
  )

  it.live("a body code at the start of a 200 KB answer of known length is found in the peeked prefix", () =>
    Effect.gen(function* () {
      let calls = 0
      routes.set("/big-expired", (_req, res) => {
        calls++
        const body = calls === 1 ? expiredFirst : big
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
        res.end(body)
      })
      const text = yield* withClient((client) => Effect.flatMap(client.get("/big-expired"), (r) => r.text))
      expect(text).toBe(big)
      expect(issued.length).toBe(2)
    })
  )

  it.live("a 200 KB answer reaches the caller byte for byte, as text, JSON, bytes and a stream", () =>
    Effect.gen(function* () {
      routes.set("/big", (_req, res) => {
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(big) })
        res.end(big)
      })
      const read = <A, E>(f: (r: HttpClientResponse.HttpClientResponse) => Effect.Effect<A, E>) =>
        withClient((client) => Effect.flatMap(client.get("/big"), f))
      const text = yield* read((r) => r.text)
      const json = yield* read((r) => r.json)
      const bytes = yield* read((r) => r.arrayBuffer)
      const streamed = yield* read((r) => Stream.runCollect(r.stream))
      const expected = Buffer.from(big)
      expect(text).toBe(big)
      expect(json).toEqual(JSON.parse(big))
      expect(Buffer.from(bytes).equals(expected)).toBe(true)
      expect(Buffer.concat(streamed).equals(expected)).toBe(true)
      expect(seen.length).toBe(4) // one request per read, none replayed
    })
  )

  it.live("an ndjson line is read while the server is still sending the rest", () =>
    Effect.gen(function* () {
      let release: () => void = () => undefined
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      routes.set("/feed", (_req, res) => {
        res.writeHead(200, { "content-type": "application/x-ndjson" })
        res.write('{"id":1}\n')
        void held.then(() => res.end('{"id":2}\n'))
      })
      const lines = yield* withClient((client) =>
        Effect.flatMap(client.get("/feed"), (r) =>
          r.stream.pipe(
            Stream.decodeText,
            Stream.tap((text) => Effect.sync(() => text.includes('{"id":1}') && release())),
            Stream.runCollect
          )
        )
      )
      expect(lines.join("")).toBe('{"id":1}\n{"id":2}\n')
    })
  )

  it.live("a body cut mid-way fails the read with a typed HttpClientError, never a defect", () =>
    Effect.gen(function* () {
      routes.set("/cut", (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.write(`{"data":[${"1,".repeat(50_000)}`)
        setImmediate(() => res.socket?.destroy())
      })
      const error = yield* withClient((client) =>
        Effect.flip(Effect.flatMap(client.get("/cut"), (r) => r.text))
      )
      expect(error._tag).toBe("HttpClientError")
    })
  )
})
