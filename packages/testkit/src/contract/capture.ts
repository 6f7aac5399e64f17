/**
 * The contract of a capauth Capture client (`createCaptureClient` of `@capauth/node`, `@capauth/deno`, ...; they
 * share core's CapturePromiseClient) against the simulator's Capture side, written once and run by a thin runner
 * per runtime: client calls in each of the three client authentication modes (and where the secret travels in
 * each), the code flow and the session's access token, `tokens()`, resuming from a refresh token, single-use
 * refresh tokens rotated once under 200 concurrent callers, a 414 cured by one refresh and one retry (never a
 * loop), creation tokens, the fields of `stat: "error"` rejections in both error spellings, the code mapping,
 * configuration errors from options and from the `CAPTURE_*` variables, `close()`, and no secret, code or token
 * in any error.
 *
 * Everything runtime-specific comes from the runner: how a test is declared, the client factory, how an
 * environment variable is read and set, how a value is revealed (`Redacted.value`) and inspected. The suite
 * imports neither `@capauth/core` nor any runtime API and checks errors by their `_tag` and fields. Each test
 * starts its own simulator and closes it, and every client it made, before it ends; the `CAPTURE_*` variables are
 * cleared for each test and restored after it.
 *
 * @example
 * // vitest on Node
 * describe("capture contract", () => {
 *   captureContract({
 *     test: (name, fn) => void it(name, fn),
 *     createCaptureClient,
 *     env: { get: (name) => process.env[name], set: (name, value) => ... },
 *     reveal: Redacted.value,
 *     inspect: (value) => inspect(value, { depth: 10, showHidden: true })
 *   })
 * })
 * @module
 * @since 0.1.0
 */
import assert from "node:assert/strict"
import { SAMPLE_CAPTURE_CLIENT, SAMPLE_CAPTURE_USER } from "../defaults.ts"
import { type Simulator, startSimulator } from "../simulator.ts"
import type { RequestLogEntry, SimulatorOptions } from "../types.ts"
import type { ContractEnv } from "./client.ts"
import { collector, type Tagged } from "./collect.ts"
import { envOverride } from "./env.ts"

// ---------------------------------------------------------------------------------------------------------
// What a runner supplies.

/**
 * A user session as the contract drives it (`exchangeCode`, `session`).
 *
 * @since 0.1.0
 * @category models
 */
export interface CaptureContractSession<Secret> {
  readonly key: string
  call(
    operation: string,
    params?: Readonly<Record<string, unknown>>
  ): Promise<Readonly<Record<string, unknown>>>
  tokens(): Promise<{ readonly accessToken: Secret; readonly refreshToken: Secret; readonly expiresAt: Date }>
  close(): Promise<void>
}

/**
 * The part of a capauth Capture Promise client the contract drives.
 *
 * @since 0.1.0
 * @category models
 */
export interface CaptureContractClient<Secret> {
  call(
    operation: string,
    params?: Readonly<Record<string, unknown>>
  ): Promise<Readonly<Record<string, unknown>>>
  authorizationCode(options: {
    readonly typeName: string
    readonly uuid: string
    readonly redirectUri: string
  }): Promise<Secret>
  exchangeCode(options: {
    readonly code: NoInfer<Secret> | string
    readonly redirectUri: string
  }): Promise<CaptureContractSession<Secret>>
  session(options: {
    readonly refreshToken?: NoInfer<Secret> | string
    readonly key?: string
  }): CaptureContractSession<Secret>
  creationToken(options: {
    readonly typeName: string
    readonly lifetime?: number
  }): Promise<{ readonly value: Secret; readonly expiresAt: Date }>
  close(): Promise<void>
}

/**
 * A runtime's runner of the Capture contract.
 *
 * @since 0.1.0
 * @category models
 */
export interface CaptureRunner<Options, Secret> {
  /** Declares one test (`it` of vitest, `Deno.test`, ...). Tests must run one at a time, in order. */
  readonly test: (name: string, fn: () => Promise<void>) => void
  /**
   * The runtime's `createCaptureClient`: each of `baseUrl`, `clientId`, `clientSecret` and `clientAuth` left out
   * is read from its `CAPTURE_*` variable; throws `ConfigError` at once.
   */
  readonly createCaptureClient: (options?: Options) => CaptureContractClient<Secret>
  /** The environment the runtime's client reads (the `CAPTURE_*` variables); each test clears, then restores it. */
  readonly env: ContractEnv
  /** Reveals a secret value (`Redacted.value`). */
  readonly reveal: (secret: Secret) => string
  /** Renders a value as the runtime's console would (`util.inspect`, `Deno.inspect`), deeply. */
  readonly inspect: (value: unknown) => string
}

// ---------------------------------------------------------------------------------------------------------
// Known values.

/** The variables every adapter reads. */
const ENV_VARS = [
  "CAPTURE_BASE_URL",
  "CAPTURE_CLIENT_ID",
  "CAPTURE_CLIENT_SECRET",
  "CAPTURE_CLIENT_AUTH"
] as const
type EnvVar = (typeof ENV_VARS)[number]
type EnvVars = Partial<Record<EnvVar, string>>

const MODES = ["basic", "params", "signed"] as const
type Mode = (typeof MODES)[number]

