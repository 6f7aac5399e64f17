/**
 * Which transport the Node facade should send on: Node's global fetch, undici's own fetch over a dedicated Agent,
 * or undici's `request` wrapped into a `Response`. Raw calls with one static header, no auth logic.
 *   tsx --conditions=@capauth/source scripts/transport.ts [small|big|ndjson] [requests] [rounds]
 */
import { Readable } from "node:stream"
import { Agent, request, fetch as undiciFetch } from "undici"
import { fetch as capTransport } from "../../../packages/node/src/internal/transport.ts"
import { spawnChild } from "../src/child.ts"
import { measure } from "../src/measure.ts"
import { ratio, spread } from "../src/stats.ts"
import { drain, fetchToken, type Shape, TOKEN_HEADER } from "../src/variants.ts"

const shape = (process.argv[2] ?? "small") as Shape
const requests = Number(process.argv[3] ?? 5000)
const rounds = Number(process.argv[4] ?? 3)
const raw = await spawnChild("servers/raw.ts")
const base = `http://127.0.0.1:${(raw.ready as { port: number }).port}`
const { accessToken } = await fetchToken(base)
const headers = { [TOKEN_HEADER]: accessToken }
const path = shape === "small" ? "/small" : shape === "big" ? "/big" : "/ndjson"
const agent = new Agent({ keepAliveTimeout: 60_000 })

const consume = (r: Response) => (shape === "ndjson" ? drain(r.body) : r.json())

const toResponse = (r: Awaited<ReturnType<typeof request>>): Response => {
  const h = new Headers()
  for (const [k, v] of Object.entries(r.headers))
    if (v !== undefined) h.append(k, Array.isArray(v) ? v.join(", ") : v)
  return new Response(Readable.toWeb(r.body) as ReadableStream, { status: r.statusCode, headers: h })
}

const variants: Array<[string, () => Promise<unknown>]> = [
  ["global fetch", () => fetch(base + path, { headers }).then(consume)],
  [
    "capauth node transport",
    () => capTransport(base + path, { headers: new Headers(headers), redirect: "manual" }).then(consume)
  ],
  [
    "undici8 fetch + Agent",
    () =>
      undiciFetch(base + path, { headers, dispatcher: agent }).then((r) => consume(r as unknown as Response))
  ],
  [
    "undici8 request (body.json)",
    () =>
      request(base + path, { headers, dispatcher: agent }).then((r) =>
        shape === "ndjson" ? r.body.dump({ limit: Infinity }) : r.body.json()
      )
  ],
  [
    "undici8 request -> Response",
    () => request(base + path, { headers, dispatcher: agent }).then((r) => consume(toResponse(r)))
  ]
]
const runs = new Map(variants.map(([n]) => [n, [] as Array<{ reqPerSec: number; cpuMicros: number }>]))
for (let round = 0; round < rounds; round++)
  for (const [name, call] of variants)
    runs.get(name)!.push(await measure(requests, shape === "big" ? 8 : 32, call, 300))
const rawRuns = runs.get("global fetch")!
for (const [name, rs] of runs)
  console.log(
    name.padEnd(32),
    "req/s",
    ratio(spread(rs.map((r, i) => r.reqPerSec / rawRuns[i]!.reqPerSec))),
    "cpu",
    ratio(spread(rs.map((r, i) => r.cpuMicros / rawRuns[i]!.cpuMicros))),
    Math.round(spread(rs.map((r) => r.cpuMicros)).median),
    "µs"
  )
await raw.stop()
process.exit()
