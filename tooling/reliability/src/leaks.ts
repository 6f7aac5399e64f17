/**
 * Leaks: many requests and rotations in a child process (so heap and handles are the client's alone, and
 * `--expose-gc` is on), against a simulator in this process. No growth in heap beyond a stated bound, in
 * active timers and sockets, or in live fibers (Effect client); after `close()` the child exits on its own.
 */
import { fork } from "node:child_process"
import { fileURLToPath } from "node:url"
import { startSimulator } from "@capauth/testkit"

interface LeakSnapshot {
  readonly heapUsed: number
  readonly resources: Record<string, number>
  readonly fibers: number | null
  readonly fibersStarted: number
}

export interface LeakResult {
  readonly facade: "promise" | "effect"
  readonly requests: number
  readonly rotations: number
  readonly failed: number
  readonly millis: number
  readonly before: LeakSnapshot
  readonly after: LeakSnapshot
  readonly closed: { readonly resources: Record<string, number> }
  /** ms from the child's last output to its exit (null: it did not exit within the bound and was killed). */
  readonly exitMillis: number | null
  readonly exitCode: number | null
  readonly heapGrowthBytes: number
  readonly tokenRequests: number
}

/** The heap may grow this much across the measured phase (allocator and JIT noise, caches filling once). */
const heapBoundBytes = 8 * 1024 * 1024
/** The child must exit this soon after `close()`. */
const exitBoundMillis = 5_000

const total = (r: Record<string, number>, names: ReadonlyArray<string>) =>
  Object.entries(r)
    .filter(([k]) => names.some((n) => k.includes(n)))
    .reduce((n, [, v]) => n + v, 0)

export const runLeakCheck = async (options: {
  readonly facade: "promise" | "effect"
  readonly requests: number
  readonly rotations: number
}): Promise<LeakResult> => {
  const sim = await startSimulator({
    sharedKey: true,
    clients: [{ key: "leak-key", secret: "leak-secret" }],
    maxLogEntries: 1000
  })
  try {
    const child = fork(
      fileURLToPath(new URL("./leak-child.ts", import.meta.url)),
      [sim.url, options.facade, String(options.requests), String(options.rotations)],
      {
        cwd: fileURLToPath(new URL("..", import.meta.url)),
        execArgv: ["--expose-gc", "--conditions=@capauth/source", "--import", "tsx"],
        stdio: ["ignore", "pipe", "pipe", "ipc"]
      }
    )
    child.on("message", () => {
      sim.expireAllTokens()
      child.send({ rotated: true })
    })
    let out = ""
    let err = ""
    let lastOutput = performance.now()
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString()
      lastOutput = performance.now()
    })
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString()
    })
    const exited = await new Promise<{ code: number | null; at: number | null }>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      child.on("exit", (code) => {
        clearTimeout(timer)
        resolve({ code, at: performance.now() })
      })
      // Armed once the child has reported (i.e. closed): from then on it must exit on its own.
      child.stdout?.on("data", () => {
        clearTimeout(timer)
        timer = setTimeout(() => {
          child.kill("SIGKILL")
          resolve({ code: null, at: null })
        }, exitBoundMillis)
      })
    })
    const line = out.trim().split("\n").at(-1)
    if (line === undefined || !line.startsWith("{")) throw new Error(`leak child failed: ${err.slice(-2000)}`)
    const r = JSON.parse(line) as Omit<
      LeakResult,
      "exitMillis" | "exitCode" | "heapGrowthBytes" | "tokenRequests"
    >
    return {
      ...r,
      exitMillis: exited.at === null ? null : Math.round(exited.at - lastOutput),
      exitCode: exited.code,
      heapGrowthBytes: r.after.heapUsed - r.before.heapUsed,
      tokenRequests: sim.stats().tokenRequestsTotal
    }
  } finally {
    await sim.close()
  }
}

/** Requests in flight at once in the child: its keep-alive pool may hold up to this many sockets (+ token requests). */
const leakConcurrency = 16

export const leakGoals = (r: LeakResult) => [
  {
    goal: `${r.facade}: every request answered`,
    holds: r.failed === 0,
    figure: `${r.failed} failed of ${r.requests}`
  },
  {
    goal: `${r.facade}: heap growth within ${heapBoundBytes / 1024 / 1024} MiB`,
    holds: r.heapGrowthBytes <= heapBoundBytes,
    figure: `${(r.heapGrowthBytes / 1024 / 1024).toFixed(2)} MiB (${(r.before.heapUsed / 1024 / 1024).toFixed(1)} -> ${(r.after.heapUsed / 1024 / 1024).toFixed(1)} MiB)`
  },
  {
    goal: `${r.facade}: no growth in timers, and sockets within the keep-alive pool (${leakConcurrency} + 2)`,
    holds:
      total(r.after.resources, ["Timeout", "Timer"]) <= total(r.before.resources, ["Timeout", "Timer"]) + 2 &&
      total(r.after.resources, ["TCP"]) <= Math.max(total(r.before.resources, ["TCP"]), leakConcurrency + 2),
    figure: `${JSON.stringify(r.before.resources)} -> ${JSON.stringify(r.after.resources)}`
  },
  {
    goal: `${r.facade}: no growth in live fibers`,
    holds: r.before.fibers === null || (r.after.fibers ?? 0) <= r.before.fibers,
    figure:
      r.before.fibers === null
        ? "n/a (the facade's runtime is internal)"
        : `${r.before.fibers} -> ${r.after.fibers} live (${r.after.fibersStarted - r.before.fibersStarted} started and ended meanwhile)`
  },
  {
    goal: `${r.facade}: after close(), no open handle (exits on its own within ${exitBoundMillis} ms)`,
    // Idle keep-alive sockets of undici's process-global pool may outlive close() (unref'd, shared with fetch):
    // what counts is that nothing keeps the process alive.
    holds: r.exitMillis !== null && r.exitCode === 0,
    figure: `exit ${r.exitCode} after ${r.exitMillis} ms; listed right after close: ${JSON.stringify(r.closed.resources)}`
  }
]
