/**
 * `demo`: a guided run of capauth's Promise facade against a simulator started in this process. It shows the
 * token and its claims, a concurrent burst served by one token request, a server-side expiry (498) and a
 * revocation (401) recovered without the caller noticing, a Basic-auth call, and a summary.
 */
import type { TokenManager } from "@capauth/core"
import { type CapillaryPromiseClient, createCapillaryClient } from "@capauth/node"
import {
  SAMPLE_CLIENT,
  SAMPLE_CUSTOMER,
  SAMPLE_TILL,
  type Simulator,
  startSimulator,
  TOKEN_PATH
} from "@capauth/testkit"
import * as Redacted from "effect/Redacted"
import type { Io } from "../Io.ts"
import * as Terminal from "../Terminal.ts"

export interface DemoOptions {
  readonly burst: number
  readonly wave: number
}

const ADD_PATH = "/v1.1/customer/add?format=json"
const GET_PATH = `/v1.1/customer/get?format=json&mobile=${SAMPLE_CUSTOMER.mobile}`

/** What the simulator saw: token requests and API answers by status. */
const observe = (sim: Simulator) => {
  const stats = sim.stats()
  let api = 0
  let expired = 0
  let rejected = 0
  for (const [key, n] of Object.entries(stats.apiRequests)) {
    if (key.includes(` ${TOKEN_PATH} `)) continue
    api += n
    if (key.endsWith("-> 498")) expired += n
    if (key.endsWith("-> 401")) rejected += n
  }
  return { tokenRequests: stats.tokenRequestsTotal, api, expired, rejected }
}

const describeEvent = (event: TokenManager.TokenEvent): string => {
  switch (event._tag) {
    case "Fetched":
      return `token fetched${event.ahead ? " ahead of expiry" : ""} · lifetime ${Terminal.duration(event.lifetimeMillis)}`
    case "Adopted":
      return "token adopted from the token store"
    case "Invalidated":
      return "token dropped: the server refused it"
    case "Retrying":
      return `token request failed (${event.error}) · retry ${event.attempt} in ${Terminal.duration(event.delayMillis)}`
    case "Failed":
      return `token request failed: ${event.error._tag}`
    case "CredentialSwitched":
      return `credentials switched: ${event.from} was refused, now ${event.to}`
    case "StoreUnavailable":
      return "the shared token store is unavailable: this process fetches on its own"
    case "StoreRecovered":
      return "the shared token store answers again"
  }
}

