/**
 * The contract of end-customer auth (`createCustomerAuth` of `@capauth/node`, `@capauth/deno`, ...; they share
 * core's CustomerPromiseClient) against the simulator's Auth Engine, written once and run by a thin runner per
 * runtime: the documented order of each flow (OTP on mobile and on the web, password), each Auth Engine code's
 * error, one regeneration for 100 concurrent calls on an expired token, no retry after the OTP limit, the
 * lifetime taken from the token's own `exp - iat`, resuming from a key, and no token, key, OTP or password in
 * anything a caller can print.
 *
 * The runner supplies how a test is declared, the factory, how a `Redacted` value is revealed and how a value is
 * inspected. The suite imports neither `@capauth/core` nor any runtime API and checks errors by `_tag` and
 * fields. Each test starts its own simulator and closes it, and every client it made, before it ends.
 *
 * @example
 * // vitest on Node
 * customerAuthContract({
 *   test: (name, fn) => void it(name, fn),
 *   createCustomerAuth,
 *   reveal: Redacted.value,
 *   inspect: (value) => inspect(value, { depth: 10, showHidden: true })
 * })
 * @module
 * @since 0.1.0
 */
import assert from "node:assert/strict"
import type { AuthEngineOptions } from "../auth-engine-types.ts"
import {
  SAMPLE_AUTH_ENGINE_BRAND,
  SAMPLE_AUTH_ENGINE_DEVICE_ID,
  SAMPLE_AUTH_ENGINE_USER
} from "../defaults.ts"
import { type Simulator, startSimulator } from "../simulator.ts"
import { collector, type Tagged } from "./collect.ts"

/**
 * A logged-in customer, as the contract drives it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ContractCustomerSession<Secret> {
  fetch(input: string, init?: RequestInit): Promise<Response>
  headers(): Promise<Record<string, string>>
  /** Mobile: the key (a `Redacted`); web: `undefined`. */
  key(): Promise<Secret | undefined>
  token(): Promise<{ readonly value: Secret; readonly obtainedAt: Date; readonly expiresAt: Date }>
  close(): Promise<void>
}

/**
 * The end-customer auth client, as the contract drives it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ContractCustomerAuth<Secret> {
  startOtp(input: {
    readonly identifierType: "MOBILE" | "EMAIL" | "USERNAME"
    readonly identifierValue: string
  }): Promise<{
    readonly sessionId: string
    verify(otp: string): Promise<ContractCustomerSession<Secret>>
    resend(): Promise<void>
  }>
  loginWithPassword(input: {
    readonly identifierType: "MOBILE" | "EMAIL" | "USERNAME"
    readonly identifierValue: string
    readonly password: string
  }): Promise<ContractCustomerSession<Secret>>
  resume(options?: {
    readonly key?: string | NoInfer<Secret>
    readonly token?: string | NoInfer<Secret>
  }): ContractCustomerSession<Secret>
  close(): Promise<void>
}

/**
 * A runtime's runner of the end-customer auth contract.
 *
 * @since 0.1.0
 * @category models
 */
export interface CustomerAuthRunner<Secret> {
  /** Declares one test (`it` of vitest, `Deno.test`, ...). Tests must run one at a time, in order. */
  readonly test: (name: string, fn: () => Promise<void>) => void
  /** The runtime's `createCustomerAuth`. */
  readonly createCustomerAuth: (options: {
    readonly baseUrl: string
    readonly gatewayUrl: string
    readonly brand: string
    readonly deviceId?: string
    readonly platform?: "mobile" | "web"
  }) => ContractCustomerAuth<Secret>
  /** Reveal a `Redacted` value (`Redacted.value`). */
  readonly reveal: (secret: Secret) => string
  /** How the runtime prints a value (`util.inspect`, `Deno.inspect`). */
  readonly inspect: (value: unknown) => string
}

const MOBILE = SAMPLE_AUTH_ENGINE_USER.mobile ?? "919876543210"
const PASSWORD = SAMPLE_AUTH_ENGINE_USER.password ?? "Sample@123"
const PROFILE = "/v1/customer/profile"

