/**
 * Child processes of the bench: each server (and each measured client that needs its own flags) runs in its own
 * process, so the CPU a client measures with `process.cpuUsage()` is its own and nobody shares its event loop.
 */
import { type ChildProcess, fork } from "node:child_process"
import { fileURLToPath } from "node:url"

/** The bench folder: children run from it so `--import tsx` resolves. */
export const benchDir = fileURLToPath(new URL("..", import.meta.url))

/**
 * Whether capauth runs from its TypeScript sources (the `@capauth/source` condition, as tests and the CI smoke
 * run it) or from its built `dist/`, as a consumer installs it (`pnpm bench`). The sources run through tsx,
 * whose transform names every function it creates at run time: a cost on each closure the built code does not
 * pay, so the figures of record come from `dist/`.
 */
export const fromSource = import.meta.resolve("@capauth/core").endsWith(".ts")

/** Node flags for a child: the bench's own TypeScript through tsx, capauth as this process resolves it. */
export const tsFlags = ["--import", "tsx", ...(fromSource ? ["--conditions=@capauth/source"] : [])]

/** A child that answers `{ id, ... }` requests over IPC with `{ id, result }` or `{ id, error }`. */
export interface Child {
  readonly process: ChildProcess
  /** The first message the child sent (its ready message). */
  readonly ready: unknown
  readonly call: <A>(message: Record<string, unknown>) => Promise<A>
  readonly stop: () => Promise<void>
}

/** Fork `file` (relative to src/) and wait for its first message. */
export const spawnChild = async (
  file: string,
  args: ReadonlyArray<string> = [],
  execArgv: ReadonlyArray<string> = []
): Promise<Child> => {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), [...args], {
    cwd: benchDir,
    execArgv: [...tsFlags, ...execArgv],
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  const pending = new Map<number, { resolve: (a: unknown) => void; reject: (e: unknown) => void }>()
  let nextId = 0
  const ready = await new Promise<unknown>((resolve, reject) => {
    child.once("message", resolve)
    child.once("exit", (code) => reject(new Error(`${file} exited (${code}) before it was ready`)))
  })
  child.on("message", (m) => {
    const { id, result, error } = m as { id?: number; result?: unknown; error?: string }
    if (id === undefined) return
    const p = pending.get(id)
    pending.delete(id)
    if (error !== undefined) p?.reject(new Error(error))
    else p?.resolve(result)
  })
  child.on("exit", (code) => {
    for (const p of pending.values()) p.reject(new Error(`${file} exited (${code})`))
    pending.clear()
  })
  return {
    process: child,
    ready,
    call: <A>(message: Record<string, unknown>) =>
      new Promise<A>((resolve, reject) => {
        const id = nextId++
        pending.set(id, { resolve: resolve as (a: unknown) => void, reject })
        child.send({ ...message, id })
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once("exit", () => resolve())
        child.disconnect()
        setTimeout(() => child.kill(), 2000).unref()
      })
  }
}

/** In a child: answer IPC requests with `handle`; exit when the parent goes. */
export const serveIpc = (handle: (message: Record<string, unknown>) => unknown): void => {
  process.on("message", async (m) => {
    const { id, ...rest } = m as { id: number } & Record<string, unknown>
    try {
      process.send?.({ id, result: await handle(rest) })
    } catch (e) {
      process.send?.({ id, error: String((e as Error)?.stack ?? e) })
    }
  })
  process.on("disconnect", () => process.exit(0))
}
