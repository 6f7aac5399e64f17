/**
 * The contract of a capauth Promise client (`createCapillaryClient` of `@capauth/node`, `@capauth/deno`, ...;
 * they share core's PromiseClient) against a real simulator, written once and run by a thin runner per
 * runtime: the facade (fetch, ky, headers, token), single flight on a cold start, expiry (498 by status and in
 * the body) recovered with one new token and one replay, `close()`, configuration errors from options and from
 * the environment, and no secret or token in any error.
 *
 * Everything runtime-specific comes from the runner: how a test is declared, the client factory, how an
 * environment variable is read and set, how a value is revealed (`Redacted.value`) and inspected. The suite
 * imports neither `@capauth/core` nor any runtime API and checks errors by their `_tag` and fields. Each test
 * starts its own simulator(s) and closes them, and every client it made, before it ends.
 *
 * @example
 * // vitest on Node
 * describe("client contract", () => {
 *   clientContract({
 *     test: (name, fn) => void it(name, fn),
 *     createClient: createCapillaryClient,
 *     env: { get: (name) => process.env[name], set: (name, value) => ... },
 *     reveal: Redacted.value,
 *     inspect: (value) => inspect(value, { depth: 10, showHidden: true })
 *   })
 * })
 * @module
 * @since 0.1.0
 */
import assert from "node:assert/strict"
import { basicAuthorization } from "../basic.ts"
import { SAMPLE_CLIENT, SAMPLE_TILL } from "../defaults.ts"
import { md5hex } from "../registry.ts"
import { type Simulator, startSimulator } from "../simulator.ts"
import type { ExpirySignal, SimulatorOptions } from "../types.ts"
import { collector, type Tagged } from "./collect.ts"
import { envOverride } from "./env.ts"
import type { ContractAttribution } from "./wire.ts"

// ---------------------------------------------------------------------------------------------------------
// What a runner supplies.

/**
 * What `token()` shows.
 *
 * @since 0.1.0
 * @category models
 */
export interface ContractTokenInfo<Secret> {
  readonly value: Secret
  readonly obtainedAt: Date
  readonly expiresAt: Date
  readonly remainingMillis: number
  readonly claims: Readonly<Record<string, unknown>> | undefined
}

/**
 * The part of a capauth Promise client the contract drives.
 *
 * @since 0.1.0
 * @category models
 */
export interface ContractPromiseClient<Secret> {
  fetch(
    input: string | URL | Request,
    init?: RequestInit & { readonly attribution?: ContractAttribution | undefined }
  ): Promise<Response>
  readonly ky: {
    get(url: string, options?: { readonly attribution?: ContractAttribution }): { json(): Promise<unknown> }
    post(
      url: string,
      options: { readonly json: unknown; readonly attribution?: ContractAttribution }
    ): { json(): Promise<unknown> }
  }
  headers(options?: {
    readonly attribution?: ContractAttribution | undefined
  }): Promise<Record<string, string>>
  token(): Promise<ContractTokenInfo<Secret>>
  stats(): Promise<{ readonly fetched: number; readonly invalidated: number }>
  close(): Promise<void>
}

/**
 * The process environment as the runtime reads and writes it (`process.env`, `Deno.env`).
 *
 * @since 0.1.0
 * @category models
 */
export interface ContractEnv {
  get(name: string): string | undefined
  /** Sets `name`, or unsets it for `undefined`. */
  set(name: string, value: string | undefined): void
}

/**
 * A runtime's runner of the client contract.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientRunner<Options, Secret> {
  /** Declares one test (`it` of vitest, `Deno.test`, ...). Tests must run one at a time, in order. */
  readonly test: (name: string, fn: () => Promise<void>) => void
  /** The runtime's `createCapillaryClient`: no options reads the environment; throws `ConfigError` at once. */
  readonly createClient: (options?: Options) => ContractPromiseClient<Secret>
  /** The environment the runtime's client reads (the `CAPILLARY_*` variables); each test restores it. */
  readonly env: ContractEnv
  /** Reveals a token value (`Redacted.value`). */
  readonly reveal: (secret: Secret) => string
  /** Renders a value as the runtime's console would (`util.inspect`, `Deno.inspect`), deeply. */
  readonly inspect: (value: unknown) => string
}

// ---------------------------------------------------------------------------------------------------------
// Known values.

/** The variables every adapter reads. */
const ENV_VARS = [
  "CAPILLARY_BASE_URL",
  "CAPILLARY_CLUSTER",
  "CAPILLARY_CLIENT_KEY",
  "CAPILLARY_CLIENT_SECRET",
  "CAPILLARY_TILL_ID",
  "CAPILLARY_TILL_PASSWORD",
  "CAPILLARY_TILL_PASSWORD_MD5",
  "CAPILLARY_ATTRIBUTION_TYPE",
  "CAPILLARY_ATTRIBUTION_CODE",
  "CAPILLARY_TOKEN_TIMEOUT_MS",
  "CAPILLARY_TOKEN_MAX_ATTEMPTS",
  "CAPILLARY_TOKEN_COOLDOWN_MS",
  "CAPILLARY_CLIENT_KEY_2",
  "CAPILLARY_CLIENT_SECRET_2"
] as const
type EnvVar = (typeof ENV_VARS)[number]
type EnvVars = Partial<Record<EnvVar, string>>

/** Short, so no "looks like a secret" pattern masks it: only scrubbing by value can. */
const SECRET = "sekr3t-value"
const WRONG_SECRET = "not-the-secret"
const TOKEN_HEADER = "x-cap-api-oauth-token"
const TOKEN_PATH = "/v3/oauth/token/generate"
const CUSTOMER = "/v2/customers/1"
const V11_GET = "/v1.1/customer/get?format=json&mobile=919876543210"
const credentials = { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }
const tillPassword = SAMPLE_TILL.password ?? ""

const addBody = (mobile: string) => JSON.stringify({ root: { customer: [{ mobile, firstname: "Ada" }] } })
const postAdd = (mobile: string): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: addBody(mobile)
})