/**
 * Declares the end-customer auth contract's tests with `runner.test`, in order; the last one checks every error
 * collected by the others.
 *
 * @since 0.1.0
 * @category testing
 */
export const customerAuthContract = <Secret>(runner: CustomerAuthRunner<Secret>): void => {
  const { test, createCustomerAuth, reveal, inspect } = runner
  const { collected, rejection } = collector()
  /** Every token, key, OTP and password the suite saw: none may show in any error. */
  const secrets = new Set<string>([PASSWORD, "wrong-password", "not-a-key"])

  /** A simulator and a client (mobile unless said), both closed after `body`. */
  const withAuth = async (
    body: (sim: Simulator, auth: ContractCustomerAuth<Secret>) => Promise<void>,
    options: { readonly platform?: "mobile" | "web"; readonly authEngine?: AuthEngineOptions } = {}
  ) => {
    const sim = await startSimulator({
      port: 0,
      ...(options.authEngine ? { authEngine: options.authEngine } : {})
    })
    const auth = createCustomerAuth({
      baseUrl: sim.authEngineUrl,
      gatewayUrl: sim.authEngineGatewayUrl,
      brand: SAMPLE_AUTH_ENGINE_BRAND.name,
      ...(options.platform === "web"
        ? { platform: "web" as const }
        : { deviceId: SAMPLE_AUTH_ENGINE_DEVICE_ID })
    })
    try {
      await body(sim, auth)
    } finally {
      await auth.close()
      for (const t of sim.authEngine.tokens) {
        secrets.add(t.token)
        if (t.key !== undefined) secrets.add(t.key)
      }
      await sim.close()
    }
  }

  const otpOf = (sim: Simulator, sessionId: string) => {
    const otp = sim.authEngine.otp(sessionId)
    assert.ok(otp !== undefined, "the simulator holds an OTP for the session")
    secrets.add(otp)
    return otp
  }

  const profile = async (session: ContractCustomerSession<Secret>) => {
    const response = await session.fetch(PROFILE)
    const body = (await response.json()) as { customer?: { mobile?: string } }
    return { status: response.status, body }
  }

  const operations = (sim: Simulator) => sim.authEngine.requests.map((r) => `${r.operation} -> ${r.code}`)

  test("customer auth: OTP on mobile in the documented order; the gateway gets the cap_* headers; the key is the login's", () =>
    withAuth(async (sim, auth) => {
      const login = await auth.startOtp({ identifierType: "MOBILE", identifierValue: MOBILE })
      const session = await login.verify(otpOf(sim, login.sessionId))
      const { status, body } = await profile(session)
      assert.equal(status, 200)
      assert.equal(body.customer?.mobile, MOBILE)
      assert.deepEqual(operations(sim), [
        "/auth/v1/token/generate -> 200",
        "/auth/v1/otp/generate -> 200",
        "/auth/v1/otp/validate -> 200",
        "/gateway/v1/customer/profile -> 200"
      ])
      const issued = sim.authEngine.tokens[0]
      assert.ok(issued?.key !== undefined)
      const headers = sim.requests.at(-1)?.headers ?? {}
      assert.equal(headers.cap_authorization, issued.token)
      assert.equal(headers.cap_brand, SAMPLE_AUTH_ENGINE_BRAND.name)
      assert.equal(headers.cap_device_id, SAMPLE_AUTH_ENGINE_DEVICE_ID)
      assert.equal(headers.cap_mobile, MOBILE)
      const key = await session.key()
      assert.ok(key !== undefined)
      assert.equal(reveal(key), issued.key)
      assert.deepEqual(await session.headers(), {
        cap_authorization: issued.token,
        cap_brand: SAMPLE_AUTH_ENGINE_BRAND.name,
        cap_device_id: SAMPLE_AUTH_ENGINE_DEVICE_ID,
        cap_mobile: MOBILE
      })
    }))

  test("customer auth: OTP on the web uses the /web/ twins, no device, no key; an expired token regenerates itself", () =>
    withAuth(
      async (sim, auth) => {
        const login = await auth.startOtp({ identifierType: "MOBILE", identifierValue: MOBILE })
        const session = await login.verify(otpOf(sim, login.sessionId))
        assert.equal(await session.key(), undefined)
        assert.deepEqual(operations(sim), [
          "/auth/v1/web/token/generate -> 200",
          "/auth/v1/web/otp/generate -> 200",
          "/auth/v1/web/otp/validate -> 200"
        ])
        for (const r of sim.authEngine.requests) assert.ok(!Object.hasOwn(r.body as object, "deviceId"))
        assert.equal(sim.authEngine.tokens[0]?.variant, "web")
        sim.authEngine.expireTokens()
        assert.equal((await profile(session)).status, 200)
        assert.equal(sim.authEngine.tokens.at(-1)?.via, "expiredToken")
        assert.deepEqual(sim.authEngine.stats().gatewayCalls, { "1529": 1, ok: 1 })
      },
      { platform: "web" }
    ))

  test("customer auth: password login is token/generate then password/validate", () =>
    withAuth(async (sim, auth) => {
      const session = await auth.loginWithPassword({
        identifierType: "MOBILE",
        identifierValue: MOBILE,
        password: PASSWORD
      })
      assert.equal((await profile(session)).status, 200)
      assert.deepEqual(operations(sim), [
        "/auth/v1/token/generate -> 200",
        "/auth/v1/password/validate -> 200",
        "/gateway/v1/customer/profile -> 200"
      ])
      assert.equal(sim.authEngine.tokens[0]?.via, "password")
    }))

  for (const errorSignal of ["status", "body"] as const) {
    test(`customer auth: each Auth Engine code rejects with its error (errors by ${errorSignal})`, () =>
      withAuth(
        async (sim, auth) => {
          const login = await auth.startOtp({ identifierType: "MOBILE", identifierValue: MOBILE })
          const otp = otpOf(sim, login.sessionId)
          const wrong = otp === "111111" ? "222222" : "111111"
          const password = (p: string) =>
            auth.loginWithPassword({ identifierType: "MOBILE", identifierValue: MOBILE, password: p })
          const seen: Array<[string, Tagged]> = [
            ["1506", await rejection("codes 1506", login.verify(wrong))],
            ["1518", await rejection("codes 1518", login.verify(otp))],
            ["1528", await rejection("codes 1528", password("wrong-password"))],
            ["1530", await rejection("codes 1530", password(PASSWORD))],
            ["1525", await rejection("codes 1525", auth.resume({ key: "not-a-key" }).fetch(PROFILE))],
            [
              "1546",
              await rejection(
                "codes 1546",
                auth.startOtp({ identifierType: "PHONE" as "MOBILE", identifierValue: "1" })
              )
            ]
          ]
          sim.authEngine.expireSessions()
          seen.push(["1505", await rejection("codes 1505", login.resend())])
          const tags = seen.map(([code, e]) => `${code} ${e._tag} ${String(e.code ?? e.field)}`)
          assert.deepEqual(tags, [
            "1506 InvalidOtp 1506",
            "1518 AttemptsExhausted 1518",
            "1528 InvalidPassword 1528",
            "1530 AttemptsExhausted 1530",
            "1525 CannotRegenerate 1525",
            "1546 ConfigError identifierType", // checked before anything is sent
            "1505 InvalidSession 1505"
          ])
          for (const [, e] of seen) {
            assert.ok(e instanceof Error, "errors are Error instances")
            if (e._tag !== "ConfigError") {
              assert.equal(e.status, errorSignal === "body" ? 200 : 401)
              assert.ok(typeof e.requestId === "string" && e.requestId !== "", "the request id is kept")
            }
          }
        },
        { authEngine: { errorSignal, otpAttempts: 1, passwordAttempts: 1 } }
      ))
  }

  test("customer auth: 100 concurrent calls on an expired token make exactly one regeneration", () =>
    withAuth(async (sim, auth) => {
      const session = await auth.loginWithPassword({
        identifierType: "MOBILE",
        identifierValue: MOBILE,
        password: PASSWORD
      })
      assert.equal((await profile(session)).status, 200)
      sim.authEngine.expireTokens()
      const results = await Promise.all(Array.from({ length: 100 }, () => profile(session)))
      assert.ok(results.every((r) => r.status === 200))
      assert.equal(sim.authEngine.stats().tokensRegenerated, 1)
      assert.equal(sim.authEngine.stats().operations["/auth/v1/token/regenerate -> ok"], 1)
      assert.equal(sim.authEngine.stats().gatewayCalls.ok, 101)
    }))

  test("customer auth: the OTP limit (1534) is RateLimited after one request each, with no retry", () =>
    withAuth(
      async (sim, auth) => {
        const login = await auth.startOtp({ identifierType: "MOBILE", identifierValue: MOBILE })
        await login.resend()
        const error = await rejection("otp limit", login.resend())
        assert.equal(error._tag, "RateLimited")
        assert.equal(error.code, 1534)
        await new Promise((resolve) => setTimeout(resolve, 300)) // nothing goes on in the background
        assert.deepEqual(sim.authEngine.stats().operations, {
          "/auth/v1/token/generate -> ok": 1,
          "/auth/v1/otp/generate -> ok": 2,
          "/auth/v1/otp/generate -> 1534": 1
        })
      },
      { authEngine: { otpGenerateLimit: 2 } }
    ))

  for (const tokenTtlSeconds of [3600, 900]) {
    test(`customer auth: the token's lifetime is its own exp - iat (${tokenTtlSeconds} s)`, () =>
      withAuth(
        async (_sim, auth) => {
          const session = await auth.loginWithPassword({
            identifierType: "MOBILE",
            identifierValue: MOBILE,
            password: PASSWORD
          })
          const token = await session.token()
          assert.equal(token.expiresAt.getTime() - token.obtainedAt.getTime(), tokenTtlSeconds * 1000)
        },
        { authEngine: { tokenTtlSeconds } }
      ))
  }

  test("customer auth: resume from a stored key regenerates on first use, with the key", () =>
    withAuth(async (sim, auth) => {
      const first = await auth.loginWithPassword({
        identifierType: "MOBILE",
        identifierValue: MOBILE,
        password: PASSWORD
      })
      const key = await first.key()
      assert.ok(key !== undefined)
      await first.close()
      const resumed = auth.resume({ key: reveal(key) })
      assert.equal((await profile(resumed)).status, 200)
      assert.equal(sim.authEngine.tokens.at(-1)?.via, "key")
      assert.equal(sim.authEngine.stats().tokensRegenerated, 1)
      const again = auth.resume({ key }) // the Redacted value works too
      assert.equal((await profile(again)).status, 200)
    }))

  test("customer auth: no token, key, OTP or password shows in a session, a key, a token or any error", () =>
    withAuth(async (sim, auth) => {
      const login = await auth.startOtp({ identifierType: "MOBILE", identifierValue: MOBILE })
      const session = await login.verify(otpOf(sim, login.sessionId))
      const key = await session.key()
      const token = await session.token()
      const issued = sim.authEngine.tokens[0]
      assert.ok(issued?.key !== undefined)
      sim.authEngine.revokeKey(issued.key)
      sim.authEngine.expireTokens()
      const error = await rejection("revoked key", session.fetch(PROFILE))
      assert.equal(error._tag, "CannotRegenerate")
      for (const value of [auth, login, session, key, token, error]) {
        for (const shown of [JSON.stringify(value) ?? "", inspect(value), String(value)]) {
          for (const secret of [issued.token, issued.key])
            assert.ok(!shown.includes(secret), "a secret shows")
        }
      }
    }))

  test("customer auth: no error collected in this suite shows a token, a key, an OTP or a password", async () => {
    assert.ok(collected.length >= 10, `only ${collected.length} errors were collected`)
    for (const { where, error } of collected) {
      const shown = [JSON.stringify(error) ?? "", inspect(error), String(error), (error as Error).message]
      for (const secret of secrets) {
        for (const text of shown) assert.ok(!text.includes(secret), `${where}: a secret shows`)
      }
    }
  })
}
