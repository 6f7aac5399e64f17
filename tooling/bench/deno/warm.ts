/**
 * The Deno facade on the real Deno binary: raw `fetch` with a static header against `createCapillaryClient` of
 * @capauth/deno, small JSON from the bench's raw server, interleaved rounds. Prints one JSON line.
 *   deno run --config packages/deno/deno.json --allow-net=127.0.0.1 --allow-env tooling/bench/deno/warm.ts <base> <requests> <rounds>
 */
import process from "node:process"
import { createCapillaryClient } from "../../../packages/deno/src/createCapillaryClient.ts"

const [base, requestsArg, roundsArg] = Deno.args as [string, string, string]
const requests = Number(requestsArg)
const rounds = Number(roundsArg)
const concurrency = 32

const tokenResponse = await fetch(`${base}/v3/oauth/token/generate`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ key: "bench-key", secret: "bench-secret" })
})
const token = ((await tokenResponse.json()) as { data: { accessToken: string } }).data.accessToken
const headers = { "x-cap-api-oauth-token": token }
const cap = createCapillaryClient({
  baseUrl: base,
  credentials: { key: "bench-key", secret: "bench-secret" },
  attribution: { type: "TILL", code: "store.till1" }
})

const variants: Array<[string, () => Promise<unknown>]> = [
  ["raw fetch", () => fetch(`${base}/small`, { headers }).then((r) => r.json())],
  ["capauth fetch", () => cap.fetch("/small").then((r) => r.json())]
]

const measure = async (call: () => Promise<unknown>) => {
  for (let i = 0; i < Math.min(300, requests / 4); i++) await call()
  let next = 0
  const worker = async () => {
    while (next++ < requests) await call()
  }
  const cpu = process.cpuUsage()
  const start = performance.now()
  await Promise.all(Array.from({ length: concurrency }, worker))
  const seconds = (performance.now() - start) / 1000
  const used = process.cpuUsage(cpu)
  return { reqPerSec: requests / seconds, cpuMicros: (used.user + used.system) / requests }
}

const runs: Record<string, Array<{ reqPerSec: number; cpuMicros: number }>> = {}
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < variants.length; k++) {
    const [name, call] = variants[(k + round) % variants.length]!
    const list = runs[name] ?? []
    list.push(await measure(call))
    runs[name] = list
  }
}
await cap.close()
console.log(JSON.stringify({ deno: Deno.version.deno, runs }))
