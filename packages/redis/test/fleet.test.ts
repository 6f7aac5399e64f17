/**
 * A fleet of 8 real Node processes (test/fixtures/worker.ts: `createCapillaryClient` + `redisTokenStore`) on one
 * real redis-server, against one testkit simulator. What the simulator counts is what Capillary would see.
 * The processes start once; each scenario opens a client of its own (a new simulator client and key prefix) in
 * the processes it uses.
 */
import {
  SAMPLE_CAPTURE_CLIENT,
  SAMPLE_CAPTURE_USER,
  SAMPLE_CLIENT,
  type Simulator,
  startSimulator
} from "@capauth/testkit"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { spawnWorker, type Worker } from "./support/fleet.ts"
import { type RedisServer, startRedis } from "./support/redis-server.ts"
import { uniquePrefix } from "./support/stores.ts"

const TOKEN_PATH = "/v3/oauth/token/generate"
const API_PATH = "/v2/customers/1"

let sim: Simulator
let redis: RedisServer
let workers: Worker[] = []
beforeAll(async () => {
  ;[sim, redis] = await Promise.all([startSimulator({ port: 0 }), startRedis()])
  workers = await Promise.all(
    Array.from({ length: 8 }, () => spawnWorker({ SIM_URL: sim.url, REDIS_URL: redis.url }))
  )
}, 120_000)
afterAll(async () => {
  await Promise.all(workers.map((w) => w.end()))
  await Promise.all([sim?.close(), redis?.dispose()])
})

interface Tokens {
  readonly distinct: ReadonlyArray<string>
  readonly failures: ReadonlyArray<string>
}
interface Calls {
  readonly statuses: ReadonlyArray<number>
  readonly failures: ReadonlyArray<string>
}
interface Status {
  readonly connected: boolean
  readonly events: Readonly<Record<string, number>>
}

