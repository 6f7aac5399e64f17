/**
 * The parts of the suite that apply to Deno, on the real Deno binary through @capauth/deno: chaos at small
 * counts (the Promise facade, the Effect client over FetchHttpClient, the facade with the Deno KV token store),
 * fuzzing, redaction and clock skew. The sources are the Node suite's (../src), written once.
 *
 * Env: RELIABILITY_SCALE=ci|full, RELIABILITY_OUT=<file> (JSON figures and goals), RELIABILITY_KV_DIR=<dir>.
 * Run by scripts/deno.sh (which scripts/full.sh and test/deno.test.ts call).
 */
import { createCapillaryClient, DenoKvTokenStore } from "@capauth/deno"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import { chaosGoals, issueFaults, runChaos } from "../src/chaos.ts"
import { chaosScenario } from "../src/counts.ts"
import { effectDriver, promiseDriver } from "../src/drivers.ts"
import { fuzzApi, fuzzGoals, fuzzTokenEndpoint, type Serve } from "../src/fuzz.ts"
import { runRedaction } from "../src/redaction.ts"
import { runClientJumps, runServerSkew } from "../src/skew.ts"

const full = Deno.env.get("RELIABILITY_SCALE") === "full"
// Chaos at 10,000 writes in CI too (about 10 s per client): API-side events fail writes in batches of up to 64 (see
// src/counts.ts), and at 600 writes a single batch would be over the 1% the goal allows.
const writes = 10_000
const fuzzRuns = full ? 2_000 : 150
const kvDir = Deno.env.get("RELIABILITY_KV_DIR") ?? (await Deno.makeTempDir())
const log = (s: string) => console.error(`[reliability deno] ${s}`)

const serveDeno: Serve = (handler) =>
  new Promise((resolve) => {
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler)
    const addr = server.addr as Deno.NetAddr
    resolve({ url: `http://127.0.0.1:${addr.port}`, close: () => server.shutdown() })
  })

const promise = promiseDriver(createCapillaryClient, "deno promise facade")
const effect = effectDriver(FetchHttpClient.layer, {}, "deno Effect client")
const store = await DenoKvTokenStore.open(`${kvDir}/chaos.sqlite`)
const kv = promiseDriver(
  (o) => createCapillaryClient({ ...o, tokenStore: store }),
  "deno promise facade + Deno KV store"
)

const goals: Array<{ goal: string; holds: boolean; figure: string }> = []
const out: Record<string, unknown> = { scale: full ? "full" : "ci", writes, fuzzRuns }

log(`chaos ${writes} writes x 3`)
const chaos = []
for (const [driver, seed] of [
  [promise, 401],
  [effect, 402],
  [kv, 403]
] as const) {
  const r = await runChaos({ ...chaosScenario(writes), seed, faults: issueFaults, driver })
  chaos.push(r)
  for (const g of chaosGoals(r)) goals.push({ ...g, goal: `chaos, ${r.label}: ${g.goal}` })
}
store.close()
out.chaos = chaos

log(`fuzz ${fuzzRuns} x 2`)
const fuzz = [
  await fuzzTokenEndpoint({ seed: 501, runs: fuzzRuns, serve: serveDeno, httpLayer: FetchHttpClient.layer }),
  await fuzzApi({ seed: 502, runs: fuzzRuns, serve: serveDeno, create: createCapillaryClient })
]
for (const f of fuzz) goals.push(...fuzzGoals(f))
out.fuzz = fuzz

log("redaction")
const inspect = (v: unknown) => Deno.inspect(v, { depth: 10, showHidden: true })
const redaction = [
  await runRedaction({
    label: "deno Effect client (debug logs)",
    seed: 601,
    writes: Math.min(writes, 600),
    make: (o) => effectDriver(FetchHttpClient.layer, o, "deno Effect client"),
    inspect
  }),
  await runRedaction({
    label: "deno promise facade",
    seed: 602,
    writes: Math.min(writes, 600),
    make: () => promise,
    inspect
  })
]
for (const r of redaction)
  goals.push({
    goal: `redaction, ${r.label}: 0 hits`,
    holds: r.hits === 0 && r.needles > 2 && r.events > 0,
    figure: `${r.hits} hits in ${r.texts} texts (${r.needles} values, ${r.events} events)`
  })
out.redaction = redaction.map(({ chaos: c, ...rest }) => ({
  ...rest,
  writes: c.writes,
  accepted: c.accepted
}))

log("clock skew")
const skew = [await runServerSkew(-2, FetchHttpClient.layer), await runServerSkew(2, FetchHttpClient.layer)]
for (const s of skew)
  goals.push({
    goal: `clock skew, server ${s.serverOffsetHours} h: neither early nor late`,
    holds: !s.early && !s.late && s.callerFailures === 0,
    figure: JSON.stringify(s.steps.map((x) => x.tokenRequests))
  })
const jumps = await runClientJumps(FetchHttpClient.layer)
goals.push({
  goal: "clock skew, client wall-clock steps: no caller fails, no 498 after the step back",
  holds: jumps.callerFailures === 0 && jumps.lateSends === 0,
  figure: `${jumps.earlyRefreshes} early refresh, ${jumps.lateSends} 498s`
})
out.skew = { server: skew, jumps }
out.goals = goals

const text = `${JSON.stringify(out, null, 2)}\n`
const file = Deno.env.get("RELIABILITY_OUT")
if (file) await Deno.writeTextFile(file, text)
else console.log(text)
log(`${goals.filter((g) => g.holds).length} of ${goals.length} goals hold`)
