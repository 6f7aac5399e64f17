/**
 * A real redis-server for one test file: a free 127.0.0.1 port, a temp dir, no persistence. `restart` stops it
 * and starts it again on the same port (the "Redis restarted mid-run" scenario); `stop` ends it.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs/promises"
import * as net from "node:net"
import * as os from "node:os"
import * as nodePath from "node:path"

export interface RedisServer {
  readonly port: number
  readonly url: string
  /** Stop the server (SIGKILL if it lingers); resolves once it has exited. */
  readonly stop: () => Promise<void>
  /** Start it again on the same port (after `stop`; a no-op while it runs). */
  readonly start: () => Promise<void>
  /** SIGSTOP: the socket stays open and nothing answers (a Redis "answering slowly"); `resume` undoes it. */
  readonly pause: () => Promise<void>
  readonly resume: () => Promise<void>
  /** Stop it for good and remove its temp dir. */
  readonly dispose: () => Promise<void>
  /** One command through redis-cli-free RESP (e.g. `["KEYS", "*"]`), its raw reply text. */
  readonly command: (args: ReadonlyArray<string>) => Promise<string>
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

const binary = () => process.env.REDIS_SERVER ?? "redis-server"

/** Send one RESP command on a fresh socket and collect the reply (enough for tests: small replies). */
const resp = (port: number, args: ReadonlyArray<string>): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1")
    let reply = ""
    socket.setEncoding("utf8")
    socket.on("data", (d) => {
      reply += d
      socket.end()
    })
    socket.on("end", () => resolve(reply))
    socket.on("error", reject)
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`)
  })

export const startRedis = async (): Promise<RedisServer> => {
  const port = await freePort()
  const dir = await fs.mkdtemp(nodePath.join(os.tmpdir(), "capauth-redis-"))
  let child: ChildProcess | undefined

  const start = async () => {
    // Already running: a second one would fail on the port and, replacing `child`, orphan the first.
    if (child !== undefined && child.exitCode === null) return
    const proc = spawn(
      binary(),
      ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"],
      { stdio: ["ignore", "pipe", "pipe"] }
    )
    child = proc
    await new Promise<void>((resolve, reject) => {
      let out = ""
      const onData = (d: Buffer) => {
        out += d
        if (out.includes("Ready to accept connections")) {
          proc.stdout?.off("data", onData)
          resolve()
        }
      }
      proc.stdout?.on("data", onData)
      proc.once("exit", (code) => reject(new Error(`redis-server exited (${code}): ${out.slice(-500)}`)))
    })
    proc.stdout?.resume()
    proc.stderr?.resume()
  }

  const stop = async () => {
    const proc = child
    child = undefined
    if (proc === undefined || proc.exitCode !== null) return
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()))
    proc.kill("SIGKILL")
    await exited
  }

  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    stop: async () => {
      await stop()
    },
    pause: async () => {
      child?.kill("SIGSTOP")
    },
    resume: async () => {
      child?.kill("SIGCONT")
    },
    dispose: async () => {
      await stop()
      await fs.rm(dir, { recursive: true, force: true })
    },
    command: (args) => resp(port, args)
  }
}