const waitFor = async (what: string, condition: () => boolean | Promise<boolean>, millis = 15_000) => {
  const deadline = Date.now() + millis
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

let sessions = 0
/** A client of its own on the simulator, opened in `members` (each a process of the fleet), and its commands. */
const openFleet = async (members: ReadonlyArray<Worker>, options: { readonly leaseTtl?: number } = {}) => {
  // A bound above the default 500 ms: on a loaded 2-core CI machine 8 busy processes and Redis share the CPU,
  // and a command past its bound counts as an outage (each process would then fetch on its own).
  const commandTimeout = 2_000
  const session = `s${++sessions}`
  const key = `fleet-${session}-${process.pid}`
  sim.addClient({ ...SAMPLE_CLIENT, key, secret: `${key}-secret` })
  const prefix = uniquePrefix("fleet")
  const open = (w: Worker) =>
    w.send({
      op: "open",
      session,
      key,
      secret: `${key}-secret`,
      prefix,
      leaseTtl: options.leaseTtl,
      commandTimeout
    })
  await Promise.all(members.map(open))
  const on = <A>(ws: ReadonlyArray<Worker>, command: Record<string, unknown>) =>
    Promise.all(ws.map((w) => w.send<A>({ ...command, session })))
  return {
    open,
    requests: () => sim.stats().tokenRequests[key] ?? 0,
    tokens: (ws: ReadonlyArray<Worker>, n: number) => on<Tokens>(ws, { op: "tokens", n }),
    calls: (ws: ReadonlyArray<Worker>, n: number) => on<Calls>(ws, { op: "calls", n, path: API_PATH }),
    status: (ws: ReadonlyArray<Worker>) => on<Status>(ws, { op: "status" }),
    connected: (ws: ReadonlyArray<Worker>) =>
      waitFor("every process to connect to Redis", async () =>
        (await on<Status>(ws, { op: "status" })).every((s) => s.connected)
      ),
    close: (ws: ReadonlyArray<Worker>) => on(ws, { op: "close" }).catch(() => undefined)
  }
}

describe("a fleet of processes on one Redis", () => {
  it("8 processes x 500 concurrent cold callers: exactly 1 token request; then a 498 everywhere: exactly 1 more", async () => {
    const fleet = await openFleet(workers)
    try {
      await fleet.connected(workers)
      const cold = await fleet.tokens(workers, 500)
      expect(cold.flatMap((r) => r.failures)).toEqual([])
      expect(new Set(cold.flatMap((r) => r.distinct)).size).toBe(1)
      expect(fleet.requests()).toBe(1)

      // Every token issued so far now answers 498: every process sees it on its own calls at once.
      sim.expireAllTokens()
      const after = await fleet.calls(workers, 25)
      expect(after.flatMap((r) => r.failures)).toEqual([])
      expect(after.flatMap((r) => r.statuses).every((s) => s === 200)).toBe(true)
      const events = (await fleet.status(workers)).map((s) => s.events)
      expect(
        events.filter((e) => e.StoreUnavailable !== undefined),
        workers
          .map((w) =>
            w
              .output()
              .split("\n")
              .filter((l) => l.includes("unavailable"))
              .join("\n")
          )
          .join("\n")
      ).toEqual([])
      expect(fleet.requests(), JSON.stringify(events)).toBe(2)
      const fresh = await fleet.tokens(workers, 1)
      expect(new Set(fresh.flatMap((r) => r.distinct)).size).toBe(1)
      expect(fresh[0]!.distinct[0]).not.toBe(cold[0]!.distinct[0])
      expect(fleet.requests()).toBe(2)
    } finally {
      await fleet.close(workers)
    }
  }, 60_000)

  it("Redis down at start and restarted mid-run: no servable request fails, one warning per process", async () => {
    const early = workers.slice(0, 3)
    const late = workers[3]!
    const all = [...early, late]
    const fleet = await openFleet(early)
    try {
      await fleet.connected(early)
      expect((await fleet.tokens(early, 100)).flatMap((r) => r.failures)).toEqual([])
      expect(fleet.requests()).toBe(1)

      await redis.stop()
      await fleet.open(late) // a client that starts while Redis is down
      sim.expireAllTokens()
      const during = await fleet.calls(all, 25)
      expect(during.flatMap((r) => r.failures)).toEqual([])
      expect(during.flatMap((r) => r.statuses).every((s) => s === 200)).toBe(true)
      // Each process made its own single flight: one request each, never one per caller.
      expect(fleet.requests()).toBe(1 + all.length)

      await redis.start()
      await fleet.connected(all)
      sim.expireAllTokens()
      const before = fleet.requests()
      const after = await fleet.calls(all, 25)
      expect(after.flatMap((r) => r.failures)).toEqual([])
      expect(fleet.requests() - before).toBe(1) // coordinated again
      for (const [i, s] of (await fleet.status(all)).entries()) {
        expect(s.events.StoreUnavailable, `process ${i}`).toBe(1)
        expect(s.events.StoreRecovered, `process ${i}`).toBe(1)
      }
    } finally {
      await redis.start().catch(() => undefined)
      await fleet.close(all)
    }
  }, 60_000)

  it("Capture: one session shared by 4 processes, its access token expired: one refresh, the others read the rotated pair", async () => {
    const members = workers.slice(0, 4)
    const session = `c${++sessions}`
    const prefix = uniquePrefix("capture")
    await Promise.all(
      members.map((w) =>
        w.send({
          op: "capture-open",
          session,
          prefix,
          clientId: SAMPLE_CAPTURE_CLIENT.clientId,
          clientSecret: SAMPLE_CAPTURE_CLIENT.clientSecret
        })
      )
    )
    const refreshes = () => sim.capture.stats().tokenRequests.refresh_token ?? 0
    const redirectUri = "https://app.example.com/capture/callback"
    const [first, ...rest] = members as [Worker, ...Worker[]]
    const { key } = await first.send<{ key: string }>({
      op: "capture-exchange",
      session,
      uuid: SAMPLE_CAPTURE_USER.uuid,
      redirectUri
    })
    interface CaptureCalls {
      readonly stats: ReadonlyArray<string>
      readonly failures: ReadonlyArray<string>
    }
    const calls = (ws: ReadonlyArray<Worker>, n: number) =>
      Promise.all(ws.map((w) => w.send<CaptureCalls>({ op: "capture-calls", session, n })))
    expect((await calls([first], 1)).flatMap((r) => r.failures)).toEqual([])
    await Promise.all(rest.map((w) => w.send({ op: "capture-resume", session, key })))
    // The others adopt the session's access token from Redis: no refresh yet.
    expect((await calls(rest, 10)).flatMap((r) => r.failures)).toEqual([])
    expect(refreshes()).toBe(0)

    sim.capture.expireAccessTokens()
    const after = await calls(members, 50)
    expect(after.flatMap((r) => r.failures)).toEqual([])
    expect(after.flatMap((r) => r.stats).every((stat) => stat === "ok")).toBe(true)
    expect(refreshes()).toBe(1) // one process refreshed; a second refresh would have spent the rotated token
    expect(sim.capture.stats().refreshTokenReuse).toBe(0)
    const pairs = await Promise.all(
      members.map((w) => w.send<{ refreshToken: string }>({ op: "capture-tokens", session }))
    )
    expect(new Set(pairs.map((p) => p.refreshToken)).size).toBe(1) // every process holds the rotated one
    expect(sim.capture.stats().tokenRequests.refresh_token).toBe(1)
  }, 60_000)

  // Last: it kills a process of the fleet.
  it("the lease holder killed mid-fetch is replaced within the lease TTL", async () => {
    const ttl = 2_000
    const [holder, ...others] = workers.slice(4, 8) as [Worker, ...Worker[]]
    const fleet = await openFleet([holder, ...others], { leaseTtl: ttl })
    try {
      await fleet.connected([holder, ...others])
      // Its token request gets no answer: the holder hangs mid-fetch, holding (and renewing) the lease.
      sim.faults.add({ path: TOKEN_PATH, fault: { kind: "no-response" }, times: 1 })
      fleet.tokens([holder], 1).catch(() => undefined)
      await waitFor("the holder's token request", () => fleet.requests() === 1)
      const waiting = fleet.tokens(others, 50)
      // Past a renewal (a third of the TTL): the lease is being kept alive when the holder dies.
      await new Promise((resolve) => setTimeout(resolve, ttl))
      expect(fleet.requests()).toBe(1) // the others still wait for the holder
      const killedAt = performance.now()
      await holder.kill()
      const results = await waiting
      const replacedAfter = performance.now() - killedAt
      expect(results.flatMap((r) => r.failures)).toEqual([])
      expect(new Set(results.flatMap((r) => r.distinct)).size).toBe(1)
      expect(fleet.requests()).toBe(2) // the hung one, and one by the process that took over
      expect(replacedAfter).toBeLessThan(ttl + 500)
      console.log(
        `lease holder SIGKILLed mid-fetch: replaced, and its waiters served, ${Math.round(replacedAfter)} ms later (lease TTL ${ttl} ms)`
      )
    } finally {
      sim.faults.clear()
      await fleet.close(others)
    }
  }, 60_000)
})