/** Each of `fields` equals the error's own (`_tag`, `field`, `status`, ...). */
const assertTagged = (error: unknown, fields: Record<string, unknown>) => {
  assert.ok(error instanceof Error, `expected an Error, got ${String(error)}`)
  for (const [name, value] of Object.entries(fields)) {
    assert.deepEqual(
      (error as unknown as Record<string, unknown>)[name],
      value,
      `${name} of ${String((error as Tagged)._tag)}: ${String(error)}`
    )
  }
}

// ---------------------------------------------------------------------------------------------------------

/**
 * Declares the client contract's tests with `runner.test`, in order; the last one checks every error collected
 * by the others, so run them all (no filtering) for that one to mean something.
 *
 * @since 0.1.0
 * @category testing
 */
export const clientContract = <Options, Secret>(runner: ClientRunner<Options, Secret>): void => {
  const { env, inspect, reveal } = runner
  /** Every token value the simulators issued (added as they close). */
  const tokensUsed = new Set<string>()
  /** Every rejection and throw in the suite, checked by the last test. */
  const { collected, rejection, thrown } = collector()

  /** What one test opened: clients closed, simulators shut down and the environment restored when it ends. */
  const scope = () => {
    const sims: Array<Simulator> = []
    const clients: Array<ContractPromiseClient<Secret>> = []
    const environment = envOverride(env, ENV_VARS)

    const simulator = async (options: SimulatorOptions = {}) => {
      const sim = await startSimulator({ port: 0, sharedKey: true, ...options })
      sims.push(sim)
      return sim
    }

    const track = (cap: ContractPromiseClient<Secret>) => {
      clients.push(cap)
      return cap
    }
    const client = (options: Record<string, unknown>) => track(runner.createClient(options as Options))
    const fromEnv = () => track(runner.createClient())

    /** Sets exactly `vars` among the CAPILLARY_* variables (the rest unset) until the test ends. */
    const setEnv = (vars: EnvVars) => environment.set(vars)

    const dispose = async () => {
      await Promise.allSettled(clients.splice(0).map((c) => c.close()))
      for (const sim of sims.splice(0)) {
        for (const t of sim.tokens) tokensUsed.add(t.token)
        await sim.close()
      }
      environment.restore()
    }
    return { simulator, client, fromEnv, setEnv, dispose }
  }
  type Scope = ReturnType<typeof scope>

  const test = (name: string, body: (s: Scope) => Promise<void>) =>
    runner.test(name, async () => {
      const s = scope()
      try {
        await body(s)
      } finally {
        await s.dispose()
      }
    })

  /** A simulator and a client of it with the sample key. */
  const started = async (s: Scope, extra: Record<string, unknown> = {}, options: SimulatorOptions = {}) => {
    const sim = await s.simulator(options)
    const cap = s.client({ baseUrl: sim.url, credentials, ...extra })
    return { sim, cap }
  }

  const lastRequest = (sim: Simulator, path: string) =>
    [...sim.requests].reverse().find((r) => r.path === path)
  const issued = (sim: Simulator) => sim.tokens.map((t) => t.token)

  // -------------------------------------------------------------------------------------------------------
  // 1. The facade over real HTTP.

  test("1a. fetch returns a standard Response with the OAuth header and the default attribution", async (s) => {
    const { sim, cap } = await started(s, { attribution: { type: "TILL", code: "store.till1" } })
    const response = await cap.fetch(CUSTOMER)
    assert.ok(response instanceof Response)
    assert.equal(response.status, 200)
    assert.equal(((await response.json()) as { id: number }).id, 1)
    const seen = lastRequest(sim, CUSTOMER)
    assert.ok(issued(sim).includes(seen?.headers[TOKEN_HEADER] ?? "?"), "a token the simulator issued")
    assert.equal(seen?.headers["x-cap-api-attribution-entity-code"], "store.till1")
    assert.equal(seen?.headers["x-cap-api-attribution-entity-type"], "TILL")
  })

  test("1b. ky is rooted at the base URL and goes through the same auth", async (s) => {
    const { sim, cap } = await started(s)
    const customer = (await cap.ky.get("v2/customers/1").json()) as { id: number }
    assert.equal(customer.id, 1)
    assert.ok(issued(sim).includes(lastRequest(sim, CUSTOMER)?.headers[TOKEN_HEADER] ?? "?"))
    assert.equal(sim.stats().tokenRequestsTotal, 1)
  })

  test("1c. a per-request attribution reaches the simulator (fetch and ky); without one the default applies", async (s) => {
    const { sim, cap } = await started(s, { attribution: { type: "TILL", code: "store.till1" } })
    const viaFetch = await cap.fetch("/v1.1/customer/add?format=json", {
      ...postAdd("919000000001"),
      attribution: { type: "TILL", code: "store.till2" }
    })
    assert.equal(viaFetch.status, 200)
    await viaFetch.body?.cancel()
    assert.deepEqual(sim.writes.at(-1)?.attribution, { type: "TILL", code: "store.till2" })
    await cap.ky
      .post("v2/customers", {
        json: { profiles: [{ identifiers: [{ type: "mobile", value: "919000000002" }] }] },
        attribution: { type: "STORE_CODE", code: "store1" }
      })
      .json()
    assert.deepEqual(sim.writes.at(-1)?.attribution, { type: "STORE_CODE", code: "store1" })
    const plain = await cap.fetch("/v1.1/customer/add?format=json", postAdd("919000000003"))
    await plain.body?.cancel()
    assert.deepEqual(sim.writes.at(-1)?.attribution, { type: "TILL", code: "store.till1" })
    assert.equal(sim.writes.length, 3)
  })

  test("1d. headers() is a plain object with the token and the attribution", async (s) => {
    const { sim, cap } = await started(s)
    const headers = await cap.headers({ attribution: { type: "STORE_CODE", code: "store2" } })
    assert.equal(Object.getPrototypeOf(headers), Object.prototype)
    assert.ok(issued(sim).includes(headers[TOKEN_HEADER] ?? "?"))
    assert.equal(headers["x-cap-api-attribution-entity-type"], "STORE_CODE")
    assert.equal(headers["x-cap-api-attribution-entity-code"], "store2")
  })

  test("1e. token() gives expiresAt, claims and a value that shows only when revealed", async (s) => {
    const { sim, cap } = await started(s)
    const info = await cap.token()
    const last = sim.tokens.at(-1)
    assert.ok(last !== undefined)
    assert.ok(info.expiresAt instanceof Date)
    // Reckoned from when the request was sent (not the server's clock): within a second of exp.
    assert.ok(Math.abs(info.expiresAt.getTime() - last.exp * 1000) <= 1000, String(info.expiresAt))
    assert.ok(info.obtainedAt.getTime() <= Date.now())
    assert.equal(info.claims?.exp, last.exp)
    assert.equal(info.claims?.iat, last.iat)
    assert.ok(info.remainingMillis > 3_500_000, String(info.remainingMillis))
    assert.equal(reveal(info.value), last.token)
    for (const shown of [String(info.value), inspect(info), JSON.stringify(info)]) {
      assert.ok(!shown.includes(last.token), `the token shows in ${shown.slice(0, 200)}`)
    }
  })

  test("1f. neither the secret nor the token shows when the client is inspected or stringified", async (s) => {
    const { sim, cap } = await started(s)
    await (await cap.fetch(CUSTOMER)).body?.cancel()
    const token = sim.tokens.at(-1)?.token
    assert.ok(token !== undefined)
    for (const shown of [inspect(cap), JSON.stringify(cap) ?? ""]) {
      assert.ok(!shown.includes(SAMPLE_CLIENT.secret), "the secret shows")
      assert.ok(!shown.includes(token), "the token shows")
    }
  })

  test("1g. the Response body reads in any form after the expiry check, once, like a real one", async (s) => {
    const { sim, cap } = await started(s)
    const first = await cap.fetch(CUSTOMER)
    assert.ok(first instanceof Response)
    assert.equal(first.url, `${sim.url}${CUSTOMER}`)
    assert.match(first.headers.get("content-type") ?? "", /json/)
    assert.equal(first.bodyUsed, false)
    const copy = first.clone()
    assert.equal(((await first.json()) as { id: number }).id, 1)
    assert.equal(first.bodyUsed, true)
    await assert.rejects(first.text(), TypeError)
    assert.equal((JSON.parse(await copy.text()) as { id: number }).id, 1)
    const second = await cap.fetch(CUSTOMER)
    assert.equal((JSON.parse(await new Response(second.body).text()) as { id: number }).id, 1)
    const third = await cap.fetch(CUSTOMER)
    assert.equal((JSON.parse(new TextDecoder().decode(await third.arrayBuffer())) as { id: number }).id, 1)
  })

  test("1h. Basic till credentials send the documented Authorization value and ask for no token", async (s) => {
    const { sim, cap } = await started(s, { credentials: { till: SAMPLE_TILL.id, password: tillPassword } })
    const response = await cap.fetch(CUSTOMER)
    assert.equal(response.status, 200)
    await response.body?.cancel()
    const expected = basicAuthorization(SAMPLE_TILL.id, tillPassword)
    assert.equal(expected, "Basic c3RvcmUuc2VydmVyOjhhMTZhNmI3MDUwNWViMWYxZmY3Y2RjMGNkNTU1OWE3")
    assert.equal(lastRequest(sim, CUSTOMER)?.headers.authorization, expected)
    assert.equal(lastRequest(sim, CUSTOMER)?.headers[TOKEN_HEADER], undefined)
    assert.equal(sim.stats().tokenRequestsTotal, 0)
  })

  test("1i. a wrong secret rejects with InvalidCredentials (fetch and ky), the token request's id, no secret", async (s) => {
    const { sim, cap } = await started(s, { credentials: { key: SAMPLE_CLIENT.key, secret: WRONG_SECRET } })
    const error = await rejection("1i fetch", cap.fetch(CUSTOMER))
    assertTagged(error, { _tag: "InvalidCredentials" })
    assert.equal(error.requestId, lastRequest(sim, TOKEN_PATH)?.requestId)
    const viaKy = await rejection("1i ky", cap.ky.get("v2/customers/1").json())
    assertTagged(viaKy, { _tag: "InvalidCredentials" })
    assert.equal(sim.requests.filter((r) => r.path === CUSTOMER).length, 0)
  })

  // -------------------------------------------------------------------------------------------------------
  // 2. One token request, however many callers.

  test("2. 200 concurrent calls on a cold client send one token request; every call carries that token", async (s) => {
    const { sim, cap } = await started(s)
    const responses = await Promise.all(Array.from({ length: 200 }, () => cap.fetch(CUSTOMER)))
    assert.deepEqual(new Set(responses.map((r) => r.status)), new Set([200]))
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<{ id: number }>))
    assert.ok(bodies.every((b) => b.id === 1))
    assert.equal(sim.stats().tokenRequestsTotal, 1)
    assert.equal((await cap.stats()).fetched, 1)
    const calls = sim.requests.filter((r) => r.path === CUSTOMER)
    assert.equal(calls.length, 200)
    assert.deepEqual(new Set(calls.map((r) => r.headers[TOKEN_HEADER])), new Set(issued(sim)))
    assert.equal(issued(sim).length, 1)
  })

  // -------------------------------------------------------------------------------------------------------
  // 3. An expired token is renewed once and the request replayed once.

  /** A warm client whose token the simulator then declares expired (signalled as `signal`). */
  const expiring = async (s: Scope, signal: ExpirySignal) => {
    const { sim, cap } = await started(s, {}, { expirySignal: signal })
    await (await cap.fetch(CUSTOMER)).body?.cancel()
    const before = reveal((await cap.token()).value)
    sim.expireAllTokens()
    return { sim, cap, before }
  }

  const renewedOnce = async (sim: Simulator, cap: ContractPromiseClient<Secret>, before: string) => {
    const after = reveal((await cap.token()).value)
    assert.notEqual(after, before, "the token was not renewed")
    assert.equal(sim.stats().tokenRequestsTotal, 2)
    const stats = await cap.stats()
    assert.equal(stats.invalidated, 1)
    assert.equal(stats.fetched, 2)
    return after
  }

  for (const signal of ["http-498", "body-string", "body-number"] as const) {
    test(`3. expiry as ${signal} on a v1.1 GET: one new token, one replay, the real answer`, async (s) => {
      const { sim, cap, before } = await expiring(s, signal)
      const response = await cap.fetch(V11_GET)
      assert.equal(response.status, 200)
      const body = (await response.json()) as {
        response: { customers: { customer: Array<{ mobile: string }> } }
      }
      assert.equal(body.response.customers.customer[0]?.mobile, "919876543210")
      const after = await renewedOnce(sim, cap, before)
      const calls = sim.requests.filter((r) => r.path === "/v1.1/customer/get")
      assert.deepEqual(
        calls.map((r) => r.headers[TOKEN_HEADER]),
        [before, after]
      )
    })

    test(`3. expiry as ${signal} on a v2 GET: one new token, one replay, the real answer`, async (s) => {
      const { sim, cap, before } = await expiring(s, signal)
      const response = await cap.fetch(CUSTOMER)
      assert.equal(response.status, 200)
      assert.equal(((await response.json()) as { id: number }).id, 1)
      const after = await renewedOnce(sim, cap, before)
      // The warm-up call, the expired one, the replay.
      assert.deepEqual(
        sim.requests.filter((r) => r.path === CUSTOMER).map((r) => r.headers[TOKEN_HEADER]),
        [before, before, after]
      )
    })

    test(`3. expiry as ${signal} on a POST: replayed once with the same body, exactly one write lands`, async (s) => {
      const { sim, cap, before } = await expiring(s, signal)
      const response = await cap.fetch("/v1.1/customer/add?format=json", postAdd("919800000001"))
      assert.equal(response.status, 200)
      await response.body?.cancel()
      const after = await renewedOnce(sim, cap, before)
      const adds = sim.requests.filter((r) => r.path === "/v1.1/customer/add")
      assert.equal(adds.length, 2)
      assert.deepEqual(adds[1]?.body, adds[0]?.body)
      assert.deepEqual(adds[0]?.body, JSON.parse(addBody("919800000001")))
      assert.deepEqual(
        adds.map((r) => r.headers[TOKEN_HEADER]),
        [before, after]
      )
      assert.equal(sim.writes.length, 1)
    })
  }

  test("3. ky goes through the same recovery, with the default attribution", async (s) => {
    const { sim, cap } = await started(s, { attribution: { type: "TILL", code: "store.till1" } })
    const first = await cap.ky.get("v2/customers/1").json()
    sim.expireAllTokens()
    const second = await cap.ky.get("v2/customers/1").json()
    assert.deepEqual(second, first)
    assert.equal(sim.stats().tokenRequestsTotal, 2)
    assert.equal(lastRequest(sim, CUSTOMER)?.headers["x-cap-api-attribution-entity-code"], "store.till1")
    assert.equal(lastRequest(sim, CUSTOMER)?.headers[TOKEN_HEADER], sim.tokens.at(-1)?.token)
  })

  test("3. a fresh token refused as expired again rejects with TokenExpired after one new token", async (s) => {
    const { sim, cap } = await started(s)
    await (await cap.fetch(CUSTOMER)).body?.cancel()
    sim.faults.add({ path: CUSTOMER, fault: { kind: "status", status: 498 }, times: 2 })
    const error = await rejection("3 expired twice", cap.fetch(CUSTOMER))
    assertTagged(error, { _tag: "TokenExpired", status: 498 })
    assert.equal(error.requestId, lastRequest(sim, CUSTOMER)?.requestId)
    assert.equal(sim.stats().tokenRequestsTotal, 2)
    // The refused call and its one replay: no third attempt.
    assert.equal(sim.requests.filter((r) => r.path === CUSTOMER).length, 3)
  })

  // -------------------------------------------------------------------------------------------------------
  // 4. close().

  test("4. close() is idempotent; a closed client refuses every call with ConfigError and sends nothing", async (s) => {
    const { sim, cap } = await started(s)
    await (await cap.fetch(CUSTOMER)).body?.cancel()
    await cap.close()
    await cap.close()
    const seen = sim.requests.length
    const calls: ReadonlyArray<readonly [string, () => PromiseLike<unknown>]> = [
      ["token", () => cap.token()],
      ["fetch", () => cap.fetch(CUSTOMER)],
      ["headers", () => cap.headers()],
      ["ky", () => cap.ky.get("v2/customers/1").json()]
    ]
    for (const [name, call] of calls) {
      const error = await rejection(`4 warm ${name}`, call())
      assertTagged(error, { _tag: "ConfigError" })
      assert.match(error.message, /closed/)
    }
    const cold = s.client({ baseUrl: sim.url, credentials })
    await cold.close()
    const coldError = await rejection("4 cold fetch", cold.fetch(CUSTOMER))
    assertTagged(coldError, { _tag: "ConfigError" })
    assert.match(coldError.message, /closed/)
    assert.equal(sim.requests.length, seen, "a closed client sent a request")
    assert.equal(sim.stats().tokenRequestsTotal, 1)
  })

  // -------------------------------------------------------------------------------------------------------
  // 5. Configuration errors, at construction, naming what to fix.

  const shows = (error: Tagged, value: string) =>
    [error.message, String(error), JSON.stringify(error) ?? "", inspect(error)].some((t) => t.includes(value))

  const key = { CAPILLARY_CLIENT_KEY: "k", CAPILLARY_CLIENT_SECRET: SECRET }
  const envCases: ReadonlyArray<readonly [string, EnvVars, EnvVar]> = [
    ["nothing set", {}, "CAPILLARY_BASE_URL"],
    ["no credentials", { CAPILLARY_CLUSTER: "eu" }, "CAPILLARY_CLIENT_KEY"],
    ["key without secret", { CAPILLARY_CLUSTER: "eu", CAPILLARY_CLIENT_KEY: "k" }, "CAPILLARY_CLIENT_SECRET"],
    [
      "secret without key",
      { CAPILLARY_CLUSTER: "eu", CAPILLARY_CLIENT_SECRET: SECRET },
      "CAPILLARY_CLIENT_KEY"
    ],
    ["till without password", { CAPILLARY_CLUSTER: "eu", CAPILLARY_TILL_ID: "t" }, "CAPILLARY_TILL_PASSWORD"],
    ["unknown cluster", { CAPILLARY_CLUSTER: "mars", ...key }, "CAPILLARY_CLUSTER"],
    ["base URL not a URL", { CAPILLARY_BASE_URL: "not a url", ...key }, "CAPILLARY_BASE_URL"],
    [
      "plain http to a remote host",
      { CAPILLARY_BASE_URL: "http://eu.api.capillarytech.com", ...key },
      "CAPILLARY_BASE_URL"
    ],
    [
      "both cluster and base URL",
      { CAPILLARY_CLUSTER: "eu", CAPILLARY_BASE_URL: "https://x.example", ...key },
      "CAPILLARY_CLUSTER"
    ],
    [
      "password md5 not hex",
      { CAPILLARY_CLUSTER: "eu", CAPILLARY_TILL_ID: "t", CAPILLARY_TILL_PASSWORD_MD5: "xyz" },
      "CAPILLARY_TILL_PASSWORD_MD5"
    ],
    [
      "unknown attribution type",
      {
        CAPILLARY_CLUSTER: "eu",
        ...key,
        CAPILLARY_ATTRIBUTION_TYPE: "SHOP",
        CAPILLARY_ATTRIBUTION_CODE: "x"
      },
      "CAPILLARY_ATTRIBUTION_TYPE"
    ],
    [
      "attribution type without code",
      { CAPILLARY_CLUSTER: "eu", ...key, CAPILLARY_ATTRIBUTION_TYPE: "TILL" },
      "CAPILLARY_ATTRIBUTION_CODE"
    ],
    [
      "a secret with a trailing space (a .env mistake)",
      { CAPILLARY_CLUSTER: "eu", CAPILLARY_CLIENT_KEY: "k", CAPILLARY_CLIENT_SECRET: `${SECRET} ` },
      "CAPILLARY_CLIENT_SECRET"
    ],
    [
      "a key with a leading space",
      { CAPILLARY_CLUSTER: "eu", CAPILLARY_CLIENT_KEY: " k", CAPILLARY_CLIENT_SECRET: SECRET },
      "CAPILLARY_CLIENT_KEY"
    ],
    [
      "an OAuth client and a till together",
      { CAPILLARY_CLUSTER: "eu", ...key, CAPILLARY_TILL_ID: "t", CAPILLARY_TILL_PASSWORD: "p" },
      "CAPILLARY_CLIENT_KEY"
    ],
    [
      "a token timeout in hexadecimal",
      { CAPILLARY_CLUSTER: "eu", ...key, CAPILLARY_TOKEN_TIMEOUT_MS: "0x3c" },
      "CAPILLARY_TOKEN_TIMEOUT_MS"
    ],
    [
      "no attempt at all",
      { CAPILLARY_CLUSTER: "eu", ...key, CAPILLARY_TOKEN_MAX_ATTEMPTS: "0" },
      "CAPILLARY_TOKEN_MAX_ATTEMPTS"
    ],
    [
      "a negative cooldown",
      { CAPILLARY_CLUSTER: "eu", ...key, CAPILLARY_TOKEN_COOLDOWN_MS: "-1" },
      "CAPILLARY_TOKEN_COOLDOWN_MS"
    ],
    [
      "a second key without its secret",
      { CAPILLARY_CLUSTER: "eu", ...key, CAPILLARY_CLIENT_KEY_2: "k2" },
      "CAPILLARY_CLIENT_SECRET_2"
    ],
    [
      "a second secret with a trailing space",
      {
        CAPILLARY_CLUSTER: "eu",
        ...key,
        CAPILLARY_CLIENT_KEY_2: "k2",
        CAPILLARY_CLIENT_SECRET_2: `${SECRET} `
      },
      "CAPILLARY_CLIENT_SECRET_2"
    ]
  ]
  for (const [title, vars, named] of envCases) {
    test(`5. from the environment, ${title}: a ConfigError naming ${named}`, async (s) => {
      s.setEnv(vars)
      const error = thrown(`5 env ${title}`, () => s.fromEnv())
      assertTagged(error, { _tag: "ConfigError", field: named })
      assert.ok(error.message.includes(named), error.message)
      if (/ space/.test(title)) assert.match(error.message, /whitespace/)
      if (/together/.test(title)) assert.match(error.message, /CAPILLARY_TILL_ID/)
      assert.ok(!shows(error, SECRET), `the secret shows in ${error.message}`)
    })
  }

  const optionCases: ReadonlyArray<readonly [string, unknown, string]> = [
    ["no options object (null)", null, "options"],
    ["no cluster or base URL", { credentials: { key: "k", secret: SECRET } }, "baseUrl"],
    ["an unknown cluster", { cluster: "mars", credentials: { key: "k", secret: SECRET } }, "cluster"],
    [
      "a base URL that is not a URL",
      { baseUrl: "not a url", credentials: { key: "k", secret: SECRET } },
      "baseUrl"
    ],
    [
      "plain http to a remote host",
      { baseUrl: "http://eu.api.capillarytech.com", credentials: { key: "k", secret: SECRET } },
      "baseUrl"
    ],
    [
      "both cluster and base URL",
      { cluster: "eu", baseUrl: "https://x.example", credentials: { key: "k", secret: SECRET } },
      "cluster"
    ],
    ["no credentials", { cluster: "eu" }, "credentials"],
    ["credentials of no known shape", { cluster: "eu", credentials: {} }, "credentials"],
    ["a key without a secret", { cluster: "eu", credentials: { key: "k" } }, "secret"],
    ["an empty secret", { cluster: "eu", credentials: { key: "k", secret: "" } }, "secret"],
    ["a secret without a key", { cluster: "eu", credentials: { secret: SECRET } }, "key"],
    ["a till without a password", { cluster: "eu", credentials: { till: "t" } }, "password"],
    [
      "a password md5 that is not hex",
      { cluster: "eu", credentials: { till: "t", passwordMd5: "xyz" } },
      "passwordMd5"
    ],
    [
      "an unknown attribution type",
      { cluster: "eu", credentials: { key: "k", secret: SECRET }, attribution: { type: "SHOP", code: "x" } },
      "attribution.type"
    ],
    [
      "an attribution without a code",
      { cluster: "eu", credentials: { key: "k", secret: SECRET }, attribution: { type: "TILL" } },
      "attribution.code"
    ],
    [
      "a secret with a trailing newline",
      { cluster: "eu", credentials: { key: "k", secret: `${SECRET}\n` } },
      "secret"
    ],
    ["a key with spaces around it", { cluster: "eu", credentials: { key: " k ", secret: SECRET } }, "key"],
    [
      "a till id with a trailing space",
      { cluster: "eu", credentials: { till: "t ", password: "p" } },
      "till"
    ],
    [
      "OAuth and till credentials together",
      { cluster: "eu", credentials: { key: "k", secret: SECRET, till: "t", password: "p" } },
      "credentials"
    ],
    [
      "a NaN expiry margin",
      {
        cluster: "eu",
        credentials: { key: "k", secret: SECRET },
        refresh: { expiryMarginMillis: Number.NaN }
      },
      "refresh.expiryMarginMillis"
    ],
    [
      "an infinite token timeout",
      {
        cluster: "eu",
        credentials: { key: "k", secret: SECRET },
        tokenTimeoutMillis: Number.POSITIVE_INFINITY
      },
      "tokenTimeoutMillis"
    ],
    [
      "zero attempts",
      { cluster: "eu", credentials: { key: "k", secret: SECRET }, tokenMaxAttempts: 0 },
      "tokenMaxAttempts"
    ],
    [
      "a negative cooldown",
      { cluster: "eu", credentials: { key: "k", secret: SECRET }, tokenCooldownMillis: -1 },
      "tokenCooldownMillis"
    ]
  ]
  for (const [title, options, field] of optionCases) {
    test(`5. from options, ${title}: a ConfigError naming ${field}`, async (s) => {
      // A valid environment must not fill in what the options lack.
      s.setEnv({ CAPILLARY_CLUSTER: "eu", CAPILLARY_CLIENT_KEY: "env-key", CAPILLARY_CLIENT_SECRET: SECRET })
      const error = thrown(`5 options ${title}`, () => s.client(options as Record<string, unknown>))
      assertTagged(error, { _tag: "ConfigError", field })
      assert.ok(error.message.includes(field), error.message)
      if (/ space|newline/.test(title)) assert.match(error.message, /whitespace/)
      if (/together/.test(title)) assert.match(error.message, /key, secret.*till, password/)
      assert.ok(!shows(error, SECRET), `the secret shows in ${error.message}`)
    })
  }

  test("5. an invalid option sends nothing: the simulator sees no request", async (s) => {
    const sim = await s.simulator()
    const invalid: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
      ["no secret", { baseUrl: sim.url, credentials: { key: SAMPLE_CLIENT.key } }],
      ["attribution without a code", { baseUrl: sim.url, credentials, attribution: { type: "TILL" } }],
      ["a string token timeout", { baseUrl: sim.url, credentials, tokenTimeoutMillis: "5000" }]
    ]
    for (const [where, options] of invalid) thrown(`5 nothing sent, ${where}`, () => s.client(options))
    assert.equal(sim.requests.length, 0)
    // The control: the same base URL and credentials, valid, do reach it.
    const cap = s.client({ baseUrl: sim.url, credentials })
    await (await cap.fetch(CUSTOMER)).body?.cancel()
    assert.equal(sim.requests.filter((r) => r.path === CUSTOMER).length, 1)
    assert.equal(sim.stats().tokenRequestsTotal, 1)
  })

  test("5. explicit options ignore the CAPILLARY_* variables, even invalid ones", async (s) => {
    s.setEnv({
      CAPILLARY_CLUSTER: "mars",
      CAPILLARY_CLIENT_KEY: "env-key",
      CAPILLARY_ATTRIBUTION_TYPE: "TILL"
    })
    const { sim, cap } = await started(s)
    const response = await cap.fetch(CUSTOMER)
    assert.equal(response.status, 200)
    await response.body?.cancel()
    assert.deepEqual(sim.stats().tokenRequests, { [SAMPLE_CLIENT.key]: 1 })
    assert.equal(lastRequest(sim, CUSTOMER)?.headers["x-cap-api-attribution-entity-type"], undefined)
  })

  test("5. a complete environment gives a working client, attributed as the environment says", async (s) => {
    const sim = await s.simulator()
    s.setEnv({
      CAPILLARY_BASE_URL: sim.url,
      CAPILLARY_CLIENT_KEY: SAMPLE_CLIENT.key,
      CAPILLARY_CLIENT_SECRET: SAMPLE_CLIENT.secret,
      CAPILLARY_ATTRIBUTION_TYPE: "STORE_CODE",
      CAPILLARY_ATTRIBUTION_CODE: "store2"
    })
    const cap = s.fromEnv()
    const response = await cap.fetch("/v1.1/customer/add?format=json", postAdd("919000000100"))
    assert.equal(response.status, 200)
    await response.body?.cancel()
    assert.deepEqual(sim.writes.at(-1)?.attribution, { type: "STORE_CODE", code: "store2" })
    assert.deepEqual(sim.stats().tokenRequests, { [SAMPLE_CLIENT.key]: 1 })
    const read = await cap.fetch(CUSTOMER)
    assert.equal(read.status, 200)
    await read.body?.cancel()
    assert.equal(lastRequest(sim, CUSTOMER)?.headers["x-cap-api-attribution-entity-code"], "store2")
  })

  test("5. CAPILLARY_CLIENT_KEY_2 / CAPILLARY_CLIENT_SECRET_2: the first client refused, the second serves the call", async (s) => {
    const sim = await s.simulator()
    const second = { key: "contract-second-client", secret: "second-client-secret" }
    sim.addClient({ key: second.key, secret: second.secret })
    s.setEnv({
      CAPILLARY_BASE_URL: sim.url,
      CAPILLARY_CLIENT_KEY: SAMPLE_CLIENT.key,
      CAPILLARY_CLIENT_SECRET: WRONG_SECRET,
      CAPILLARY_CLIENT_KEY_2: second.key,
      CAPILLARY_CLIENT_SECRET_2: second.secret
    })
    const cap = s.fromEnv()
    const response = await cap.fetch(CUSTOMER)
    assert.equal(response.status, 200)
    await response.body?.cancel()
    // One refused request for the first client, then the second at once (no cooldown, no failed call).
    assert.deepEqual(sim.stats().tokenRequests, { [SAMPLE_CLIENT.key]: 1, [second.key]: 1 })
    assert.equal(lastRequest(sim, CUSTOMER)?.headers[TOKEN_HEADER], reveal((await cap.token()).value))
  })

  const tills: ReadonlyArray<readonly [string, EnvVars]> = [
    ["CAPILLARY_TILL_PASSWORD", { CAPILLARY_TILL_PASSWORD: tillPassword }],
    ["CAPILLARY_TILL_PASSWORD_MD5", { CAPILLARY_TILL_PASSWORD_MD5: md5hex(tillPassword) }]
  ]
  for (const [name, password] of tills) {
    test(`5. till credentials from the environment (CAPILLARY_TILL_ID + ${name}) work over Basic`, async (s) => {
      const sim = await s.simulator()
      s.setEnv({ CAPILLARY_BASE_URL: sim.url, CAPILLARY_TILL_ID: SAMPLE_TILL.id, ...password })
      const cap = s.fromEnv()
      const response = await cap.fetch(CUSTOMER)
      assert.equal(response.status, 200)
      await response.body?.cancel()
      assert.equal(
        lastRequest(sim, CUSTOMER)?.headers.authorization,
        basicAuthorization(SAMPLE_TILL.id, tillPassword)
      )
      assert.equal(sim.stats().tokenRequestsTotal, 0)
    })
  }

  // -------------------------------------------------------------------------------------------------------
  // 7. Token responses refused or bounded; availability under a failing token endpoint.

  const tokenAnswer = (body: unknown, status = 200) =>
    ({ path: TOKEN_PATH, fault: { kind: "status", status, body }, times: 1 }) as const
  const apiCalls = (sim: Simulator) => sim.requests.filter((r) => r.path === CUSTOMER).length

  test("7a. a malformed token response is retried after a backoff (not a 30 s lockout): the call succeeds", async (s) => {
    const sim = await s.simulator()
    sim.faults.add({ path: TOKEN_PATH, fault: { kind: "malformed-json" }, times: 1 })
    const cap = s.client({ baseUrl: sim.url, credentials })
    const response = await cap.fetch(CUSTOMER)
    assert.equal(response.status, 200)
    await response.body?.cancel()
    assert.equal(sim.stats().tokenRequestsTotal, 2)
  })

  test("7b. errors [{ code: 498 }], [null] or an unknown code with HTTP 200 from the token endpoint are transient", async (s) => {
    const sim = await s.simulator()
    sim.faults.add(tokenAnswer({ data: null, errors: [{ code: 498, message: "expired" }] }))
    sim.faults.add(tokenAnswer({ data: null, errors: [null] }))
    sim.faults.add(tokenAnswer({ data: null, errors: [{ code: 777001, message: "new" }] }))
    const cap = s.client({ baseUrl: sim.url, credentials })
    const response = await cap.fetch(CUSTOMER)
    assert.equal(response.status, 200)
    await response.body?.cancel()
    assert.equal(sim.stats().tokenRequestsTotal, 4)
  })

  const refusedAnswers: ReadonlyArray<readonly [string, unknown, RegExp]> = [
    ["ttlSeconds in hexadecimal", { data: { accessToken: "t0k3n", ttlSeconds: "0x3c" } }, /ttlSeconds/],
    ["ttlSeconds in binary", { data: { accessToken: "t0k3n", ttlSeconds: "0b1" } }, /ttlSeconds/],
    ['ttlSeconds "Infinity"', { data: { accessToken: "t0k3n", ttlSeconds: "Infinity" } }, /ttlSeconds/],
    ["ttlSeconds 1e300", { data: { accessToken: "t0k3n", ttlSeconds: 1e300 } }, /1 second to 31 days/],
    ["ttlSeconds 1e-9", { data: { accessToken: "t0k3n", ttlSeconds: 1e-9 } }, /1 second to 31 days/],
    ["ttlSeconds of 32 days", { data: { accessToken: "t0k3n", ttlSeconds: 32 * 86_400 } }, /31 days/],
    ["a blank token", { data: { accessToken: " ", ttlSeconds: 60 } }, /blank/],
    [
      "a 64 KiB token",
      { data: { accessToken: "x".repeat(65_536), ttlSeconds: 60 } },
      /larger than|longer than/
    ],
    [
      "a 9,000-character token",
      { data: { accessToken: "x".repeat(9_000), ttlSeconds: 60 } },
      /longer than 8192/
    ]
  ]
  for (const [title, body, message] of refusedAnswers) {
    test(`7c. a token response with ${title} is a MalformedResponse; nothing is sent to the API`, async (s) => {
      const sim = await s.simulator()
      sim.faults.add(tokenAnswer(body))
      const cap = s.client({ baseUrl: sim.url, credentials, tokenMaxAttempts: 1 })
      const error = await rejection(`7c ${title}`, cap.fetch(CUSTOMER))
      assertTagged(error, { _tag: "MalformedResponse" })
      assert.match(error.message, message)
      assert.equal(apiCalls(sim), 0)
      assert.equal(sim.stats().tokenRequestsTotal, 1)
    })
  }

  test("7c. an 8 MiB token response is a MalformedResponse, never a crash", async (s) => {
    const sim = await s.simulator()
    sim.faults.add(tokenAnswer({ data: { accessToken: "a".repeat(8 << 20), ttlSeconds: 60 }, errors: null }))
    const cap = s.client({ baseUrl: sim.url, credentials, tokenMaxAttempts: 1 })
    const error = await rejection("7c 8 MiB", cap.fetch(CUSTOMER))
    assertTagged(error, { _tag: "MalformedResponse" })
    assert.ok(error.message.length < 300)
    assert.equal(apiCalls(sim), 0)
  })

  test("7d. a token request that hangs: given up after a third of tokenTimeoutMillis, the cold call gets the retry", async (s) => {
    const sim = await s.simulator()
    sim.faults.add({ path: TOKEN_PATH, fault: { kind: "no-response" }, times: 1 })
    const cap = s.client({ baseUrl: sim.url, credentials, tokenTimeoutMillis: 1_500 })
    const started = Date.now()
    const response = await cap.fetch(CUSTOMER)
    const waited = Date.now() - started
    assert.equal(response.status, 200)
    await response.body?.cancel()
    // The hung attempt was given up after 500 ms, the retry (after at most 250 ms) answered within the 1.5 s.
    assert.ok(waited >= 450 && waited < 1_500, `waited ${waited} ms`)
    assert.equal(sim.stats().tokenRequestsTotal, 2)
  })

  test("7d'. a token endpoint that never answers: a cold call rejects after tokenTimeoutMillis", async (s) => {
    const sim = await s.simulator()
    sim.faults.add({ path: TOKEN_PATH, fault: { kind: "no-response" } })
    const cap = s.client({ baseUrl: sim.url, credentials, tokenTimeoutMillis: 600 })
    const started = Date.now()
    const error = await rejection("7d hung", cap.fetch(CUSTOMER))
    const waited = Date.now() - started
    assertTagged(error, { _tag: "TransportError", reason: "Timeout" })
    assert.ok(waited < 5_000, `waited ${waited} ms for a 600 ms token timeout`)
    assert.ok(sim.stats().tokenRequestsTotal >= 2, "the hung attempt was retried within the wait")
  })

  test("7e. a token answered 498 is never sent again: every later call and headers() carry the new one", async (s) => {
    const { sim, cap } = await started(s)
    await (await cap.fetch(CUSTOMER)).body?.cancel()
    const old = reveal((await cap.token()).value)
    sim.faults.add({ path: CUSTOMER, fault: { kind: "status", status: 498 }, times: 1 })
    const responses = await Promise.all(Array.from({ length: 10 }, () => cap.fetch(CUSTOMER)))
    for (const r of responses) {
      assert.equal(r.status, 200)
      await r.body?.cancel()
    }
    const refusedAt = sim.requests.findIndex((r) => r.path === CUSTOMER && r.status === 498)
    const after = sim.requests.slice(refusedAt + 1).filter((r) => r.path === CUSTOMER)
    // Calls sent before the 498 arrived carried the old token; the replay and every later call never do.
    const laterOnes = await Promise.all(Array.from({ length: 10 }, () => cap.fetch(CUSTOMER)))
    for (const r of laterOnes) await r.body?.cancel()
    assert.notEqual((await cap.headers())[TOKEN_HEADER], old)
    const last = sim.requests.slice(-10)
    assert.ok(last.every((r) => r.headers[TOKEN_HEADER] !== old))
    assert.ok(
      after.some((r) => r.headers[TOKEN_HEADER] !== old),
      "the 498 was replayed with a new token"
    )
    assert.equal(sim.stats().tokenRequestsTotal, 2)
  })

  test("7f. tokenCooldownMillis sets how long bad credentials are remembered", async (s) => {
    const sim = await s.simulator()
    const wrong = { key: SAMPLE_CLIENT.key, secret: WRONG_SECRET }
    const remembering = s.client({ baseUrl: sim.url, credentials: wrong })
    for (let i = 0; i < 3; i++) {
      assertTagged(await rejection("7f default", remembering.fetch(CUSTOMER)), { _tag: "InvalidCredentials" })
    }
    assert.equal(sim.stats().tokenRequestsTotal, 1, "the default cooldown (30 s) asks once")
    const forgetting = s.client({ baseUrl: sim.url, credentials: wrong, tokenCooldownMillis: 0 })
    for (let i = 0; i < 3; i++) {
      assertTagged(await rejection("7f zero", forgetting.fetch(CUSTOMER)), { _tag: "InvalidCredentials" })
    }
    assert.equal(sim.stats().tokenRequestsTotal, 4, "no cooldown: each call asks")
  })

  // -------------------------------------------------------------------------------------------------------
  // 6. No secret or token in any error.

  test("6. no error collected in this suite shows a secret, a till password or a token, in any form", async () => {
    const known = [
      SECRET,
      WRONG_SECRET,
      SAMPLE_CLIENT.secret,
      tillPassword,
      md5hex(tillPassword),
      basicAuthorization(SAMPLE_TILL.id, tillPassword),
      ...tokensUsed
    ]
    assert.ok(tokensUsed.size >= 10, `only ${tokensUsed.size} tokens seen`)
    const forms = known.flatMap((value) => [value, JSON.stringify(value).slice(1, -1)])
    // Every section with errors contributed (a guard against this check passing on nothing).
    const sections = new Set(collected.map((c) => c.where.split(" ")[0]?.replace(/[a-z]$/, "")))
    assert.deepEqual([...sections].sort(), ["1", "3", "4", "5", "7"])
    for (const { where, error } of collected) {
      const e = error as Tagged
      const shown = [
        String(e),
        e.message,
        inspect(e),
        JSON.stringify(e) ?? "",
        typeof e.excerpt === "string" ? e.excerpt : ""
      ]
      for (const text of shown) {
        for (const value of forms) {
          if (text.includes(value)) throw new Error(`${where}: ${value.slice(0, 40)} shows in ${text}`)
        }
      }
    }
  })
}
