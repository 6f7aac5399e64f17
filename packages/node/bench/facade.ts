/**
 * Throughput of capauth's Promise facade and Effect middleware next to their unauthenticated baselines, in one
 * run and against one tiny local HTTP server (a child process, so it does not share our event loop; the
 * simulator would be the bottleneck). Warm token throughout: this measures the per-request overhead of auth.
 *
 *   pnpm --filter @capauth/node bench            # or: tsx bench/facade.ts [requests] [concurrency] [rounds]
 *
 * Variants (each: `requests` requests by `concurrency` callers, body read as JSON):
 *   raw fetch        global fetch with one header
 *   cap.fetch        the facade (token header + attribution + 498 check of the JSON body)
 *   cap.ky           ky over the facade (for reference: ky's own cost)
 *   effect plain     NodeHttpClient.layerUndici + mapRequest(setHeader), runPromise per request
 *   effect capauth   CapillaryClient over layerUndici, runPromise per request
 */
import { fork } from "node:child_process"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { CapillaryClient, CapillaryConfig } from "@capauth/core"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { createCapillaryClient } from "../src/index.ts"

const body = JSON.stringify({ id: 1, firstname: "Bench", lastname: "Customer" })
const tokenBody = JSON.stringify({ data: { accessToken: "bench-token", ttlSeconds: 3600 }, errors: null })

/** The server side: answers token/generate and a tiny JSON body on every other path. */
const serve = () => {
  const server = createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      res.writeHead(200, {
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(req.url === "/v3/oauth/token/generate" ? tokenBody : body))
      })
      res.end(req.url === "/v3/oauth/token/generate" ? tokenBody : body)
    })
  })
  server.keepAliveTimeout = 60_000
  server.listen(0, "127.0.0.1", () => process.send?.((server.address() as AddressInfo).port))
  process.on("disconnect", () => process.exit(0))
}

interface Result {
  readonly name: string
  readonly reqPerSec: number
  /** Client-side CPU (user + system of this process) per request: steadier than req/s on a shared machine. */
  readonly cpuMicros: number
  readonly peakRssMb: number
  readonly peakHeapMb: number
}

const measure = async (name: string, requests: number, concurrency: number, call: () => Promise<unknown>) => {
  for (let i = 0; i < 500; i++) await call() // warm up (JIT, connections, token)
  globalThis.gc?.()
  let peakRss = 0
  let peakHeap = 0
  const sample = () => {
    const m = process.memoryUsage()
    peakRss = Math.max(peakRss, m.rss)
    peakHeap = Math.max(peakHeap, m.heapUsed)
  }
  const sampler = setInterval(sample, 20)
  let next = 0
  const worker = async () => {
    while (next++ < requests) await call()
  }
  const cpu = process.cpuUsage()
  const start = performance.now()
  await Promise.all(Array.from({ length: concurrency }, worker))
  const seconds = (performance.now() - start) / 1000
  const used = process.cpuUsage(cpu)
  clearInterval(sampler)
  sample()
  return {
    name,
    reqPerSec: requests / seconds,
    cpuMicros: (used.user + used.system) / requests,
    peakRssMb: peakRss / 2 ** 20,
    peakHeapMb: peakHeap / 2 ** 20
  }
}

const main = async () => {
  const requests = Number(process.argv[2] ?? 20_000)
  const concurrency = Number(process.argv[3] ?? 32)
  const rounds = Number(process.argv[4] ?? 3)
  const child = fork(new URL(import.meta.url).pathname, ["--server"], { stdio: "inherit" })
  const port = await new Promise<number>((resolve) => child.once("message", (m) => resolve(m as number)))
  const base = `http://127.0.0.1:${port}`
  const input: CapillaryConfig.Input = {
    baseUrl: base,
    credentials: { key: "bench-key", secret: "bench-secret" },
    attribution: { type: "TILL", code: "store.till1" }
  }

  const cap = createCapillaryClient(input)
  await cap.token()

  const plain = ManagedRuntime.make(NodeHttpClient.layerUndici)
  const plainClient = await plain.runPromise(
    Effect.map(HttpClient.HttpClient, (http) =>
      http.pipe(
        HttpClient.mapRequest(HttpClientRequest.prependUrl(base)),
        HttpClient.mapRequest(HttpClientRequest.setHeader("x-cap-api-oauth-token", "bench-token"))
      )
    )
  )
  const authed = ManagedRuntime.make(
    CapillaryClient.layer.pipe(
      Layer.provide(CapillaryConfig.layer(input)),
      Layer.provide(NodeHttpClient.layerUndici)
    )
  )
  const authedClient = await authed.runPromise(CapillaryClient.CapillaryClient)

  const variants: Array<[string, () => Promise<unknown>]> = [
    [
      "raw fetch",
      () =>
        fetch(`${base}/v2/customers/1`, { headers: { "x-cap-api-oauth-token": "bench-token" } }).then((r) =>
          r.json()
        )
    ],
    ["cap.fetch", () => cap.fetch("/v2/customers/1").then((r) => r.json())],
    ["cap.ky", () => cap.ky.get("v2/customers/1").json()],
    [
      "effect plain",
      () => plain.runPromise(Effect.flatMap(plainClient.get("/v2/customers/1"), (r) => r.json))
    ],
    [
      "effect capauth",
      () => authed.runPromise(Effect.flatMap(authedClient.get("/v2/customers/1"), (r) => r.json))
    ]
  ]

  // Several interleaved rounds, keeping each variant's best (highest req/s, lowest CPU per request): the
  // machine may be shared, and the best is the least disturbed figure.
  const best = new Map<string, Result>()
  for (let round = 0; round < rounds; round++) {
    for (const [name, call] of variants) {
      const r = await measure(name, requests, concurrency, call)
      const p = best.get(name) ?? r
      best.set(name, {
        name,
        reqPerSec: Math.max(p.reqPerSec, r.reqPerSec),
        cpuMicros: Math.min(p.cpuMicros, r.cpuMicros),
        peakRssMb: Math.max(p.peakRssMb, r.peakRssMb),
        peakHeapMb: Math.max(p.peakHeapMb, r.peakHeapMb)
      })
    }
  }

  const ratio = (a: number, b: number | undefined) => (b === undefined ? "-" : (a / b).toFixed(3))
  const raw = best.get("raw fetch")
  const plainBest = best.get("effect plain")
  console.log(
    `node ${process.version}, ${requests} requests x ${concurrency} concurrent callers, best of ${rounds} rounds\n`
  )
  console.log(
    "| variant | req/s | req/s vs raw fetch | req/s vs effect plain | client CPU µs/req | CPU vs raw | CPU vs effect plain | peak RSS MB | peak heap MB |"
  )
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
  for (const r of best.values()) {
    console.log(
      `| ${r.name} | ${Math.round(r.reqPerSec)} | ${ratio(r.reqPerSec, raw?.reqPerSec)} | ${ratio(r.reqPerSec, plainBest?.reqPerSec)} | ${r.cpuMicros.toFixed(0)} | ${ratio(r.cpuMicros, raw?.cpuMicros)} | ${ratio(r.cpuMicros, plainBest?.cpuMicros)} | ${r.peakRssMb.toFixed(0)} | ${r.peakHeapMb.toFixed(0)} |`
    )
  }

  await cap.close()
  await plain.dispose()
  await authed.dispose()
  child.disconnect()
}

if (process.argv.includes("--server")) serve()
else await main()
