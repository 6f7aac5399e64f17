/**
 * The CLI as users run it: a child process (the `capauth-sample` bin, which loads the TypeScript through tsx),
 * its stdout, stderr and exit code. Targets are real simulators on 127.0.0.1: the embedded one, or one this
 * test starts and points the `CAPILLARY_*` variables at.
 */
import { execFileSync, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import {
  SAMPLE_CAPTURE_CLIENT,
  SAMPLE_CAPTURE_USER,
  SAMPLE_CLIENT,
  SAMPLE_CUSTOMER,
  type Simulator,
  startSimulator
} from "@capauth/testkit"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const bin = fileURLToPath(new URL("../bin/capauth-sample.js", import.meta.url))
const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/
/** A Capture token of the simulator: 24 lowercase alphanumerics (its codes have 14). */
const CAPTURE_TOKEN = /(?<![\w-])[a-z0-9]{24}(?![\w-])/
const CAPTURE_SECRETS = [
  SAMPLE_CAPTURE_CLIENT.clientSecret,
  btoa(`${SAMPLE_CAPTURE_CLIENT.clientId}:${SAMPLE_CAPTURE_CLIENT.clientSecret}`)
]

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Run the CLI with only the given CAPILLARY_* / CAPTURE_* variables (the ones of this process are dropped). */
const cli = (
  args: ReadonlyArray<string>,
  capillary: Record<string, string> = {},
  guardMillis = 45_000
): Promise<Run> => {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith("CAPILLARY_") && !name.startsWith("CAPTURE_"))
      env[name] = value
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...env, ...capillary }, stdio: "pipe" })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    // A bound, not a timing assertion: a hung CLI fails the test instead of the whole suite.
    const guard = setTimeout(() => child.kill("SIGKILL"), guardMillis)
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

  it("fleet: bad options exit 2", async () => {
    const [zero, many] = await Promise.all([
      cli(["fleet", "--processes", "0"]),
      cli(["fleet", "--processes", "33"])
    ])
    expect(zero.code).toBe(2)
    expect(zero.stderr).toContain("--processes")
    expect(many.code).toBe(2)
    expect(many.stderr).toContain("1..32")
  })

  it("capture on the embedded simulator: every step passes, nothing secret or token-like is printed", async () => {
    const run = await cli(["capture"])
    expect(run.code).toBe(0)
    expect(run.stderr).toMatch(
      /no CAPTURE_\* credentials.*embedded simulator's Capture at http:\/\/127\.0\.0\.1:\d+\/capture/
    )
    const out = run.stdout
    for (const mode of ["basic", "params", "signed"])
      expect(out).toMatch(new RegExp(`✓ ${mode}\\s+total_count 1`))
    expect(out).toContain("signed text, first line: /entity.count")
    expect(out).toContain("✓ the secret was not sent: 0 occurrences")
    expect(out).toContain(`✓ Sample User · sample.user@example.com · uuid ${SAMPLE_CAPTURE_USER.uuid}`)
    expect(out).toContain("✓ 1 × 414 access_token_expired → 1 refresh")
    expect(out).toMatch(
      /✓ rotation: the store holds the new refresh token \(([0-9a-f]{8})… → (?!\1)[0-9a-f]{8}…/
    )
    expect(out).toContain("✓ the old refresh token is refused: InvalidCredentials · 210 invalid_credentials")
    expect(out).toMatch(/✓ 200\/200 ok in .* · 200 × 414 recovered with 1 refresh/)
    expect(out).toMatch(/✓ entity\.create with the creation token only → uuid [0-9a-f-]{36} · id 2/)
    expect(out).toContain("✓ the same token again → refused: 417 creation_token_expired")
    expect(out).toMatch(/│ \/entity\.create\s+│ 417 creation_token_expired\s+│ 1\s+│/)
    expect(out).toMatch(/refresh tokens\s+used 2 · reuse refused 1/)
    expect(out).toContain("tokens hidden (pass --reveal to print them)")
    expect(out).toContain("✓ done")
    expect(out).not.toContain("✗")
    expect(out).not.toContain("\u001b[")
    for (const secret of CAPTURE_SECRETS) expect(out + run.stderr).not.toContain(secret)
    expect(out + run.stderr).not.toMatch(CAPTURE_TOKEN)
  })

  it("capture against the app named by CAPTURE_*, with --reveal: signed client auth, the real tokens, never the secret", async () => {
    const before = sim.capture.stats()
    const run = await cli(["capture", "--uuid", SAMPLE_CAPTURE_USER.uuid, "--create", "--reveal"], {
      CAPTURE_BASE_URL: sim.captureUrl,
      CAPTURE_CLIENT_ID: SAMPLE_CAPTURE_CLIENT.clientId,
      CAPTURE_CLIENT_SECRET: SAMPLE_CAPTURE_CLIENT.clientSecret,
      CAPTURE_CLIENT_AUTH: "signed"
    })
    expect(run.code).toBe(0)
    expect(run.stderr).toBe("")
    expect(run.stdout).toContain("simulator only: a Capture app cannot be told to expire its tokens")
    expect(run.stdout).toMatch(/✓ entity\.create with the creation token only → uuid [0-9a-f-]{36}/)
    expect(run.stdout).toContain("✓ the same token again → refused: 417 creation_token_expired")
    const after = sim.capture.stats()
    // The session ran on the signed client: its code, exchange and creation token were signed requests.
    expect((after.authModes.signed ?? 0) - (before.authModes.signed ?? 0)).toBeGreaterThanOrEqual(4)
    expect((after.authModes.params ?? 0) - (before.authModes.params ?? 0)).toBe(1)
    // --reveal prints the very tokens the server issued (and the code and creation token), never the secret.
    expect(run.stdout).toMatch(/^\s+code\s+[a-z0-9]{14}$/m)
    expect(run.stdout).toMatch(/^\s+creation token\s+[a-z0-9]{24}$/m)
    const access = /^\s+access token\s+(\S+)$/m.exec(run.stdout)?.[1]
    const refresh = /^\s+refresh token\s+(\S+)$/m.exec(run.stdout)?.[1]
    expect(sim.capture.tokens.some((t) => t.accessToken === access && t.refreshToken === refresh)).toBe(true)
    for (const secret of CAPTURE_SECRETS) expect(run.stdout + run.stderr).not.toContain(secret)
  })

  it("capture: a bad CAPTURE_* variable is a config error naming it, before anything starts", async () => {
    const run = await cli(["capture"], {
      CAPTURE_BASE_URL: "http://capture.example.com",
      CAPTURE_CLIENT_ID: "id",
      CAPTURE_CLIENT_SECRET: "not-printed-5e1f"
    })
    expect(run.code).toBe(2)
    expect(run.stdout).toBe("")
    expect(run.stderr).toMatch(/^ConfigError: CAPTURE_BASE_URL must use https:/)
    expect(run.stderr).not.toContain("not-printed-5e1f")
  })
})

// Not among the concurrent CLI runs above, and with a longer bound: it starts three more Node processes, which those
// runs (and a loaded CI machine) could otherwise stretch past the guard.
describe("capauth-sample fleet", () => {
  it("fleet: 3 processes on a redis-server it starts: every call ok, 1 token request for the fleet", {
    timeout: 120_000
  }, async () => {
    // redis-server from Debian's packages, installed with apt when missing (as for the @capauth/redis tests).
    execFileSync("bash", [
      fileURLToPath(new URL("../../../packages/redis/scripts/ensure-redis.sh", import.meta.url))
    ])
    const run = await cli(
      ["fleet", "--processes", "3", "--callers", "20"],
      { CAPAUTH_REDIS_URL: "" },
      110_000
    )
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/Redis: a redis-server started on redis:\/\/127\.0\.0\.1:\d+/)
    expect(run.stdout.match(/20\/20 calls ok/g)).toHaveLength(3)
    expect(run.stdout.match(/fetched the token/g)).toHaveLength(1)
    expect(run.stdout).toMatch(/60 calls from 3 processes .* token requests to Capillary: 1\b/)
    expect(run.stdout).not.toMatch(JWT)
  })
})
