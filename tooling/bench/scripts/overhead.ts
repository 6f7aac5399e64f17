/**
 * The facade's own cost per request, without a network: `PromiseClient.make` over a fetch that answers at once
 * with a small JSON `Response`, against that fetch called directly. Token requests go to the raw server.
 *   tsx --conditions=@capauth/source scripts/overhead.ts [requests] [rounds]
 */
import * as PromiseClient from "@capauth/core/PromiseClient"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import { spawnChild } from "../src/child.ts"
import { spread } from "../src/stats.ts"
import { credentials } from "../src/variants.ts"

const requests = Number(process.argv[2] ?? 50_000)
const rounds = Number(process.argv[3] ?? 5)
const raw = await spawnChild("servers/raw.ts")
const base = `http://127.0.0.1:${(raw.ready as { port: number }).port}`
const body = new TextEncoder().encode(
  JSON.stringify({ data: { id: 1, firstname: "Bench" }, warnings: [], errors: null })
)
const answer = (): Response =>
  new Response(body, {
    status: 200,
    headers: { "content-type": "application/json", "content-length": String(body.length) }
  })
const fake = (async (input: string | URL | Request) => {
  if (String(input).endsWith("/v3/oauth/token/generate")) return globalThis.fetch(input)
  return answer()
}) as typeof fetch
const cap = PromiseClient.make(
  { baseUrl: base, credentials, attribution: { type: "TILL", code: "store.till1" } },
  { httpLayer: FetchHttpClient.layer, fetch: fake, env: () => undefined }
)
await cap.fetch("/small")
const time = async (call: () => Promise<unknown>) => {
  for (let i = 0; i < 2000; i++) await call()
  const cpu = process.cpuUsage()
  for (let i = 0; i < requests; i++) await call()
  const used = process.cpuUsage(cpu)
  return (used.user + used.system) / requests
}
const direct: Array<number> = []
const facade: Array<number> = []
for (let r = 0; r < rounds; r++) {
  direct.push(await time(() => fake(`${base}/small`).then((x) => x.json())))
  facade.push(await time(() => cap.fetch("/small").then((x) => x.json())))
}
const d = spread(direct).median
const f = spread(facade).median
console.log(
  `fetch + json ${d.toFixed(2)} µs, cap.fetch + json ${f.toFixed(2)} µs, facade overhead ${(f - d).toFixed(2)} µs/request`
)
await cap.close()
await raw.stop()
process.exit()