const CLIENT_ID = SAMPLE_CAPTURE_CLIENT.clientId
/** Short, so no "looks like a secret" pattern masks it: only scrubbing by value can. */
const SECRET = SAMPLE_CAPTURE_CLIENT.clientSecret
const WRONG_SECRET = "not-the-secret"
/** The secret of the configuration error tests (never valid anywhere). */
const CONFIG_SECRET = "cfg-s3kret"
const TTL_MILLIS = (SAMPLE_CAPTURE_CLIENT.accessTokenTtlSeconds ?? 3600) * 1000
const UUID = SAMPLE_CAPTURE_USER.uuid
const REDIRECT_URI = "https://app.example.com/capture/callback"
/** What `Authorization: Basic` carries for the sample client: the secret in base64. */
const BASIC = `Basic ${btoa(`${CLIENT_ID}:${SECRET}`)}`
const credentials = { clientId: CLIENT_ID, clientSecret: SECRET }

/** An error as this contract reads it: collect.ts's fields and Capture's own. */
type CaptureTagged = Tagged & { readonly error?: string; readonly description?: string }

/** Each of `fields` equals the error's own (`_tag`, `code`, `error`, ...). */
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

/** Capture's request ids (`request_id` / `request_token`) as the simulator makes them. */
const REQUEST_ID = /^[a-z0-9]{16}$/

/** The form fields a Capture request carried, as the simulator logged them (`client_secret` redacted). */
const formOf = (entry: RequestLogEntry): Readonly<Record<string, string>> =>
  typeof entry.body === "object" && entry.body !== null ? (entry.body as Record<string, string>) : {}

/** A client-authenticated request, as sent in `mode`: where the credentials went, and where they did not. */
const assertClientAuth = (entry: RequestLogEntry, mode: Mode) => {
  const where = `${entry.method} ${entry.path} in ${mode} mode`
  const form = formOf(entry)
  const headers = JSON.stringify(entry.headers)
  assert.ok(!JSON.stringify(form).includes(SECRET), `${where}: the secret is in the body`)
  assert.equal(form.access_token, undefined, `${where}: an access_token parameter`)
  switch (mode) {
    case "basic":
      assert.equal(entry.headers.authorization, BASIC, where)
      assert.equal(form.client_id, undefined, `${where}: client_id in the body`)
      assert.equal(form.client_secret, undefined, `${where}: client_secret in the body`)
      break
    case "signed":
      assert.match(
        entry.headers.authorization ?? "",
        new RegExp(`^Signature ${CLIENT_ID}:[A-Za-z0-9+/]+=*$`),
        where
      )
      assert.match(entry.headers.date ?? "", /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, where)
      assert.equal(form.client_id, undefined, `${where}: client_id in the body`)
      assert.equal(form.client_secret, undefined, `${where}: client_secret in the body`)
      assert.ok(
        !headers.includes(SECRET) && !headers.includes(BASIC.slice(6)),
        `${where}: the secret in a header`
      )
      break
    case "params":
      assert.equal(entry.headers.authorization, undefined, `${where}: an Authorization header`)
      assert.equal(form.client_id, CLIENT_ID, where)
      assert.equal(form.client_secret, "[redacted]", `${where}: no client_secret in the body`)
      assert.ok(
        !headers.includes(SECRET) && !headers.includes(BASIC.slice(6)),
        `${where}: the secret in a header`
      )
      break
  }
}

/** A request made with a user's access token: `Authorization: OAuth <token>` and no client credential at all. */
const assertAccessToken = (entry: RequestLogEntry, token: string) => {
  const where = `${entry.method} ${entry.path} with the access token`
  const form = formOf(entry)
  assert.equal(entry.headers.authorization, `OAuth ${token}`, where)
  for (const name of ["client_id", "client_secret", "access_token"]) {
    assert.equal(form[name], undefined, `${where}: ${name} in the body`)
  }
  const sent = JSON.stringify([entry.headers, form])
  assert.ok(!sent.includes(SECRET) && !sent.includes(BASIC.slice(6)), `${where}: the secret was sent`)
}

// ---------------------------------------------------------------------------------------------------------

/**
 * Declares the Capture contract's tests with `runner.test`, in order; the last one checks every error collected
 * by the others, so run them all (no filtering) for that one to mean something.
 *
 * @since 0.1.0
 * @category testing
 */
