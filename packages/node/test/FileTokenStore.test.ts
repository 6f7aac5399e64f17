import { spawn } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as nodePath from "node:path"
import { fileURLToPath } from "node:url"
import type { AccessToken } from "@capauth/core"
import { SAMPLE_CLIENT, type Simulator, startSimulator } from "@capauth/testkit"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { createCapillaryClient, FileTokenStore } from "../src/index.ts"

const here = nodePath.dirname(fileURLToPath(import.meta.url))
let dir: string
let file: string
let n = 0

beforeAll(async () => {
  dir = await fs.mkdtemp(nodePath.join(os.tmpdir(), "capauth-file-store-"))
})
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true })
})
beforeEach(() => {
  file = nodePath.join(dir, `sub-${++n}`, "tokens.json")
})

const token = (value: string, at = Date.now()): AccessToken.AccessToken => ({
  value: Redacted.make(value),
  obtainedAt: at,
  refreshAt: at + 60_000,
  staleAt: at + 90_000,
  expiresAt: at + 100_000,
  lifetimeMillis: 100_000,
  claims: undefined
})

const run = Effect.runPromise

describe("FileTokenStore", () => {
  // What every store must do (round trip, a restart, isolation, compare-and-delete, concurrency, failures) is
  // the store contract: store.contract.test.ts. Here, only what is the file's own.
  it("writes a 0600 file, and a completed write leaves no temp file behind", async () => {
    await run(FileTokenStore.make(file).set("k", token("tok-1", 1000)))
    const mode = (await fs.stat(file)).mode & 0o777
    expect(mode).toBe(0o600)
    expect(await fs.readdir(nodePath.dirname(file))).toEqual(["tokens.json"])
    const again = await run(FileTokenStore.make(file).get("k"))
    expect(Option.map(again, (t) => Redacted.value(t.value))).toEqual(Option.some("tok-1"))
  })

  it("reads a missing or truncated file as empty, and a write repairs it", async () => {
    const store = FileTokenStore.make(file)
    expect(await run(store.get("k"))).toEqual(Option.none())
    await fs.mkdir(nodePath.dirname(file), { recursive: true })
    await fs.writeFile(file, '{"version":1,"tokens":{"k":{"value":"tr', { mode: 0o600 })
    expect(await run(store.get("k"))).toEqual(Option.none())
    await run(store.set("k", token("fixed")))
    expect(Option.map(await run(store.get("k")), (t) => Redacted.value(t.value))).toEqual(
      Option.some("fixed")
    )
  })

  it("a process killed mid-write leaves a complete file (temp file + rename)", async () => {
    await fs.mkdir(nodePath.dirname(file), { recursive: true })
    const child = spawn(
      process.execPath,
      [
        "--conditions=@capauth/source",
        "--import",
        "tsx",
        nodePath.join(here, "fixtures", "file-store-writer.ts")
      ],
      {
        env: { ...process.env, STORE_PATH: file },
        stdio: ["ignore", "pipe", "inherit"]
      }
    )
    // Kill it with SIGKILL right after its first write: it is then in the middle of further 256 KiB writes.
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()))
    const exited = new Promise((resolve) => child.once("exit", resolve))
    child.kill("SIGKILL")
    await exited
    const text = await fs.readFile(file, "utf8")
    const parsed = JSON.parse(text) // throws on a partial file
    expect(parsed.tokens.k.value).toMatch(/^token-\d+-x+$/)
    expect(parsed.tokens.k.value.length).toBeGreaterThan(256 * 1024)
    expect(Option.isSome(await run(FileTokenStore.make(file).get("k")))).toBe(true)
    // Anything else in the directory is an abandoned temp file, never the store itself.
    for (const name of await fs.readdir(nodePath.dirname(file))) {
      if (name !== "tokens.json") expect(name).toMatch(/^tokens\.json\.\d+\.[0-9a-f]{12}\.tmp$/)
    }
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600)
  })
})

describe("FileTokenStore with the facade", () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await startSimulator({ port: 0 })
  })
  afterAll(async () => {
    await sim.close()
  })

  it("a second client (a restart) adopts the first client's token from the file", async () => {
    const options = {
      baseUrl: sim.url,
      credentials: { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret },
      tokenStore: FileTokenStore.make(file)
    }
    const first = createCapillaryClient(options)
    expect((await first.fetch("/v2/customers/1")).status).toBe(200)
    await first.close()
    const second = createCapillaryClient({ ...options, tokenStore: FileTokenStore.make(file) })
    expect((await second.fetch("/v2/customers/1")).status).toBe(200)
    const stats = await second.stats()
    await second.close()
    expect(sim.stats().tokenRequestsTotal).toBe(1)
    expect(stats.fetched).toBe(0)
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600)
  })
})
