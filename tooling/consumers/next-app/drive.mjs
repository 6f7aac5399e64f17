// Drives the built app (run.sh has run `next build`): starts the simulator, `next start` on a free port with
// CAPILLARY_* pointing at it, calls the route, and asks the simulator what reached it. Exits non-zero on failure.
import { spawn } from "node:child_process"
import { readdir, readFile } from "node:fs/promises"
import { createServer } from "node:net"
import { isDeepStrictEqual } from "node:util"
import {
  basicAuthorization,
  SAMPLE_CLIENT,
  SAMPLE_CUSTOMER,
  SAMPLE_TILL,
  startSimulator
} from "@capauth/testkit"

const DEADLINE_MS = 120_000 // the whole drive, `next start` included
const PATH = `/v1.1/customer/get?format=json&mobile=${SAMPLE_CUSTOMER.mobile}`

const check = (ok, message) => {
  if (!ok) throw new Error(message)
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

const sim = await startSimulator({ port: 0 })
console.log(`simulator: ${sim.url}`)
const port = await freePort()
const base = `http://127.0.0.1:${port}`
let next
let log = ""
const deadline = setTimeout(() => {
  console.error(`drive: gave up after ${DEADLINE_MS / 1000} s`)
  stop().finally(() => process.exit(1))
}, DEADLINE_MS)

async function stop() {
  if (next !== undefined && next.exitCode === null && next.signalCode === null) {
    const exited = new Promise((resolve) => next.once("exit", resolve))
    process.kill(-next.pid, "SIGTERM") // its own process group: next and anything it forked
    const timer = setTimeout(() => process.kill(-next.pid, "SIGKILL"), 10_000)
    await exited
    clearTimeout(timer)
  }
  await sim.close()
}

/** What the route's client sent to the customer API, and with which token. */
const customerCalls = () =>
  sim.requests
    .filter((r) => r.path === "/v1.1/customer/get" && r.headers["x-cap-api-oauth-token"] !== undefined)
    .map((r) => ({ status: r.status, token: r.headers["x-cap-api-oauth-token"] }))

const callRoute = async (n, expected, route = "customer") => {
  const res = await fetch(`${base}/api/${route}?mobile=${SAMPLE_CUSTOMER.mobile}`)
  const body = await res.text()
  check(res.status === 200, `call ${n}: HTTP ${res.status}: ${body.slice(0, 300)}`)
  check(isDeepStrictEqual(JSON.parse(body), expected), `call ${n}: not the simulator's answer: ${body}`)
}

try {
  // The simulator's own answer, fetched directly with the sample till (Basic: no token request counted).
  const direct = await fetch(sim.url + PATH, {
    headers: { authorization: basicAuthorization(SAMPLE_TILL.id, SAMPLE_TILL.password) }
  })
  const expected = await direct.json()
  check(
    expected.response?.customers?.customer?.[0]?.user_id === SAMPLE_CUSTOMER.id,
    "simulator: no sample customer"
  )

  next = spawn("node_modules/.bin/next", ["start", "-H", "127.0.0.1", "-p", String(port)], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      NEXT_TELEMETRY_DISABLED: "1",
      CAPILLARY_BASE_URL: sim.url,
      CAPILLARY_CLIENT_KEY: SAMPLE_CLIENT.key,
      CAPILLARY_CLIENT_SECRET: SAMPLE_CLIENT.secret
    }
  })
  next.stdout.on("data", (chunk) => (log += chunk))
  next.stderr.on("data", (chunk) => (log += chunk))
  const startedAt = Date.now()
  for (;;) {
    check(next.exitCode === null, `next start exited (${next.exitCode}):\n${log}`)
    const up = await fetch(`${base}/health-probe`).then(
      () => true,
      () => false
    )
    if (up) break
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  console.log(`next start: ${base} (ready in ${Date.now() - startedAt} ms)`)

  // Three calls, one token request: the module-level client keeps the token.
  for (const n of [1, 2, 3]) await callRoute(n, expected)
  check(
    sim.stats().tokenRequestsTotal === 1,
    `3 calls: ${sim.stats().tokenRequestsTotal} token requests, want 1`
  )
  const first = customerCalls()
  check(first.length === 3, `3 calls: ${first.length} customer requests reached the simulator, want 3`)
  check(
    first.every((c) => c.status === 200 && c.token === sim.tokens[0]?.token),
    "3 calls: not all sent with the one issued token"
  )

  // Expire every token issued so far: the next call gets 498, and only a token request that really reaches the
  // simulator (not one replayed from Next's fetch cache, which would hand back the expired token) recovers it.
  sim.expireAllTokens()
  await callRoute(4, expected)
  check(
    sim.stats().tokenRequestsTotal === 2,
    `after expiry: ${sim.stats().tokenRequestsTotal} token requests, want 2`
  )
  const renewed = customerCalls().slice(3)
  check(
    renewed.length === 2 &&
      renewed[0].status === 498 &&
      renewed[0].token === sim.tokens[0].token &&
      renewed[1].status === 200 &&
      renewed[1].token === sim.tokens[1]?.token &&
      renewed[1].token !== renewed[0].token,
    `after expiry: want 498 with the old token then 200 with a new one, got ${JSON.stringify(renewed.map((c) => c.status))}`
  )

  // The same client over Next's own fetch (`fetch` option) in a route with `fetchCache = "default-cache"`, where
  // Next caches every fetch that does not opt out. First the control: a plain token request, sent twice, reaches
  // the simulator once (Next served the second from its cache), so Next does cache here.
  const controlBefore = sim.stats().tokenRequestsTotal
  for (const n of [1, 2]) {
    const res = await fetch(`${base}/api/customer-over-fetch?control=1`)
    const body = await res.text()
    check(res.status === 200 && JSON.parse(body).status === 200, `control ${n}: HTTP ${res.status}: ${body}`)
  }
  check(
    sim.stats().tokenRequestsTotal === controlBefore + 1,
    `control: ${sim.stats().tokenRequestsTotal - controlBefore} plain token requests reached the simulator, want 1 ` +
      "(Next did not cache a fetch in this route: the check below would prove nothing)"
  )
  const controlToken = sim.tokens.at(-1)?.token
  // capauth's token requests (cache: "no-store") all reach the simulator: one for two calls, then after every
  // token is expired a 498 and a new token request, never the cached answer.
  const overFetchBefore = sim.stats().tokenRequestsTotal
  for (const n of [5, 6]) await callRoute(n, expected, "customer-over-fetch")
  check(
    sim.stats().tokenRequestsTotal === overFetchBefore + 1,
    `over fetch: ${sim.stats().tokenRequestsTotal - overFetchBefore} token requests for 2 calls, want 1`
  )
  sim.expireAllTokens()
  await callRoute(7, expected, "customer-over-fetch")
  check(
    sim.stats().tokenRequestsTotal === overFetchBefore + 2,
    `over fetch, after expiry: ${sim.stats().tokenRequestsTotal - overFetchBefore} token requests, want 2`
  )
  const overFetch = customerCalls().slice(5)
  check(
    overFetch.length === 4 &&
      overFetch[2].status === 498 &&
      overFetch[3].status === 200 &&
      overFetch[3].token === sim.tokens.at(-1)?.token &&
      overFetch[3].token !== overFetch[2].token,
    `over fetch, after expiry: want 498 then 200 with a new token, got ${JSON.stringify(overFetch.map((c) => c.status))}`
  )

  // And Next kept nothing of capauth's: no fetch-cache entry but the control's holds the token endpoint, a token
  // or the customer call (bodies are stored base64: decoded before the search).
  const cacheDir = ".next/cache/fetch-cache"
  const entries = await readdir(cacheDir).catch(() => [])
  let controlEntries = 0
  for (const name of entries) {
    let text = await readFile(`${cacheDir}/${name}`, "utf8").catch(() => "")
    if (text.includes("control=1")) {
      controlEntries++
      continue
    }
    try {
      const body = JSON.parse(text)?.data?.body
      if (typeof body === "string") text += Buffer.from(body, "base64").toString("utf8")
    } catch {}
    const leaked = ["oauth/token", "customer/get", ...sim.tokens.map((t) => t.token)]
      .filter((s) => s !== controlToken)
      .find((s) => text.includes(s))
    check(leaked === undefined, `Next's fetch cache entry ${name} holds ${leaked?.slice(0, 40)}`)
  }
  console.log(
    `4 route calls: 200 with the simulator's answer; token requests 1 for calls 1-3, 2 after expiry; ` +
      `over Next's fetch (fetchCache default-cache): the control token request cached (1 of 2 reached the simulator), ` +
      `capauth's never (1 for 2 calls, 1 more after expiry); fetch-cache entries: ${entries.length} ` +
      `(${controlEntries} the control's)`
  )
} catch (error) {
  console.error(`drive: ${error instanceof Error ? error.message : error}`)
  if (log !== "") console.error(`--- next start output ---\n${log}`)
  process.exitCode = 1
} finally {
  clearTimeout(deadline)
  await stop()
}