export const captureContract = <Options, Secret>(runner: CaptureRunner<Options, Secret>): void => {
  const { env, inspect, reveal } = runner
  /** Every code and token value seen (the simulators' records, added as they close, and what tests revealed). */
  const secretsSeen = new Set<string>()
  /** Every rejection and throw in the suite, checked by the last test. */
  const { collected, rejection, thrown } = collector()

  /** What one test opened: clients closed, simulators shut down and the environment restored when it ends. */
  const scope = () => {
    const sims: Array<Simulator> = []
    const clients: Array<CaptureContractClient<Secret>> = []
    const environment = envOverride(env, ENV_VARS)

    const simulator = async (options: SimulatorOptions = {}) => {
      const sim = await startSimulator({ port: 0, ...options })
      sims.push(sim)
      return sim
    }

    const client = (options: Record<string, unknown>) => {
      const capture = runner.createCaptureClient(options as Options)
      clients.push(capture)
      return capture
    }
    const fromEnv = () => {
      const capture = runner.createCaptureClient()
      clients.push(capture)
      return capture
    }

    /** Sets exactly `vars` among the CAPTURE_* variables (the rest unset) until the test ends. */
    const setEnv = (vars: EnvVars) => environment.set(vars)

    const dispose = async () => {
      await Promise.allSettled(clients.splice(0).map((c) => c.close()))
      for (const sim of sims.splice(0)) {
        for (const t of sim.capture.tokens) {
          secretsSeen.add(t.accessToken)
          secretsSeen.add(t.refreshToken)
        }
        for (const r of sim.capture.requests) {
          for (const name of ["code", "refresh_token", "creation_token"]) {
            const value = r.params[name]
            if (value !== undefined && value !== "") secretsSeen.add(value)
          }
        }
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
        // A developer's own CAPTURE_* settings must not fill in what a test leaves out.
        s.setEnv({})
        await body(s)
      } finally {
        await s.dispose()
      }
    })

  /** A simulator and a client of it with the sample client's credentials. */
  const started = async (s: Scope, extra: Record<string, unknown> = {}, options: SimulatorOptions = {}) => {
    const sim = await s.simulator(options)
    const capture = s.client({ baseUrl: sim.captureUrl, ...credentials, ...extra })
    return { sim, capture }
  }

  /** The code flow: a code for the sample user, exchanged for a session. */
  const open = async (capture: CaptureContractClient<Secret>) => {
    const code = await capture.authorizationCode({ typeName: "user", uuid: UUID, redirectUri: REDIRECT_URI })
    secretsSeen.add(reveal(code))
    return capture.exchangeCode({ code, redirectUri: REDIRECT_URI })
  }

  /** The requests that reached `path` (under `/capture`), faulted ones included. */
  const requestsTo = (sim: Simulator, path: string) =>
    sim.requests.filter((r) => r.path === `/capture${path}`)
  const refreshes = (sim: Simulator) => sim.capture.stats().tokenRequests.refresh_token ?? 0
  const refreshRequests = (sim: Simulator) =>
    sim.capture.requests.filter(
      (r) => r.operation === "/oauth/token" && r.params.grant_type === "refresh_token"
    )

  // -------------------------------------------------------------------------------------------------------
  // 1. Client calls, in each client authentication mode.

  for (const mode of MODES) {
    const where = mode === "params" ? "never in a header" : "never in a body"
    test(`1. ${mode}: call("entity.count") and every client operation authenticate the client (the secret ${where})`, async (s) => {
      const { sim, capture } = await started(s, { clientAuth: mode })
      assert.deepEqual(await capture.call("entity.count", { type_name: "user" }), {
        stat: "ok",
        total_count: 1
      })
      const session = await open(capture)
      assert.equal(typeof session.key, "string")
      const created = await capture.creationToken({ typeName: "user", lifetime: 60 })
      secretsSeen.add(reveal(created.value))
      assert.deepEqual(
        sim.capture.requests.map((r) => [r.operation, r.auth, r.clientId, r.stat]),
        [
          ["/entity.count", mode, CLIENT_ID, "ok"],
          ["/access/getAuthorizationCode", mode, CLIENT_ID, "ok"],
          ["/oauth/token", mode, CLIENT_ID, "ok"],
          ["/access/getCreationToken", mode, CLIENT_ID, "ok"]
        ]
      )
      const sent = sim.requests.filter((r) => r.path.startsWith("/capture/"))
      assert.equal(sent.length, 4)
      for (const entry of sent) {
        assert.equal(entry.method, "POST")
        assert.match(entry.headers["content-type"] ?? "", /^application\/x-www-form-urlencoded/)
        assertClientAuth(entry, mode)
      }
      assert.deepEqual(sim.capture.stats().signatureChecks, { passed: mode === "signed" ? 4 : 0, failed: 0 })
    })
  }

  // -------------------------------------------------------------------------------------------------------
  // 2. The code flow: the session carries the user's access token, never the client's credentials.

  for (const mode of MODES) {
    test(`2. ${mode}: authorizationCode -> exchangeCode -> session.call carries the access token, never the client's credentials`, async (s) => {
      const { sim, capture } = await started(s, { clientAuth: mode })
      const code = await capture.authorizationCode({
        typeName: "user",
        uuid: UUID,
        redirectUri: REDIRECT_URI
      })
      const codeValue = reveal(code)
      secretsSeen.add(codeValue)
      assert.ok(codeValue.length > 0)
      for (const shown of [String(code), JSON.stringify(code) ?? "", inspect(code)]) {
        assert.ok(!shown.includes(codeValue), `the code shows in ${shown}`)
      }
      const session = await capture.exchangeCode({ code, redirectUri: REDIRECT_URI })
      const exchange = sim.capture.requests.find((r) => r.operation === "/oauth/token")
      assert.equal(exchange?.params.grant_type, "authorization_code")
      assert.equal(exchange?.params.code, codeValue)
      assert.equal(exchange?.params.redirect_uri, REDIRECT_URI)

      const me = await session.call("entity", { type_name: "user" })
      assert.equal(me.stat, "ok")
      assert.equal((me.result as { uuid?: unknown } | undefined)?.uuid, UUID)
      await session.call("entity.update", { attributes: { givenName: "Ada" } })
      assert.equal(sim.capture.user(UUID)?.givenName, "Ada")
      assert.equal(sim.capture.writes.at(-1)?.principal, `access_token:${CLIENT_ID}`)

      assert.equal(sim.capture.tokens.length, 1, "one token pair: the exchange's")
      const token = sim.capture.tokens[0]?.accessToken ?? ""
      for (const path of ["/entity", "/entity.update"]) {
        const sent = requestsTo(sim, path)
        assert.equal(sent.length, 1, path)
        assertAccessToken(sent[0] as RequestLogEntry, token)
      }
      assert.deepEqual(
        sim.capture.requests.slice(-2).map((r) => [r.operation, r.auth, r.clientId]),
        [
          ["/entity", "access_token", CLIENT_ID],
          ["/entity.update", "access_token", CLIENT_ID]
        ]
      )
      assert.equal(refreshes(sim), 0, "the session starts with the exchanged access token")
    })
  }

  // -------------------------------------------------------------------------------------------------------
  // 3. tokens(): Redacted values, expiresAt.

  test("3. session.tokens() is { accessToken, refreshToken, expiresAt }: Redacted values that show only when revealed", async (s) => {
    const { sim, capture } = await started(s)
    const before = Date.now()
    const session = await open(capture)
    const tokens = await session.tokens()
    const after = Date.now()
    assert.deepEqual(Object.keys(tokens).sort(), ["accessToken", "expiresAt", "refreshToken"])
    const issued = sim.capture.tokens.at(-1)
    assert.equal(reveal(tokens.accessToken), issued?.accessToken)
    assert.equal(reveal(tokens.refreshToken), issued?.refreshToken)
    assert.ok(tokens.expiresAt instanceof Date)
    const expiresAt = tokens.expiresAt.getTime()
    assert.ok(
      expiresAt >= before + TTL_MILLIS && expiresAt <= after + TTL_MILLIS,
      "expiresAt is when the exchange was sent plus expires_in"
    )
    const values = [issued?.accessToken ?? "", issued?.refreshToken ?? "", SECRET]
    const shown = [
      String(tokens.accessToken),
      String(tokens.refreshToken),
      `${tokens.accessToken}`,
      JSON.stringify(tokens),
      inspect(tokens),
      inspect(session),
      JSON.stringify(session) ?? "",
      inspect(capture),
      JSON.stringify(capture) ?? "",
      session.key
    ]
    for (const text of shown) {
      for (const value of values) assert.ok(!text.includes(value), `${value.slice(0, 6)}… shows in ${text}`)
    }
    assert.equal(refreshes(sim), 0)
  })

  // -------------------------------------------------------------------------------------------------------
  // 4. Resuming a session.

  test("4. capture.session({ refreshToken }) resumes from a string and from a Redacted (and by key), sending nothing until used", async (s) => {
    const { sim, capture } = await started(s)
    const first = await open(capture)
    const { refreshToken: rt1 } = await first.tokens()
    await first.close()

    const seen = sim.requests.length
    const fromString = capture.session({ refreshToken: reveal(rt1) })
    assert.equal(typeof fromString.key, "string")
    assert.ok(!fromString.key.includes(reveal(rt1)), "the key is not the refresh token")
    assert.equal(sim.requests.length, seen, "resuming sends nothing until the session is used")
    const me = await fromString.call("entity", { type_name: "user" })
    assert.equal((me.result as { uuid?: unknown } | undefined)?.uuid, UUID)
    assert.deepEqual(
      refreshRequests(sim).map((r) => r.params.refresh_token),
      [reveal(rt1)]
    )
    const { refreshToken: rt2, accessToken } = await fromString.tokens()
    assert.notEqual(reveal(rt2), reveal(rt1), "the refresh token rotated")
    assert.equal(reveal(accessToken), sim.capture.tokens.at(-1)?.accessToken)

    const fromRedacted = capture.session({ refreshToken: rt2 })
    assert.equal((await fromRedacted.call("entity")).stat, "ok")
    assert.deepEqual(
      refreshRequests(sim).map((r) => r.params.refresh_token),
      [reveal(rt1), reveal(rt2)]
    )

    // The store holds the newest refresh token under the session's key.
    const { refreshToken: rt3 } = await fromRedacted.tokens()
    const byKey = capture.session({ key: fromRedacted.key })
    assert.equal((await byKey.call("entity")).stat, "ok")
    assert.deepEqual(
      refreshRequests(sim).map((r) => r.params.refresh_token),
      [reveal(rt1), reveal(rt2), reveal(rt3)]
    )
    assert.equal(sim.capture.stats().refreshTokenReuse, 0)
  })

  // -------------------------------------------------------------------------------------------------------
  // 5. Rotation under concurrency.

  test("5. 200 concurrent callers on an expired session (expireAccessTokens): exactly one oauth/token refresh", async (s) => {
    const { sim, capture } = await started(s)
    const session = await open(capture)
    assert.equal((await session.call("entity")).stat, "ok")
    sim.capture.expireAccessTokens()
    const answers = await Promise.all(Array.from({ length: 200 }, () => session.call("entity")))
    assert.equal(answers.length, 200)
    for (const answer of answers) assert.equal(answer.stat, "ok")
    assert.equal(refreshes(sim), 1, "one refresh for 200 callers")
    const stats = sim.capture.stats()
    assert.equal(stats.refreshTokenReuse, 0)
    assert.equal(stats.tokensIssued, 2)
    const [stale, fresh] = sim.capture.tokens.map((t) => t.accessToken)
    // What each /entity request carried (sim.requests) and how it was answered (sim.capture.requests).
    const answered = sim.capture.requests.filter((r) => r.operation === "/entity")
    const sent = new Map(requestsTo(sim, "/entity").map((r) => [r.requestId, r]))
    assert.equal(sent.size, answered.length)
    const expired = answered.filter((r) => r.code === 414).length
    assert.ok(expired >= 1 && expired <= 200, `${expired} answers 414`)
    assert.equal(
      answered.filter((r) => r.stat === "ok").length,
      201,
      "each call answered once, retries included"
    )
    answered.forEach((r, i) => {
      // The stale token was refused, and every call after the refresh carried the new one.
      const token = i === 0 || r.code === 414 ? stale : fresh
      assertAccessToken(sent.get(r.requestId) as RequestLogEntry, token ?? "")
    })
  })

  test("5. 200 concurrent callers on a session resumed from a refresh token: exactly one refresh", async (s) => {
    const { sim, capture } = await started(s)
    const first = await open(capture)
    const { refreshToken } = await first.tokens()
    await first.close()
    const resumed = capture.session({ refreshToken })
    const answers = await Promise.all(Array.from({ length: 200 }, () => resumed.call("entity")))
    for (const answer of answers) assert.equal(answer.stat, "ok")
    assert.equal(refreshes(sim), 1)
    assert.equal(sim.capture.stats().refreshTokenReuse, 0)
    const fresh = sim.capture.tokens[1]?.accessToken ?? ""
    const calls = requestsTo(sim, "/entity")
    assert.equal(calls.length, 200)
    for (const entry of calls) assertAccessToken(entry, fresh)
  })

  // -------------------------------------------------------------------------------------------------------
  // 6. 414: one refresh and one retry, never a loop.

  test("6. a 414 refreshes once and sends the call once more; a 414 again is final (TokenExpired 414), never a loop", async (s) => {
    const { sim, capture } = await started(s)
    const session = await open(capture)
    assert.equal((await session.call("entity")).stat, "ok")
    sim.capture.expireAccessTokens()
    let seen = requestsTo(sim, "/entity").length
    assert.equal((await session.call("entity")).stat, "ok")
    const cured = requestsTo(sim, "/entity").slice(seen)
    assert.equal(cured.length, 2, "the call and its one retry")
    assert.deepEqual(
      sim.capture.requests
        .filter((r) => r.operation === "/entity")
        .slice(-2)
        .map((r) => r.code ?? r.stat),
      [414, "ok"]
    )
    assert.equal(refreshes(sim), 1)

    sim.faults.add({
      path: "/capture/entity",
      fault: { kind: "status", status: 200, errorCode: 414 },
      times: 10
    })
    seen = requestsTo(sim, "/entity").length
    const error = await rejection("6 414 again after the refresh", session.call("entity"))
    assertTagged(error, { _tag: "TokenExpired", code: 414, error: "access_token_expired" })
    assert.match(error.requestId ?? "", REQUEST_ID)
    assert.equal(requestsTo(sim, "/entity").length - seen, 2, "the call and one retry, no more")
    assert.equal(refreshes(sim), 2, "one refresh for that call")
    sim.faults.clear()
    assert.equal((await session.call("entity")).stat, "ok", "the session goes on")
  })

  // -------------------------------------------------------------------------------------------------------
  // 7. Single-use refresh tokens.

  test("7. a used refresh token is refused: InvalidCredentials 210 (HTTP 400), and the refused session sends no more", async (s) => {
    const { sim, capture } = await started(s)
    const first = await open(capture)
    const { refreshToken } = await first.tokens()
    await first.close()
    const a = capture.session({ refreshToken, key: "contract-a" })
    assert.equal((await a.call("entity")).stat, "ok")
    const b = capture.session({ refreshToken, key: "contract-b" })
    const error = await rejection("7 a spent refresh token", b.call("entity"))
    assertTagged(error, { _tag: "InvalidCredentials", code: 210, error: "invalid_credentials", status: 400 })
    assert.match(error.requestId ?? "", REQUEST_ID)
    assert.equal(typeof (error as CaptureTagged).description, "string")
    assert.equal(sim.capture.stats().refreshTokenReuse, 1)
    const sent = refreshRequests(sim).length
    const again = await rejection("7 the refused session again", b.tokens())
    assertTagged(again, { _tag: "InvalidCredentials", code: 210 })
    assert.equal(refreshRequests(sim).length, sent, "a refused refresh token is not sent again at once")
    assert.equal((await a.call("entity")).stat, "ok", "the session that rotated it goes on")
  })

  // -------------------------------------------------------------------------------------------------------
  // 8. Creation tokens.

  test("8. creationToken({ typeName, lifetime }) is { value: Redacted, expiresAt }; entity.create accepts it once, with no client credentials", async (s) => {
    const { sim, capture } = await started(s)
    const before = Date.now()
    const token = await capture.creationToken({ typeName: "user", lifetime: 120 })
    const after = Date.now()
    const value = reveal(token.value)
    secretsSeen.add(value)
    assert.ok(value.length > 0)
    assert.ok(token.expiresAt instanceof Date)
    const expiresAt = token.expiresAt.getTime()
    assert.ok(expiresAt >= before + 120_000 && expiresAt <= after + 120_000, "expiresAt is sent + lifetime")
    for (const shown of [String(token.value), JSON.stringify(token), inspect(token)]) {
      assert.ok(!shown.includes(value), `the creation token shows in ${shown}`)
    }
    const asked = sim.capture.requests.at(-1)
    assert.equal(asked?.operation, "/access/getCreationToken")
    assert.equal(asked?.params.type_name, "user")
    assert.equal(asked?.params.lifetime, "120")

    // What a browser does with it: no client id, no secret.
    const create = async () => {
      const response = await fetch(`${sim.captureUrl}/entity.create`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          type_name: "user",
          attributes: JSON.stringify({ email: "new.user@example.com" }),
          creation_token: value
        }).toString()
      })
      return (await response.json()) as Record<string, unknown>
    }
    const created = await create()
    assert.equal(created.stat, "ok")
    assert.equal(typeof created.uuid, "string")
    const write = sim.capture.writes.at(-1)
    assert.equal(write?.operation, "entity.create")
    assert.equal(write?.principal, `creation_token:${CLIENT_ID}`)
    assert.equal(sim.capture.user(String(created.uuid))?.email, "new.user@example.com")
    const second = await create()
    assert.equal(second.stat, "error")
    assert.equal(second.code, 417)
    assert.equal(second.error, "creation_token_expired")
    const stats = sim.capture.stats()
    assert.equal(stats.creationTokensIssued, 1)
    assert.equal(stats.creationTokensRedeemed, 1)
  })

  // -------------------------------------------------------------------------------------------------------
  // 9. The fields of stat "error" rejections, in both spellings.

  const styles = [
    ["standard", "error_description + request_id", "request_id"],
    ["legacy", "message + request_token", "request_token"]
  ] as const
  for (const [style, spelling, idKey] of styles) {
    test(`9. stat "error" rejections carry _tag, code, error, description and requestId (${style}: ${spelling})`, async (s) => {
      const { sim, capture } = await started(s)
      sim.capture.setErrorStyle(style)
      // The simulator does answer in that spelling.
      const raw = await fetch(`${sim.captureUrl}/entity.count`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: BASIC },
        body: "type_name=nope"
      })
      const envelope = (await raw.json()) as Record<string, unknown>
      assert.match(String(envelope[idKey]), REQUEST_ID)

      const refused = await rejection(`9 ${style} call`, capture.call("entity.count", { type_name: "nope" }))
      assertTagged(refused, {
        _tag: "CaptureError",
        code: 200,
        error: "invalid_argument",
        description: "unknown entity type nope"
      })
      assert.match(refused.requestId ?? "", REQUEST_ID)

      // oauth/token answers its errors with HTTP 400: a code exchanged twice.
      const code = await capture.authorizationCode({
        typeName: "user",
        uuid: UUID,
        redirectUri: REDIRECT_URI
      })
      secretsSeen.add(reveal(code))
      await capture.exchangeCode({ code, redirectUri: REDIRECT_URI })
      const spent = await rejection(
        `9 ${style} exchange`,
        capture.exchangeCode({ code, redirectUri: REDIRECT_URI })
      )
      assertTagged(spent, {
        _tag: "TokenExpired",
        code: 415,
        error: "authorization_code_expired",
        description: "the authorization code has already been used",
        status: 400
      })
      assert.match(spent.requestId ?? "", REQUEST_ID)
    })
  }

  // -------------------------------------------------------------------------------------------------------
  // 10-11. The code mapping.

  test("10. a wrong secret is InvalidCredentials 402 in every client auth mode (HTTP 401 on oauth/token)", async (s) => {
    const sim = await s.simulator()
    for (const mode of MODES) {
      const capture = s.client({
        baseUrl: sim.captureUrl,
        clientId: CLIENT_ID,
        clientSecret: WRONG_SECRET,
        clientAuth: mode
      })
      const error = await rejection(`10 ${mode} call`, capture.call("entity.count", { type_name: "user" }))
      assertTagged(error, { _tag: "InvalidCredentials", code: 402, error: "invalid_client_credentials" })
      assert.match(error.requestId ?? "", REQUEST_ID)
      const exchange = await rejection(
        `10 ${mode} exchange`,
        capture.exchangeCode({ code: "not-a-code-at-all", redirectUri: REDIRECT_URI })
      )
      assertTagged(exchange, { _tag: "InvalidCredentials", code: 402, status: 401 })
    }
    assert.equal(sim.capture.stats().signatureChecks.failed, 2)
  })

  test("11. 480 is ServiceUnavailable and 510 RateLimited once the bounded retries run out; a lone 480 is retried away", async (s) => {
    const { sim, capture } = await started(s, { backoff: { maxAttempts: 3, baseMillis: 1, maxMillis: 10 } })
    const path = "/capture/entity.count"
    sim.faults.add({ path, fault: { kind: "status", status: 200, errorCode: 480 }, times: 1 })
    assert.equal((await capture.call("entity.count", { type_name: "user" })).total_count, 1)
    assert.equal(requestsTo(sim, "/entity.count").length, 2)
    const cases = [
      [480, "ServiceUnavailable", "api_feature_disabled"],
      [510, "RateLimited", "api_limit_error"]
    ] as const
    for (const [code, tag, name] of cases) {
      sim.faults.clear()
      sim.faults.add({ path, fault: { kind: "status", status: 200, errorCode: code } })
      const seen = requestsTo(sim, "/entity.count").length
      const error = await rejection(`11 ${code}`, capture.call("entity.count", { type_name: "user" }))
      assertTagged(error, { _tag: tag, code, error: name })
      assert.match(error.requestId ?? "", REQUEST_ID)
      assert.equal(requestsTo(sim, "/entity.count").length - seen, 3, "maxAttempts requests, no more")
    }
  })

  // -------------------------------------------------------------------------------------------------------
  // 12. Configuration errors, at construction, naming what to fix.

  const shows = (error: Tagged, value: string) =>
    [error.message, String(error), JSON.stringify(error) ?? "", inspect(error)].some((t) => t.includes(value))

  const valid = {
    CAPTURE_BASE_URL: "https://myapp.us.janraincapture.com",
    CAPTURE_CLIENT_ID: "env-id",
    CAPTURE_CLIENT_SECRET: CONFIG_SECRET
  }
  const envCases: ReadonlyArray<readonly [string, EnvVars, EnvVar]> = [
    ["nothing set", {}, "CAPTURE_BASE_URL"],
    ["no client id", { CAPTURE_BASE_URL: valid.CAPTURE_BASE_URL }, "CAPTURE_CLIENT_ID"],
    [
      "no secret",
      { CAPTURE_BASE_URL: valid.CAPTURE_BASE_URL, CAPTURE_CLIENT_ID: "env-id" },
      "CAPTURE_CLIENT_SECRET"
    ],
    ["base URL not a URL", { ...valid, CAPTURE_BASE_URL: "not a url" }, "CAPTURE_BASE_URL"],
    [
      "plain http to a remote host",
      { ...valid, CAPTURE_BASE_URL: "http://myapp.us.janraincapture.com" },
      "CAPTURE_BASE_URL"
    ],
    ["a client id with a space", { ...valid, CAPTURE_CLIENT_ID: "env id" }, "CAPTURE_CLIENT_ID"],
    ["an unknown client auth", { ...valid, CAPTURE_CLIENT_AUTH: "oauth" }, "CAPTURE_CLIENT_AUTH"]
  ]
  for (const [title, vars, named] of envCases) {
    test(`12. from the environment, ${title}: a ConfigError naming ${named}`, async (s) => {
      s.setEnv(vars)
      const error = thrown(`12 env ${title}`, () => s.fromEnv())
      assertTagged(error, { _tag: "ConfigError", field: named })
      assert.ok(error.message.includes(named), error.message)
      assert.ok(!shows(error, CONFIG_SECRET), `the secret shows in ${error.message}`)
    })
  }

  const options = { baseUrl: valid.CAPTURE_BASE_URL, clientId: "opt-id", clientSecret: CONFIG_SECRET }
  const optionCases: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
    ["plain http to a remote host", { ...options, baseUrl: "http://myapp.us.janraincapture.com" }, "baseUrl"],
    [
      "a base URL with a password",
      { ...options, baseUrl: `https://u:${CONFIG_SECRET}@x.example` },
      "baseUrl"
    ],
    ["a base URL with a query", { ...options, baseUrl: "https://x.example/?a=1" }, "baseUrl"],
    ["a client id with a space", { ...options, clientId: "opt id" }, "clientId"],
    ["an empty secret", { ...options, clientSecret: "" }, "clientSecret"],
    ["an unknown client auth", { ...options, clientAuth: "digest" }, "clientAuth"],
    ["a token store of no known shape", { ...options, tokenStore: {} }, "tokenStore"],
    ["a timeout of zero", { ...options, timeoutMillis: 0 }, "timeoutMillis"],
    ["no attempt at all", { ...options, backoff: { maxAttempts: 0 } }, "backoff.maxAttempts"]
  ]
  for (const [title, given, field] of optionCases) {
    test(`12. from options, ${title}: a ConfigError naming ${field}`, async (s) => {
      // A valid environment fills only what the options leave out: it cannot repair a bad option.
      s.setEnv({ ...valid, CAPTURE_CLIENT_AUTH: "basic" })
      const error = thrown(`12 options ${title}`, () => s.client(given))
      assertTagged(error, { _tag: "ConfigError", field })
      assert.ok(error.message.includes(field), error.message)
      assert.ok(!shows(error, CONFIG_SECRET), `the secret shows in ${error.message}`)
    })
  }

  test("12. an invalid option sends nothing; a complete environment gives a working client; options win over it", async (s) => {
    const sim = await s.simulator()
    thrown("12 nothing sent", () =>
      s.client({ baseUrl: sim.captureUrl, ...credentials, clientAuth: "digest" })
    )
    assert.equal(sim.requests.length, 0, "an invalid client sent a request")
    s.setEnv({
      CAPTURE_BASE_URL: sim.captureUrl,
      CAPTURE_CLIENT_ID: CLIENT_ID,
      CAPTURE_CLIENT_SECRET: SECRET,
      CAPTURE_CLIENT_AUTH: "signed"
    })
    assert.equal((await s.fromEnv().call("entity.count", { type_name: "user" })).total_count, 1)
    assert.equal(sim.capture.requests.at(-1)?.auth, "signed")
    const params = s.client({ clientAuth: "params" })
    assert.equal((await params.call("entity.count", { type_name: "user" })).total_count, 1)
    assert.equal(sim.capture.requests.at(-1)?.auth, "params")
    s.setEnv({
      CAPTURE_BASE_URL: sim.captureUrl,
      CAPTURE_CLIENT_ID: CLIENT_ID,
      CAPTURE_CLIENT_SECRET: WRONG_SECRET
    })
    const right = s.client({ clientSecret: SECRET })
    assert.equal((await right.call("entity.count", { type_name: "user" })).total_count, 1)
    assert.equal(sim.capture.requests.at(-1)?.auth, "basic")
  })

  // -------------------------------------------------------------------------------------------------------
  // 13. close().

  test("13. close() is idempotent; then every call rejects with ConfigError and sends nothing (a closed session too)", async (s) => {
    const { sim, capture } = await started(s)
    const ended = await open(capture)
    const { refreshToken } = await ended.tokens()
    await ended.close()
    await ended.close()
    for (const [name, call] of [
      ["call", () => ended.call("entity")],
      ["tokens", () => ended.tokens()]
    ] as const) {
      const error = await rejection(`13 closed session ${name}`, call())
      assertTagged(error, { _tag: "ConfigError" })
      assert.match(error.message, /closed/)
    }
    const live = await open(capture)
    assert.equal((await capture.call("entity.count", { type_name: "user" })).stat, "ok", "the client goes on")

    await capture.close()
    await capture.close()
    const seen = sim.requests.length
    const calls: ReadonlyArray<readonly [string, () => PromiseLike<unknown>]> = [
      ["call", () => capture.call("entity.count", { type_name: "user" })],
      [
        "authorizationCode",
        () => capture.authorizationCode({ typeName: "user", uuid: UUID, redirectUri: REDIRECT_URI })
      ],
      ["exchangeCode", () => capture.exchangeCode({ code: "any-code-at-all", redirectUri: REDIRECT_URI })],
      ["creationToken", () => capture.creationToken({ typeName: "user" })],
      ["session", () => Promise.resolve().then(() => capture.session({ refreshToken }).call("entity"))],
      ["open session call", () => live.call("entity")],
      ["open session tokens", () => live.tokens()]
    ]
    for (const [name, call] of calls) {
      const error = await rejection(`13 closed client ${name}`, call())
      assertTagged(error, { _tag: "ConfigError" })
      assert.match(error.message, /closed/)
    }
    assert.equal(sim.requests.length, seen, "a closed client sent a request")
  })

  // -------------------------------------------------------------------------------------------------------
  // 14-15. No secret, code or token in any error.

  test("14. a Capture error echoing the client secret, the code or the access token shows none of them", async (s) => {
    const { sim, capture } = await started(s, { clientAuth: "params" })
    const echo = (path: string, status: number, errorCode: number, message: string) =>
      sim.faults.add({
        path: `/capture${path}`,
        fault: { kind: "status", status, errorCode, message },
        times: 1
      })

    echo("/entity.count", 200, 200, `client_secret ${SECRET} is not accepted here`)
    const secret = await rejection("14 secret echoed", capture.call("entity.count", { type_name: "user" }))
    assertTagged(secret, { _tag: "CaptureError", code: 200 })
    assert.match((secret as CaptureTagged).description ?? "", /is not accepted here/)

    const code = await capture.authorizationCode({ typeName: "user", uuid: UUID, redirectUri: REDIRECT_URI })
    secretsSeen.add(reveal(code))
    echo("/oauth/token", 400, 415, `code ${reveal(code)} is spent`)
    const spent = await rejection("14 code echoed", capture.exchangeCode({ code, redirectUri: REDIRECT_URI }))
    assertTagged(spent, { _tag: "TokenExpired", code: 415, status: 400 })
    assert.match((spent as CaptureTagged).description ?? "", /is spent/)

    const session = await capture.exchangeCode({ code, redirectUri: REDIRECT_URI })
    const { accessToken } = await session.tokens()
    echo("/entity", 200, 413, `token ${reveal(accessToken)} grants nothing`)
    const denied = await rejection("14 access token echoed", session.call("entity"))
    assertTagged(denied, { _tag: "AccessDenied", code: 413 })
    assert.match((denied as CaptureTagged).description ?? "", /grants nothing/)
    for (const [error, value] of [
      [secret, SECRET],
      [spent, reveal(code)],
      [denied, reveal(accessToken)]
    ] as const) {
      const text = [String(error), (error as CaptureTagged).description ?? "", inspect(error)].join(" ")
      assert.ok(!text.includes(value), `${value.slice(0, 6)}… shows in ${text}`)
    }
  })

  test("15. no error collected in this suite shows a secret, a code or a token, in any form", async () => {
    const known = [SECRET, WRONG_SECRET, CONFIG_SECRET, BASIC.slice(6), ...secretsSeen]
    assert.ok(secretsSeen.size >= 20, `only ${secretsSeen.size} codes and tokens seen`)
    const forms = known.flatMap((value) => [value, JSON.stringify(value).slice(1, -1)])
    // Every section with errors contributed (a guard against this check passing on nothing).
    const sections = new Set(collected.map((c) => c.where.split(" ")[0]))
    assert.deepEqual([...sections].sort(), ["10", "11", "12", "13", "14", "6", "7", "9"])
    for (const { where, error } of collected) {
      const e = error as CaptureTagged
      const shown = [
        String(e),
        e.message,
        inspect(e),
        JSON.stringify(e) ?? "",
        typeof e.description === "string" ? e.description : "",
        typeof e.excerpt === "string" ? e.excerpt : ""
      ]
      for (const text of shown) {
        for (const value of forms) {
          if (text.includes(value)) throw new Error(`${where}: ${value.slice(0, 6)}… shows in ${text}`)
        }
      }
    }
  })
}
