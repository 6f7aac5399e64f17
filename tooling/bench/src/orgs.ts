/**
 * Many orgs in one process: the heap of a process serving 10,000 orgs, each with its own API client, through a
 * bounded `CapillaryClients` pool, against keeping every org's client open. Standalone (not part of main.ts):
 *
 *   cd tooling/bench && node_modules/.bin/tsx --conditions=@capauth/source --expose-gc src/orgs.ts [--orgs N] [--max N] [--open N]
 *
 * Every org makes one call (a token request and an API call on the embedded simulator). Heap figures are
 * `process.memoryUsage().heapUsed` after a full GC. "all open" keeps `--open` clients (default 1,000: 10,000 open
 * clients would also hold 10,000 connection pools) and extrapolates per client.
 */
import { fork } from "node:child_process"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { TokenStore } from "@capauth/core"
import { CapillaryClients, type CapillaryPromiseClient, createCapillaryClient } from "@capauth/node"
import { startSimulator } from "@capauth/testkit"

const { values } = parseArgs({
  options: {
    orgs: { type: "string", default: "10000" },
    max: { type: "string", default: "100" },
    open: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "50" },
    "sim-child": { type: "boolean" }
  }
})
const ORGS = Number(values.orgs)
const MAX = Number(values.max)
const OPEN = Math.min(Number(values.open), ORGS)
const CONCURRENCY = Number(values.concurrency)

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined && !values["sim-child"]) {
  console.error("run with --expose-gc (see the header of this file)")
  process.exit(2)
}
const settle = () => new Promise((resolve) => setTimeout(resolve, 50))
const heap = async () => {
  for (let i = 0; i < 3; i++) {
    gc?.()
    await settle()
  }
  return process.memoryUsage().heapUsed
}
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`

const credentials = (i: number) => ({ key: `bench-org-${i}`, secret: `bench-secret-${i}` })

// The simulator runs in a child process: its own state (clients, issued tokens, logs) stays out of our heap.
if (process.argv.includes("--sim-child")) {
  const sim = await startSimulator({
    port: 0,
    maxLogEntries: 1_000,
    clients: Array.from({ length: ORGS }, (_, i) => ({ ...credentials(i), orgId: 10_000 + i }))
  })
  process.send?.({ url: sim.url })
  process.on("message", (message) => {
    if (message === "stats") process.send?.({ tokenRequests: sim.stats().tokenRequestsTotal })
    if (message === "close") void sim.close().then(() => process.exit(0))
  })
  await new Promise(() => undefined)
}
const child = fork(fileURLToPath(import.meta.url), ["--sim-child", "--orgs", String(ORGS)], {
  execArgv: process.execArgv.filter((arg) => arg !== "--expose-gc")
})
const fromChild = <A>() => new Promise<A>((resolve) => child.once("message", (m) => resolve(m as A)))
const { url } = await fromChild<{ url: string }>()

const options = (i: number, tokenStore?: TokenStore.TokenStore) => ({
  baseUrl: url,
  credentials: credentials(i),
  ...(tokenStore === undefined ? {} : { tokenStore })
})

/** Run `task` for 0..count-1, `CONCURRENCY` at a time. */
const waves = async (count: number, task: (i: number) => Promise<void>) => {
  let next = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await task(next++)
    })
  )
}

const call = async (cap: CapillaryPromiseClient) => {
  const res = await cap.fetch("/v2/customers/1")
  if (res.status !== 200) throw new Error(`expected 200, got ${res.status}`)
  await res.arrayBuffer()
}

const baseline = await heap()

// 1. The pool: every org served once, at most MAX clients open, tokens kept in one shared in-memory store.
const store = TokenStore.memory()
const pool = CapillaryClients.make({
  max: MAX,
  create: (org) => createCapillaryClient(options(Number(org), store))
})
let started = performance.now()
await waves(ORGS, (i) => pool.use(String(i), call))
const poolMillis = performance.now() - started
const poolHeap = (await heap()) - baseline
const openInPool = pool.size()
await pool.close()
const afterPoolClose = (await heap()) - baseline

// 2. All open: OPEN clients kept, for the cost of one open client.
const before = await heap()
const clients: Array<CapillaryPromiseClient> = []
started = performance.now()
await waves(OPEN, async (i) => {
  const cap = createCapillaryClient(options(i))
  clients.push(cap)
  await call(cap)
})
const openMillis = performance.now() - started
const openHeap = (await heap()) - before
await Promise.all(clients.map((cap) => cap.close()))
clients.length = 0
const perClient = openHeap / OPEN

console.log(
  `capauth orgs bench: ${ORGS} orgs, each its own API client, one call each (Node ${process.version})`
)
console.log(`  pool (max ${MAX}, shared memory token store)`)
console.log(`    heap over baseline, ${ORGS} orgs served, ${openInPool} open: ${mb(poolHeap)}`)
console.log(`    of which the ${ORGS} tokens in the shared store: kept (one entry per org)`)
console.log(`    after close: ${mb(afterPoolClose)}`)
console.log(
  `    time: ${(poolMillis / 1000).toFixed(1)} s (${(ORGS / (poolMillis / 1000)).toFixed(0)} orgs/s)`
)
console.log(`  all open (${OPEN} clients kept)`)
console.log(`    heap: ${mb(openHeap)}, ${kb(perClient)} per open client`)
console.log(`    ${ORGS} open clients, extrapolated: ${mb(perClient * ORGS)}`)
console.log(`    time: ${(openMillis / 1000).toFixed(1)} s`)
console.log(
  JSON.stringify({
    orgs: ORGS,
    max: MAX,
    poolHeapBytes: Math.round(poolHeap),
    poolAfterCloseBytes: Math.round(afterPoolClose),
    perOpenClientBytes: Math.round(perClient),
    allOpenExtrapolatedBytes: Math.round(perClient * ORGS),
    tokenRequests: await (async () => {
      child.send("stats")
      return (await fromChild<{ tokenRequests: number }>()).tokenRequests
    })()
  })
)
child.send("close")
