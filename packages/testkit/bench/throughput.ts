/**
 * Loopback throughput of the simulator: token/generate (RS256 signing per call) and v1.1 customer/get with a
 * valid token (cached verification). Bounded concurrency over keep-alive sockets; each scenario stops at
 * REQUESTS requests or MAX_SECONDS, whichever comes first.
 *
 * Run: pnpm --filter @capauth/testkit bench   (or: tsx bench/throughput.ts)
 */
import { Agent, request } from "node:http"
import { startSimulator } from "../src/index.ts"

const CONCURRENCY = Number(process.env.CONCURRENCY ?? 32)
const REQUESTS = Number(process.env.REQUESTS ?? 10_000)
const MAX_SECONDS = Number(process.env.MAX_SECONDS ?? 10)

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })

interface Call {
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string>
  readonly body?: string
}

// node:http rather than fetch, so the figure is the server's rather than the client library's.
const send = (base: URL, call: Call): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method: call.method,
        path: call.path,
        headers: call.headers
      },
      (res) => {
        res.resume()
        res.on("end", () => resolve(res.statusCode ?? 0))
      }
    )
    req.on("error", reject)
    req.end(call.body)
  })

const scenario = async (name: string, base: URL, call: Call) => {
  let issued = 0
  let ok = 0
  let failed = 0
  const latencies: number[] = []
  const deadline = performance.now() + MAX_SECONDS * 1000
  const start = performance.now()
  const worker = async () => {
    while (issued < REQUESTS && performance.now() < deadline) {
      issued++
      const t0 = performance.now()
      const status = await send(base, call)
      latencies.push(performance.now() - t0)
      if (status === 200) ok++
      else failed++
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const seconds = (performance.now() - start) / 1000
  latencies.sort((a, b) => a - b)
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!.toFixed(2)
  const rps = Math.round((ok + failed) / seconds)
  console.log(
    `${name.padEnd(34)} ${String(ok + failed).padStart(6)} req in ${seconds.toFixed(2)} s = ${String(rps).padStart(6)} req/s` +
      `  p50 ${pct(0.5)} ms  p99 ${pct(0.99)} ms  non-200: ${failed}`
  )
  return rps
}

const sim = await startSimulator({ clock: "manual" })
const base = new URL(sim.url)
const json = { "content-type": "application/json", accept: "application/json" }
const creds = JSON.stringify({ key: "sample-key", secret: "sample-secret" })

console.log(
  `node ${process.version}, concurrency ${CONCURRENCY}, up to ${REQUESTS} requests or ${MAX_SECONDS} s each`
)
// Warm up JIT and sockets.
for (let i = 0; i < 200; i++)
  await send(base, { method: "POST", path: "/v3/oauth/token/generate", headers: json, body: creds })

await scenario("POST /v3/oauth/token/generate", base, {
  method: "POST",
  path: "/v3/oauth/token/generate",
  headers: json,
  body: creds
})
const token = sim.tokens.at(-1)!.token
await scenario("GET /v1.1/customer/get (OAuth)", base, {
  method: "GET",
  path: "/v1.1/customer/get?format=json&mobile=919876543210",
  headers: { ...json, "x-cap-api-oauth-token": token }
})
await scenario("GET /v1.1/customer/get (Basic)", base, {
  method: "GET",
  path: "/v1.1/customer/get?format=json&mobile=919876543210",
  headers: { ...json, authorization: "Basic c3RvcmUuc2VydmVyOjhhMTZhNmI3MDUwNWViMWYxZmY3Y2RjMGNkNTU1OWE3" }
})

agent.destroy()
await sim.close()
