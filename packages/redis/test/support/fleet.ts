/** Worker processes of a fleet (test/fixtures/worker.ts), driven one JSON line at a time. */
import { spawn } from "node:child_process"
import * as nodePath from "node:path"
import * as readline from "node:readline"
import { fileURLToPath } from "node:url"

const WORKER = nodePath.join(nodePath.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "worker.ts")

export interface Worker {
  readonly pid: number
  readonly send: <A = Record<string, unknown>>(command: Record<string, unknown>) => Promise<A>
  /** SIGKILL; resolves once it has exited. */
  readonly kill: () => Promise<void>
  /** Close its stdin (it exits on its own), SIGKILL after 3 s. */
  readonly end: () => Promise<void>
  /** What the process logged (stderr, and stdout lines that are not replies). */
  readonly output: () => string
}

export interface WorkerEnv {
  readonly SIM_URL: string
  readonly REDIS_URL: string
}

export const spawnWorker = async (env: WorkerEnv): Promise<Worker> => {
  const child = spawn(
    process.execPath,
    // Node's own type stripping (22.18+) runs the TypeScript sources: a worker starts faster than under tsx.
    ["--conditions=@capauth/source", "--disable-warning=ExperimentalWarning", WORKER],
    { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] }
  )
  let stderr = ""
  let logs = ""
  child.stderr.on("data", (d) => {
    stderr += d
  })
  const pending: Array<{ resolve: (line: string) => void; reject: (e: Error) => void }> = []
  let gone: Error | undefined
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      gone = new Error(`worker ${child.pid} exited (${code ?? signal}): ${stderr.slice(-2000)}`)
      for (const p of pending.splice(0)) p.reject(gone)
      resolve()
    })
  )
  // Replies start with "@@"; anything else on stdout is the process's log output.
  readline.createInterface({ input: child.stdout }).on("line", (line) => {
    if (line.startsWith("@@")) pending.shift()?.resolve(line.slice(2))
    else logs += `${line}\n`
  })
  const next = () =>
    new Promise<string>((resolve, reject) => {
      if (gone !== undefined) reject(gone)
      else pending.push({ resolve, reject })
    })
  let timer: ReturnType<typeof setTimeout> | undefined
  await Promise.race([
    next(),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`worker did not start in 90 s: ${stderr}${logs}`)), 90_000)
    })
  ]).finally(() => clearTimeout(timer))
  return {
    pid: child.pid!,
    send: async (command) => {
      const reply = next()
      child.stdin.write(`${JSON.stringify(command)}\n`)
      const parsed = JSON.parse(await reply)
      if (parsed.error !== undefined) throw new Error(`worker ${child.pid}: ${parsed.error}`)
      return parsed
    },
    kill: async () => {
      if (gone === undefined) child.kill("SIGKILL")
      await exited
    },
    end: async () => {
      child.stdin.end()
      const killer = setTimeout(() => child.kill("SIGKILL"), 3_000)
      await exited
      clearTimeout(killer)
    },
    output: () => stderr + logs
  }
}
