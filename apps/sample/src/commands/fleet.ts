/**
 * `fleet`: several processes on one Redis (`@capauth/redis`), against a simulator started in this process. Each
 * process is this CLI again (`fleet --worker`), with `createCapillaryClient({ tokenStore: redisTokenStore(...) })`
 * and N concurrent calls; the simulator counts the token requests the whole fleet made (one per token lifetime).
 * Redis: `CAPAUTH_REDIS_URL` when set, else a redis-server started here on loopback (no persistence), stopped after.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs/promises"
import * as net from "node:net"
import * as os from "node:os"
import * as nodePath from "node:path"
import { createCapillaryClient } from "@capauth/node"
import { redisTokenStore } from "@capauth/redis"
import { SAMPLE_CLIENT, startSimulator } from "@capauth/testkit"
import type { Io } from "../Io.ts"
import * as Terminal from "../Terminal.ts"

export interface FleetOptions {
  readonly processes: number
  readonly callers: number
}

const PATH = "/v2/customers/1"

/** What one worker process reports (one JSON line on stdout). */
interface Report {
  readonly ok: number
  readonly failed: number
  readonly events: Readonly<Record<string, number>>
}

/** `fleet --worker`: one process of the fleet. Reads its target from the environment, prints one JSON line. */
export const worker = async (io: Io): Promise<number> => {
  const env = (name: string) => io.env[name] ?? ""
  const store = redisTokenStore({ url: env("CAPAUTH_REDIS_URL"), keyPrefix: env("FLEET_PREFIX") })
  const cap = createCapillaryClient({
    baseUrl: env("FLEET_SIM_URL"),
    credentials: { key: env("FLEET_KEY"), secret: env("FLEET_SECRET") },
    tokenStore: store
  })
  const events: Record<string, number> = {}
  cap.onEvent((event) => {
    events[event._tag] = (events[event._tag] ?? 0) + 1
  })
  // Wait (bounded) for Redis, so the demo shows coordination rather than a cold connection.
  for (let i = 0; i < 100 && !store.connected(); i++) await new Promise((r) => setTimeout(r, 20))
  const results = await Promise.allSettled(
    Array.from({ length: Number(env("FLEET_CALLERS")) || 1 }, async () => {
      const res = await cap.fetch(PATH)
      await res.arrayBuffer()
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`)
    })
  )
  await cap.close()
  await store.close()
  const ok = results.filter((r) => r.status === "fulfilled").length
  const report: Report = { ok, failed: results.length - ok, events }
  io.stdout.write(`${JSON.stringify(report)}\n`)
  return report.failed === 0 ? 0 : 1
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })

/** A throwaway redis-server on loopback: no persistence, a temp dir, stopped by `stop`. */
const startRedis = async (): Promise<{ readonly url: string; readonly stop: () => Promise<void> }> => {
  const port = await freePort()
  const dir = await fs.mkdtemp(nodePath.join(os.tmpdir(), "capauth-fleet-"))
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "ignore"] }
  )
  await new Promise<void>((resolve, reject) => {
    let out = ""
    child.once("error", () =>
      reject(
        new Error(
          "redis-server not found: install it (apt-get install redis-server) or set CAPAUTH_REDIS_URL"
        )
      )
    )
    child.once("exit", (code) => reject(new Error(`redis-server exited (${code})`)))
    child.stdout?.on("data", (d) => {
      out += d
      if (out.includes("Ready to accept connections")) resolve()
    })
  })
  child.stdout?.resume()
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      const exited = new Promise((resolve) => child.once("exit", resolve))
      child.kill("SIGTERM")
      await exited
      await fs.rm(dir, { recursive: true, force: true })
    }
  }
}

/** Run this CLI again as `fleet --worker` (same Node flags, so tsx or the launcher's hooks come along). */
const spawnWorker = (env: Record<string, string>): Promise<Report> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1] ?? "", "fleet", "--worker"], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"]
    })
    let out = ""
    child.stdout.on("data", (d) => {
      out += d
    })
    child.once("error", reject)
    child.once("exit", () => {
      const line = out.split("\n").find((l) => l.startsWith("{"))
      if (line === undefined) reject(new Error(`a fleet process ended without a report: ${out.slice(-500)}`))
      else resolve(JSON.parse(line) as Report)
    })
  })

export const run = async (options: FleetOptions, io: Io): Promise<number> => {
  const t = Terminal.make(io.stdout, io.env)
  const say = (text: string) => t.line(`   ${text}`)
  t.line(
    `${t.bold("capauth fleet")} ${t.dim(`· ${options.processes} processes on one Redis (@capauth/redis) against an embedded simulator`)}`
  )
  const sim = await startSimulator({ port: 0 })
  const configured = io.env.CAPAUTH_REDIS_URL
  const local = configured === undefined || configured === "" ? await startRedis() : undefined
  const url = local?.url ?? (configured as string)
  try {
    say(t.dim(local === undefined ? "Redis: CAPAUTH_REDIS_URL" : `Redis: a redis-server started on ${url}`))
    const env = {
      CAPAUTH_REDIS_URL: url,
      FLEET_SIM_URL: sim.url,
      FLEET_KEY: SAMPLE_CLIENT.key,
      FLEET_SECRET: SAMPLE_CLIENT.secret,
      FLEET_PREFIX: `capauth-sample-fleet-${process.pid}-${Date.now()}:`,
      FLEET_CALLERS: String(options.callers)
    }
    const started = performance.now()
    const reports = await Promise.all(Array.from({ length: options.processes }, () => spawnWorker(env)))
    t.line()
    for (const [i, r] of reports.entries()) {
      const fetched = r.events.Fetched ?? 0
      say(
        `process ${i + 1}: ${r.ok}/${r.ok + r.failed} calls ok · ${fetched === 0 ? "token read from Redis" : t.bold("fetched the token")}${r.events.StoreUnavailable ? t.yellow(" · Redis unavailable: fetched on its own") : ""}`
      )
    }
    const calls = reports.reduce((n, r) => n + r.ok + r.failed, 0)
    const failed = reports.reduce((n, r) => n + r.failed, 0)
    const requests = sim.stats().tokenRequestsTotal
    t.line()
    say(
      `${failed === 0 ? t.green("✓") : t.red("✗")} ${calls} calls from ${options.processes} processes in ${Terminal.duration(performance.now() - started)} · token requests to Capillary: ${t.bold(String(requests))}`
    )
    return failed === 0 ? 0 : 1
  } finally {
    await sim.close()
    await local?.stop()
  }
}
