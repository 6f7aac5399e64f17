/**
 * The raw API server (a child process): Capillary's token endpoint and three answers — a small JSON body, a
 * 1 MB JSON body and a streamed ndjson body — with no simulator logic, so the server is never the bottleneck.
 * Every token it issues is distinct (`tok-N`), so rotations are real.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { serveIpc } from "../child.ts"

const small = Buffer.from(
  JSON.stringify({
    data: {
      id: 1,
      firstname: "Bench",
      lastname: "Customer",
      mobile: "919999999999",
      email: "bench@example.com",
      loyaltyPoints: 1234,
      tier: "GOLD"
    },
    warnings: [],
    errors: null
  })
)

/** About 1 MB: an envelope whose code comes first, then a long list (a realistic large v2 answer). */
const big = (() => {
  const entry = JSON.stringify({
    id: 123456,
    sku: "SKU-000000",
    name: "A product of the catalogue",
    price: 1999.5
  })
  const entries: Array<string> = []
  let size = 0
  for (let i = 0; size < 1024 * 1024 - 200; i++) {
    const e = entry.replace("123456", String(100000 + i))
    entries.push(e)
    size += e.length + 1
  }
  return Buffer.from(`{"data":[${entries.join(",")}],"warnings":[],"errors":null}`)
})()

/** ndjson: 64 lines of about 1 KB, written as they come (chunked, no content-length). */
const line = Buffer.from(`${JSON.stringify({ id: 1, payload: "x".repeat(1000) })}\n`)
const ndjsonLines = 64

let tokenRequests = 0
let apiRequests = 0
const tokenBody = () =>
  JSON.stringify({ data: { accessToken: `tok-${++tokenRequests}`, ttlSeconds: 3600 }, errors: null })

const server = createServer((req, res) => {
  if (req.url === "/v3/oauth/token/generate") {
    req.resume()
    req.on("end", () => {
      const body = tokenBody()
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
      res.end(body)
    })
    return
  }
  apiRequests++
  req.resume()
  if (req.url === "/big") {
    res.writeHead(200, { "content-type": "application/json", "content-length": big.length })
    res.end(big)
  } else if (req.url === "/ndjson") {
    res.writeHead(200, { "content-type": "application/x-ndjson" })
    for (let i = 0; i < ndjsonLines; i++) res.write(line)
    res.end()
  } else {
    res.writeHead(200, { "content-type": "application/json", "content-length": small.length })
    res.end(small)
  }
})
server.keepAliveTimeout = 60_000
server.listen(0, "127.0.0.1", () => {
  serveIpc((m) => {
    if (m.type === "stats")
      return { tokenRequests, apiRequests, bigBytes: big.length, ndjsonBytes: line.length * ndjsonLines }
    throw new Error(`unknown message ${String(m.type)}`)
  })
  process.send?.({ port: (server.address() as AddressInfo).port })
})
