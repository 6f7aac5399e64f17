import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { afterEach, describe, expect, it } from "vitest"

const BIN = fileURLToPath(new URL("../bin/capauth-sim.js", import.meta.url))

/** Spawns the CLI and resolves with its stdout once it contains `until`. */
const run = (
  args: string[],
  until: RegExp
): Promise<{ child: ChildProcess; out: () => string; match: RegExpMatchArray }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    const timer = setTimeout(() => reject(new Error(`CLI did not print ${until}: ${out}${err}`)), 10_000)
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString()
      const match = out.match(until)
      if (match) {
        clearTimeout(timer)
        resolve({ child, out: () => out, match })
      }
    })
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString()
    })
    child.on("exit", (code) => {
      clearTimeout(timer)
      if (!until.test(out)) reject(new Error(`CLI exited ${code}: ${out}${err}`))
    })
  })

// The whole banner, so the credentials and curl lines have arrived too.
const BANNER = /listening on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*Ctrl-C to stop/

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))

describe("capauth-sim CLI", () => {
  let child: ChildProcess | undefined
  afterEach(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL")
  })

  it("prints the URL and sample credentials, serves requests, and exits cleanly on SIGTERM", async () => {
    const started = await run(["--port", "0", "--clock", "manual", "--expiry-signal", "body-string"], BANNER)
    child = started.child
    const url = started.match[1]!
    expect(started.out()).toContain("sample-secret")
    expect(started.out()).toContain("Basic c3RvcmUuc2VydmVyOjhhMTZhNmI3MDUwNWViMWYxZmY3Y2RjMGNkNTU1OWE3")
    expect(started.out()).toContain("curl")
    const res = await fetch(`${url}/v3/oauth/token/generate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ key: "sample-key", secret: "sample-secret" })
    })
    expect(res.status).toBe(200)
    const token = ((await res.json()) as any).data.accessToken
    const get = await fetch(`${url}/v1.1/customer/get?format=json&mobile=919876543210`, {
      headers: { "X-CAP-API-OAUTH-TOKEN": token }
    })
    expect(((await get.json()) as any).response.status.code).toBe(200)
    const done = exited(child)
    child.kill("SIGTERM")
    expect(await done).toBe(0)
  })

  it("always serves Capture under /capture; --capture prints its base URL, sample client and curl lines", async () => {
    const plain = await run(["--port", "0"], BANNER)
    child = plain.child
    expect(plain.out()).toMatch(/Capture\s+base URL: http:\/\/127\.0\.0\.1:\d+\/capture/)
    expect(plain.out()).not.toContain("sample-capture-secret")
    const done = exited(child)
    child.kill("SIGTERM")
    expect(await done).toBe(0)

    const started = await run(["--port", "0", "--capture"], BANNER)
    child = started.child
    const url = started.match[1]!
    expect(started.out()).toContain(`base URL: ${url}/capture`)
    expect(started.out()).toContain("client_id: sample-capture-client")
    expect(started.out()).toContain("client_secret: sample-capture-secret")
    expect(started.out()).toContain(`${url}/capture/oauth/token`)
    const res = await fetch(`${url}/capture/entity.count`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from("sample-capture-client:sample-capture-secret").toString("base64")}`
      },
      body: "type_name=user"
    })
    expect(await res.json()).toEqual({ stat: "ok", total_count: 1 })
  })

  it("prints help, and refuses another host", async () => {
    const help = await run(["--help"], /Usage: capauth-sim/)
    expect(await exited(help.child)).toBe(0)
    const bad = spawn(process.execPath, [BIN, "--host", "0.0.0.0"], { stdio: "ignore" })
    expect(await exited(bad)).toBe(2)
  })
})
