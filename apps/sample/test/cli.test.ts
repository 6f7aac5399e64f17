/**
 * The CLI as users run it: a child process (the `capauth-sample` bin, which loads the TypeScript through tsx),
 * its stdout, stderr and exit code. Targets are real simulators on 127.0.0.1: the embedded one, or one this
 * test starts and points the `CAPILLARY_*` variables at.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { SAMPLE_CLIENT, SAMPLE_CUSTOMER, type Simulator, startSimulator } from "@capauth/testkit"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const bin = fileURLToPath(new URL("../bin/capauth-sample.js", import.meta.url))
const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Run the CLI with only the given CAPILLARY_* variables (the ones of this process are dropped). */
const cli = (args: ReadonlyArray<string>, capillary: Record<string, string> = {}): Promise<Run> => {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith("CAPILLARY_")) env[name] = value
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...env, ...capillary }, stdio: "pipe" })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    // A bound, not a timing assertion: a hung CLI fails the test instead of the whole suite.
    const guard = setTimeout(() => child.kill("SIGKILL"), 45_000)
    child.on("error", reject)
    child.on("close", (code) => {
      clearTimeout(guard)
      resolve({ code, stdout, stderr })
    })
  })
}

const decodePayload = (jwt: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8"))

const getPath = `/v1.1/customer/get?format=json&mobile=${SAMPLE_CUSTOMER.mobile}`

describe.concurrent("capauth-sample", { timeout: 50_000 }, () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await startSimulator({ port: 0 })
  })
  afterAll(async () => {
    await sim.close()
  })

  it("demo: one token request serves the burst, the 498s are recovered, the Basic call succeeds", async () => {
    const run = await cli(["demo"])
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    expect(run.stdout).toContain("✓ 1 token request served the whole burst")
    expect(run.stdout).toContain("0 token requests during the 50 calls")
    const recovered = Number(/(\d+) × 498 recovered/.exec(run.stdout)?.[1])
    expect(recovered).toBeGreaterThan(0)
    expect(run.stdout).toMatch(/1 × 401 recovered/)
    expect(run.stdout).toMatch(/│ Basic call\s+│ HTTP 200/)
    expect(run.stdout).toMatch(/│ 498s recovered\s+│ [1-9]/)
    expect(run.stdout).toMatch(/│ API calls\s+│ 62\/62 ok/)
    expect(run.stdout).not.toMatch(JWT)
    expect(run.stdout).not.toContain("\u001b[") // not a TTY: no ANSI
  })

  it("token on the embedded simulator: says so on stderr, shows claims, hides the value", async () => {
    const run = await cli(["token"])
    expect(run.code).toBe(0)
    expect(run.stderr).toMatch(/no CAPILLARY_\* credentials.*embedded simulator at http:\/\/127\.0\.0\.1:\d+/)
    expect(run.stdout).toMatch(/client_key\s+sample-key/)
    expect(run.stdout).toMatch(/expires .*\(in 59m 5\ds\)/)
    expect(run.stdout).toContain("hidden (pass --reveal to print it)")
    expect(run.stdout + run.stderr).not.toMatch(JWT)
  })

  it("token --reveal prints the value: a JWT whose claims are the ones shown", async () => {
    const run = await cli(["token", "--reveal"])
    expect(run.code).toBe(0)
    const value = /^value\s+(\S+)$/m.exec(run.stdout)?.[1] ?? ""
    expect(value).toMatch(JWT)
    const jti = /^\s+jti\s+(\S+)$/m.exec(run.stdout)?.[1]
    expect(decodePayload(value).jti).toBe(jti)
  })

  it("call GET prints the response JSON", async () => {
    const run = await cli(["call", "GET", getPath])
    expect(run.code).toBe(0)
    expect(run.stderr).toMatch(/HTTP 200 OK · GET \/v1\.1\/customer\/get/)
    const body = JSON.parse(run.stdout)
    expect(body.response.customers.customer[0]).toMatchObject({
      mobile: SAMPLE_CUSTOMER.mobile,
      firstname: "Sample"
    })
  })

  it("call POST --data --json against the cluster named by CAPILLARY_BASE_URL", async () => {
    const run = await cli(
      [
        "call",
        "POST",
        "/v1.1/customer/add?format=json",
        "--data",
        '{"root":{"customer":[{"mobile":"919000011111"}]}}',
        "--json"
      ],
      {
        CAPILLARY_BASE_URL: sim.url,
        CAPILLARY_CLIENT_KEY: SAMPLE_CLIENT.key,
        CAPILLARY_CLIENT_SECRET: SAMPLE_CLIENT.secret
      }
    )
    expect(run.code).toBe(0)
    expect(run.stderr).not.toContain("embedded simulator")
    const out = JSON.parse(run.stdout)
    expect(out.status).toBe(200)
    expect(sim.writes.map((w) => w.writeId)).toContain(out.body.response.writeId)
  })

  it("wrong credentials: one line with the action, exit 1, no secret", async () => {
    const secret = "not-the-secret-7d1f"
    const before = sim.stats().tokenRequests[SAMPLE_CLIENT.key] ?? 0
    const run = await cli(["call", "GET", getPath], {
      CAPILLARY_BASE_URL: sim.url,
      CAPILLARY_CLIENT_KEY: SAMPLE_CLIENT.key,
      CAPILLARY_CLIENT_SECRET: secret
    })
    expect(run.code).toBe(1)
    expect(run.stdout).toBe("")
    const lines = run.stderr.trimEnd().split("\n")
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /^InvalidCredentials: token request refused \(code 320001\).* → Check the API client key/
    )
    expect(run.stderr).not.toContain(secret)
    expect(sim.stats().tokenRequests[SAMPLE_CLIENT.key] ?? 0).toBeGreaterThan(before)
  })

  it("config errors exit 2 and name the variable", async () => {
    const [mars, noSecret] = await Promise.all([
      cli(["token"], { CAPILLARY_CLUSTER: "mars" }),
      cli(["call", "GET", "/v2/customers/1"], { CAPILLARY_CLUSTER: "eu", CAPILLARY_CLIENT_KEY: "k" })
    ])
    expect(mars.code).toBe(2)
    expect(mars.stderr).toMatch(
      /^ConfigError: CAPILLARY_CLUSTER: Unknown cluster "mars".* → Fix the named setting/
    )
    expect(noSecret.code).toBe(2)
    expect(noSecret.stderr).toMatch(/^ConfigError: CAPILLARY_CLIENT_SECRET must be set/)
  })

  it("usage errors exit 2 before anything starts; --help exits 0", async () => {
    const [relative, unknown, help] = await Promise.all([
      cli(["call", "GET", "https://elsewhere.example/v2/customers/1"]),
      cli(["token", "--frobnicate"]),
      cli(["call", "--help"])
    ])
    expect(relative.code).toBe(2)
    expect(relative.stderr).toMatch(/PATH must start with \/.*see capauth-sample call --help/)
    expect(relative.stderr).not.toContain("embedded simulator")
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("--frobnicate")
    expect(help.code).toBe(0)
    expect(help.stdout).toContain("Usage: capauth-sample call METHOD PATH")
  })
})
