/**
 * capauth's own per-request cost, with the network taken out: the Promise facade over a fetch that answers at
 * once, and the Effect middleware over an `HttpClient` that does the same, each next to the same call without
 * capauth. The difference is what capauth adds on the warm path (a fresh credential, a small JSON answer read
 * with `json()`). In-process and single-caller, so it is steadier than the loopback bench in @capauth/node.
 *
 *   tsx bench/overhead.ts [requests]
 */
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Redacted from "effect/Redacted"
import { make as fromAuthorizer } from "../src/CapillaryClient.ts"
import * as Authorizer from "../src/internal/authorizer.ts"
import { make as promiseClient } from "../src/PromiseClient.ts"

const requests = Number(process.argv[2] ?? 100_000)
const url = "http://127.0.0.1:1/v2/customers/1"
const body = JSON.stringify({ id: 1, firstname: "Bench", lastname: "Customer" })
const headers = { "content-type": "application/json", "content-length": String(body.length) }
const answer = async () => new Response(body, { headers })

const time = async (call: () => Promise<unknown>) => {
  for (let i = 0; i < 2_000; i++) await call()
  const start = performance.now()
  for (let i = 0; i < requests; i++) await call()
  return ((performance.now() - start) * 1000) / requests
}

// Basic till credentials: always fresh, so only the warm path is measured.
const credentials = { till: "bench", password: "bench" }
const cap = promiseClient(
  { baseUrl: "http://127.0.0.1:1", credentials },
  { httpLayer: FetchHttpClient.layer, fetch: answer, env: () => undefined }
)
const http = HttpClient.make((request) =>
  Effect.succeed(HttpClientResponse.fromWeb(request, new Response(body, { headers })))
)
const settings = {
  baseUrl: new URL("http://127.0.0.1:1"),
  attribution: undefined,
  legacyTillHeader: false,
  mapForbidden: false
}
const till = {
  _tag: "Till",
  id: "bench",
  passwordMd5: Redacted.make("00000000000000000000000000000000")
} as const
const middleware = fromAuthorizer(http, settings, Authorizer.basic(settings, till))
const viaEffect =
  <E>(client: HttpClient.HttpClient.With<E>) =>
  () =>
    Effect.runPromise(Effect.flatMap(client.get(url), (response) => response.json))

const rows: Array<[string, number]> = []
for (let round = 0; round < 2; round++) {
  rows.push(["fetch (no network)", await time(async () => (await answer()).json())])
  rows.push(["cap.fetch", await time(async () => (await cap.fetch("/v2/customers/1")).json())])
  rows.push(["HttpClient (no network)", await time(viaEffect(http))])
  rows.push(["CapillaryClient middleware", await time(viaEffect(middleware))])
}
await cap.close()
console.log(`${requests} sequential requests per row, best of 2 rounds (µs per request)\n`)
console.log("| variant | µs/req | capauth adds |\n| --- | ---: | ---: |")
const best = (name: string) => Math.min(...rows.filter(([n]) => n === name).map(([, us]) => us))
for (const [name, base] of [
  ["fetch (no network)", undefined],
  ["cap.fetch", "fetch (no network)"],
  ["HttpClient (no network)", undefined],
  ["CapillaryClient middleware", "HttpClient (no network)"]
] as const) {
  const us = best(name)
  console.log(
    `| ${name} | ${us.toFixed(1)} | ${base === undefined ? "" : `+${(us - best(base)).toFixed(1)}`} |`
  )
}