export const run = async (options: DemoOptions, io: Io): Promise<number> => {
  const t = Terminal.make(io.stdout, io.env)
  const started = performance.now()
  const ok = t.green("✓")
  const bad = t.red("✗")
  const step = (n: number, title: string) => {
    t.line()
    t.line(`${t.bold(t.cyan(`${n}`))}  ${t.bold(title)}`)
  }
  const say = (text: string) => t.line(`   ${text}`)

  t.line(
    `${t.bold("capauth demo")} ${t.dim("· createCapillaryClient() from @capauth/node against an embedded simulator")}`
  )
  const sim = await startSimulator({ port: 0 })
  let cap: CapillaryPromiseClient | undefined
  let basic: CapillaryPromiseClient | undefined
  try {
    t.line(
      t.dim(`   simulator ${sim.url} · OAuth client "${SAMPLE_CLIENT.key}" · Basic till "${SAMPLE_TILL.id}"`)
    )
    cap = createCapillaryClient({
      baseUrl: sim.url,
      credentials: { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret },
      attribution: { type: "TILL", code: "store.till1" }
    })
    const client = cap
    await client.stats() // starts the client's runtime so the event subscription below sees the first fetch
    const unsubscribe = client.onEvent((event) =>
      say(`${t.yellow("◆")} ${t.dim(`event: ${describeEvent(event)}`)}`)
    )
    await new Promise((resolve) => setImmediate(resolve))

    // 1. A token and what is inside it.
    step(1, "Obtain a token")
    const t0 = performance.now()
    const info = await client.token()
    say(
      `${ok} token obtained in ${Terminal.duration(performance.now() - t0)} ${t.dim("· value hidden (Redacted)")}`
    )
    const timeline = [
      [
        "expires",
        `${Terminal.clockTime(info.expiresAt)} ${t.dim(`· in ${Terminal.duration(info.remainingMillis)}`)}`
      ],
      [
        "refresh",
        `${Terminal.clockTime(info.refreshAt)} ${t.dim("· renewed in the background from then on")}`
      ]
    ]
    for (const line of Terminal.columns(timeline, "     ")) t.line(line)
    if (info.claims !== undefined) {
      t.line(`     ${t.dim("claims")}`)
      for (const line of Terminal.columns(Terminal.claimRows(info.claims), "       ")) t.line(t.dim(line))
    }

    // 2. A concurrent burst on the cached token.
    step(2, `Burst · ${options.burst} concurrent POST /v1.1/customer/add`)
    const beforeBurst = observe(sim)
    const burst = await concurrently(t, "burst", options.burst, (i) =>
      client.fetch(ADD_PATH, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          root: { customer: [{ mobile: `9190000${String(i).padStart(5, "0")}`, firstname: "Demo" }] }
        })
      })
    )
    const afterBurst = observe(sim)
    say(
      `${burst.ok === options.burst ? ok : bad} ${burst.ok}/${options.burst} calls succeeded in ${Terminal.duration(burst.millis)}`
    )
    const duringBurst = afterBurst.tokenRequests - beforeBurst.tokenRequests
    say(
      `${duringBurst === 0 ? ok : bad} ${t.bold(`${afterBurst.tokenRequests} token request`)} served the whole burst ` +
        t.dim(`· simulator counted ${duringBurst} token requests during the ${options.burst} calls`)
    )

    // 3. The server expires the token, then revokes its successor.
    step(3, "Mid-run: the server expires the token, then revokes it")
    say(t.dim(`sim.expireAllTokens() · then ${options.wave} concurrent calls present the expired token`))
    sim.expireAllTokens()
    const beforeWave = observe(sim)
    const wave = await concurrently(t, "calls", options.wave, () => client.fetch(GET_PATH))
    const afterWave = observe(sim)
    const got498 = afterWave.expired - beforeWave.expired
    const renewals498 = afterWave.tokenRequests - beforeWave.tokenRequests
    say(
      `${wave.ok === options.wave && got498 > 0 ? ok : bad} ${wave.ok}/${options.wave} succeeded · ` +
        `${t.bold(`${got498} × 498 recovered`)} with ${renewals498} new token request ${t.dim("· no error reached the caller")}`
    )

    // Learn which token is current to revoke it: read on purpose, never printed.
    const current = Redacted.value((await client.token()).value)
    say(t.dim("sim.revokeToken(current token) · then one call"))
    sim.revokeToken(current)
    const beforeRevoke = observe(sim)
    const revoked = await client.fetch(GET_PATH)
    await revoked.arrayBuffer()
    const afterRevoke = observe(sim)
    const got401 = afterRevoke.rejected - beforeRevoke.rejected
    say(
      `${revoked.ok && got401 > 0 ? ok : bad} HTTP ${revoked.status} · ${t.bold(`${got401} × 401 recovered`)} ` +
        `with ${afterRevoke.tokenRequests - beforeRevoke.tokenRequests} new token request`
    )

    // 4. Basic auth: a till's id and password, no token at all.
    step(4, `Basic auth · till "${SAMPLE_TILL.id}", no token`)
    basic = createCapillaryClient({
      baseUrl: sim.url,
      credentials: { till: SAMPLE_TILL.id, password: SAMPLE_TILL.password ?? "" }
    })
    const beforeBasic = observe(sim)
    const basicResponse = await basic.fetch(GET_PATH)
    const basicBody = (await basicResponse.json().catch(() => undefined)) as
      | { response?: { customers?: { customer?: Array<{ firstname?: string; lastname?: string }> } } }
      | undefined
    const customer = basicBody?.response?.customers?.customer?.[0]
    const basicTokens = observe(sim).tokenRequests - beforeBasic.tokenRequests
    const who =
      customer === undefined ? "" : ` · ${customer.firstname ?? ""} ${customer.lastname ?? ""}`.trimEnd()
    say(
      `${basicResponse.ok ? ok : bad} GET /v1.1/customer/get → ${t.bold(`HTTP ${basicResponse.status}`)}${who} ` +
        t.dim(`· ${basicTokens} token requests`)
    )

    // 5. Summary.
    unsubscribe()
    const end = observe(sim)
    const stats = await client.stats()
    const calls = options.burst + options.wave + 2
    const succeeded = burst.ok + wave.ok + (revoked.ok ? 1 : 0) + (basicResponse.ok ? 1 : 0)
    const recovered498 = wave.ok === options.wave ? got498 : 0
    const elapsed = performance.now() - started
    t.line()
    t.line(t.bold("Summary"))
    const rows: string[][] = [
      [
        "token requests",
        String(end.tokenRequests),
        `1 for step 1 and the ${options.burst}-call burst, 1 per renewal`
      ],
      [
        "API calls",
        `${succeeded}/${calls} ok`,
        `the simulator answered ${end.api}: ${end.api - calls} were replays`
      ],
      ["498s recovered", String(recovered498), "expired token: dropped, renewed, call replayed"],
      ["401s recovered", String(revoked.ok ? got401 : 0), "revoked token: same path"],
      ["Basic call", `HTTP ${basicResponse.status}`, `till ${SAMPLE_TILL.id}, no token`],
      [
        "cache hits",
        String(stats.reused),
        `cap.stats(): fetched ${stats.fetched}, invalidated ${stats.invalidated}`
      ],
      ["elapsed", Terminal.duration(elapsed), ""]
    ]
    const cells = rows.map(([a, b, c]) => [a ?? "", t.bold(b ?? ""), t.dim(c ?? "")])
    for (const line of Terminal.table(cells)) t.line(line)
    const allGood = succeeded === calls && duringBurst === 0 && got498 > 0 && got401 > 0
    t.line()
    t.line(
      allGood
        ? `${ok} done: every call succeeded; closing the client and the simulator`
        : `${bad} some steps failed (see above)`
    )
    return allGood ? 0 : 1
  } finally {
    await basic?.close()
    await cap?.close()
    await sim.close()
  }
}

/** Run `count` calls at once, showing a live counter; resolves when all have settled. */
const concurrently = async (
  t: Terminal.Terminal,
  label: string,
  count: number,
  call: (i: number) => Promise<Response>
): Promise<{ readonly ok: number; readonly millis: number }> => {
  const started = performance.now()
  let done = 0
  let ok = 0
  const every = Math.max(1, Math.ceil(count / 5))
  const show = () => {
    const barWidth = 24
    const filled = Math.round((done / count) * barWidth)
    const bar = t.tty ? `${t.green("█".repeat(filled))}${t.dim("░".repeat(barWidth - filled))} ` : ""
    t.progress(
      `   ${bar}${label} ${done}/${count} ${t.dim(`(${ok} ok)`)}`,
      done > 0 && (done % every === 0 || done === count)
    )
  }
  show()
  const failures: string[] = []
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      call(i)
        .then(
          async (response) => {
            await response.arrayBuffer()
            if (response.ok) ok++
            else failures.push(`HTTP ${response.status}`)
          },
          (error: unknown) => void failures.push(String((error as Error)?.message ?? error))
        )
        .finally(() => {
          done++
          show()
        })
    )
  )
  t.endProgress()
  const unique = [...new Set(failures)]
  for (const failure of unique.slice(0, 3)) t.line(`   ${t.red("✗")} ${failure}`)
  return { ok, millis: performance.now() - started }
}
