/**
 * End-customer auth against the testkit simulator's Auth Engine (`sim.authEngineUrl`, written independently of
 * the library: it signs HS256 tokens, spends sessions and OTPs, counts attempts and quotas, and expires tokens by
 * its own clock), over real HTTP: the Effect client and the Promise facade.
 */
import { inspect } from "node:util"
import {
  SAMPLE_AUTH_ENGINE_BRAND,
  SAMPLE_AUTH_ENGINE_DEVICE_ID,
  SAMPLE_AUTH_ENGINE_USER,
  type Simulator,
  startSimulator
} from "@capauth/testkit"
import { Effect, Exit, Redacted, Result } from "effect"
import { FetchHttpClient, HttpClientRequest } from "effect/http"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import * as CustomerPromiseClient from "../src/CustomerPromiseClient.ts"
import { type AuthError, CustomerAuth, CustomerAuthConfig, CustomerKeyStore } from "../src/index.ts"
import { soleFailure } from "./support.ts"

const MOBILE = SAMPLE_AUTH_ENGINE_USER.mobile!
const PASSWORD = SAMPLE_AUTH_ENGINE_USER.password!
const brand = SAMPLE_AUTH_ENGINE_BRAND.name
const deviceId = SAMPLE_AUTH_ENGINE_DEVICE_ID

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ port: 0 })
})
afterAll(() => sim.close())
beforeEach(() => sim.reset())

const input = (extra: Partial<CustomerAuthConfig.Input> = {}): CustomerAuthConfig.Input => ({
  baseUrl: sim.authEngineUrl,
  gatewayUrl: sim.authEngineGatewayUrl,
  brand,
  deviceId,
  ...extra
})

const facade = (extra: Partial<CustomerAuthConfig.Input> = {}, on: Simulator = sim) =>
  CustomerPromiseClient.make(
    { ...input(extra), baseUrl: on.authEngineUrl, gatewayUrl: on.authEngineGatewayUrl },
    { httpLayer: FetchHttpClient.layer }
  )

const withAuth = <A, E>(f: (auth: CustomerAuth.Service) => Effect.Effect<A, E>, extra = {}) =>
  Effect.runPromiseExit(
    Effect.scoped(
      Effect.flatMap(CustomerAuth.make(Result.getOrThrow(CustomerAuthConfig.make(input(extra)))), f)
    ).pipe(Effect.provide(FetchHttpClient.layer))
  )

const value = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (Exit.isSuccess(exit)) return exit.value
  throw new Error(`expected success, got ${String(exit.cause)}`)
}

const failure = <A, E>(exit: Exit.Exit<A, E>) => {
  const error = soleFailure(exit)
  if (error === undefined) throw new Error(`expected a typed failure, got ${String(exit)}`)
  return error as unknown as AuthError.AuthError
}

const rejection = async (promise: Promise<unknown>) => {
  try {
    await promise
  } catch (error) {
    return error as AuthError.AuthError
  }
  throw new Error("expected a rejection")
}

const operations = () => sim.authEngine.requests.map((r) => `${r.operation} -> ${r.code}`)

describe("Effect client against the simulator", () => {
  it("OTP on mobile: token/generate, otp/generate, otp/validate, in that order; then the gateway", async () => {
    const exit = await withAuth((auth) =>
      Effect.gen(function* () {
        const login = yield* auth.startOtp({ identifierType: "MOBILE", identifierValue: MOBILE })
        expect(login.userRegistered).toBe(true)
        const session = yield* login.verify(sim.authEngine.otp(login.sessionId)!)
        const response = yield* session.execute(HttpClientRequest.get("/v1/customer/profile"))
        const key = yield* session.key
        return { status: response.status, body: yield* response.json, key }
      })
    )
    const { status, body, key } = value(exit)
    expect(status).toBe(200)
    expect((body as { customer: { mobile: string } }).customer.mobile).toBe(MOBILE)
    expect(key).toBeDefined()
    expect(Redacted.value(key!)).toBe(sim.authEngine.tokens[0]!.key)
    expect(operations()).toEqual([
      "/auth/v1/token/generate -> 200",
      "/auth/v1/otp/generate -> 200",
      "/auth/v1/otp/validate -> 200",
      "/gateway/v1/customer/profile -> 200"
    ])
    const validate = sim.authEngine.requests[2]!.body as Record<string, unknown>
    expect(validate).toMatchObject({ identifierType: "MOBILE", identifierValue: MOBILE, brand, deviceId })
    const gateway = sim.requests.at(-1)!.headers
    expect(gateway.cap_brand).toBe(brand)
    expect(gateway.cap_device_id).toBe(deviceId)
    expect(gateway.cap_mobile).toBe(MOBILE)
    expect(gateway.cap_authorization).toBe(sim.authEngine.tokens[0]!.token)
  })

  it("a gateway 1529 (HTTP 401, or HTTP 200 with the code in the body) regenerates once and sends again once", async () => {
    for (const signal of ["status", "body"] as const) {
      sim.reset()
      sim.authEngine.setErrorSignal(signal)
      const exit = await withAuth((auth) =>
        Effect.gen(function* () {
          const session = yield* auth.loginWithPassword({
            identifierType: "MOBILE",
            identifierValue: MOBILE,
            password: PASSWORD
          })
          sim.authEngine.expireTokens()
          const response = yield* session.execute(HttpClientRequest.get("/v1/customer/profile"))
          return response.status
        })
      )
      expect(value(exit)).toBe(200)
      expect(sim.authEngine.stats().tokensRegenerated).toBe(1)
      expect(sim.authEngine.stats().gatewayCalls).toEqual({ ok: 1, "1529": 1 })
      expect(sim.authEngine.tokens.at(-1)!.via).toBe("key")
    }
  })

  it("a second 1529 right after regeneration is TokenExpired, never a loop", async () => {
    const exit = await withAuth((auth) =>
      Effect.gen(function* () {
        const session = yield* auth.loginWithPassword({
          identifierType: "MOBILE",
          identifierValue: MOBILE,
          password: PASSWORD
        })
        sim.faults.add({
          path: "/auth-engine/gateway/v1/customer/profile",
          fault: { kind: "status", status: 401, errorCode: 1529 }
        })
        return yield* session.execute(HttpClientRequest.get("/v1/customer/profile"))
      })
    )
    sim.faults.clear()
    const error = failure(exit)
    expect(error._tag).toBe("TokenExpired")
    expect(error.code).toBe(1529)
    expect(sim.requests.filter((r) => r.path.endsWith("/customer/profile"))).toHaveLength(2)
    expect(sim.authEngine.stats().tokensRegenerated).toBe(1)
  })
})

describe("Promise facade against the simulator", () => {
  it("OTP on the web: the /web/ twins, no deviceId, no key; the token renews itself", async () => {
    const auth = facade({ platform: "web", deviceId: undefined })
    try {
      const login = await auth.startOtp({
        identifierType: "EMAIL",
        identifierValue: SAMPLE_AUTH_ENGINE_USER.email!
      })
      const session = await login.verify(sim.authEngine.otp(login.sessionId)!)
      expect(await session.key()).toBeUndefined()
      expect((await session.fetch("/v1/customer/profile")).status).toBe(200)
      const headers = await session.headers()
      expect(Object.keys(headers).sort()).toEqual(["cap_authorization", "cap_brand"])
      expect(operations().slice(0, 3)).toEqual([
        "/auth/v1/web/token/generate -> 200",
        "/auth/v1/web/otp/generate -> 200",
        "/auth/v1/web/otp/validate -> 200"
      ])
      for (const r of sim.authEngine.requests.slice(0, 3)) expect(r.body).not.toHaveProperty("deviceId")
      expect(sim.authEngine.tokens[0]).toMatchObject({ variant: "web", deviceId: null })
      expect(sim.authEngine.tokens[0]!.key).toBeUndefined()
      sim.authEngine.expireTokens()
      expect((await session.fetch("/v1/customer/profile")).status).toBe(200)
      const regen = sim.authEngine.requests.find((r) => r.operation === "/auth/v1/web/token/regenerate")!
      expect((regen.body as Record<string, unknown>).expiredToken).toBe(sim.authEngine.tokens[0]!.token)
      expect(sim.authEngine.tokens.at(-1)!.via).toBe("expiredToken")
    } finally {
      await auth.close()
    }
  })

  it("password on mobile: token/generate then password/validate", async () => {
    const auth = facade()
    try {
      const session = await auth.loginWithPassword({
        identifierType: "USERNAME",
        identifierValue: SAMPLE_AUTH_ENGINE_USER.username!,
        password: PASSWORD
      })
      expect((await session.fetch("/v1/customer/profile")).status).toBe(200)
      expect(operations()).toEqual([
        "/auth/v1/token/generate -> 200",
        "/auth/v1/password/validate -> 200",
        "/gateway/v1/customer/profile -> 200"
      ])
      expect(sim.authEngine.tokens[0]!.via).toBe("password")
      // No cap_mobile: the identifier is a username.
      expect(sim.requests.at(-1)!.headers.cap_mobile).toBeUndefined()
    } finally {
      await auth.close()
    }
  })

  it("100 concurrent calls on an expired token make exactly one regeneration", async () => {
    const auth = facade()
    try {
      const session = await auth.loginWithPassword({
        identifierType: "MOBILE",
        identifierValue: MOBILE,
        password: PASSWORD
      })
      expect((await session.fetch("/v1/customer/profile")).status).toBe(200)
      sim.authEngine.expireTokens()
      const responses = await Promise.all(
        Array.from({ length: 100 }, () => session.fetch("/v1/customer/profile"))
      )
      expect(responses.every((r) => r.status === 200)).toBe(true)
      await Promise.all(responses.map((r) => r.json()))
      expect(sim.authEngine.stats().tokensRegenerated).toBe(1)
      expect(sim.authEngine.stats().operations["/auth/v1/token/regenerate -> ok"]).toBe(1)
      expect((await session.stats()).fetched).toBe(2)
    } finally {
      await auth.close()
    }
  })

  it.each([3600, 900])("the lifetime is the token's own exp - iat (tokenTtlSeconds %i)", async (ttl) => {
    const own = await startSimulator({ port: 0, authEngine: { tokenTtlSeconds: ttl } })
    const auth = facade({}, own)
    try {
      const session = await auth.loginWithPassword({
        identifierType: "MOBILE",
        identifierValue: MOBILE,
        password: PASSWORD
      })
      const token = await session.token()
      expect(token.lifetimeMillis).toBe(ttl * 1000)
      expect(token.expiresAt.getTime() - token.obtainedAt.getTime()).toBe(ttl * 1000)
      expect((token.claims!.exp as number) - (token.claims!.iat as number)).toBe(ttl)
    } finally {
      await auth.close()
      await own.close()
    }
  })

  it("resume from a stored key: the first use regenerates, with the key", async () => {
    const first = facade()
    let key: Redacted.Redacted<string> | undefined
    try {
      const session = await first.loginWithPassword({
        identifierType: "MOBILE",
        identifierValue: MOBILE,
        password: PASSWORD
      })
      key = await session.key()
    } finally {
      await first.close()
    }
    expect(key).toBeDefined()
    const auth = facade()
    try {
      const resumed = auth.resume({ key: key! })
      expect((await resumed.fetch("/v1/customer/profile")).status).toBe(200)
      expect(sim.authEngine.stats().tokensRegenerated).toBe(1)
      expect(sim.authEngine.tokens.at(-1)!.via).toBe("key")
      expect(Redacted.value((await resumed.key())!)).toBe(Redacted.value(key!))
    } finally {
      await auth.close()
    }
  })

  it("resume with no key reads the key store the login wrote to", async () => {
    const kept = new Map<string, string>()
    const keyStore = CustomerKeyStore.fromPromise({
      get: async (id) => kept.get(id),
      set: async (id, key) => void kept.set(id, key)
    })
    const first = facade({ keyStore })
    try {
      await first.loginWithPassword({ identifierType: "MOBILE", identifierValue: MOBILE, password: PASSWORD })
    } finally {
      await first.close()
    }
    expect([...kept.values()]).toEqual([sim.authEngine.tokens[0]!.key])
    const auth = facade({ keyStore })
    try {
      const resumed = auth.resume()
      expect((await resumed.fetch("/v1/customer/profile")).status).toBe(200)
      expect(sim.authEngine.tokens.at(-1)!.via).toBe("key")
    } finally {
      await auth.close()
    }
  })

  it("the OTP limit (1534) is RateLimited after exactly one request: no retry storm", async () => {
    const own = await startSimulator({ port: 0, authEngine: { otpGenerateLimit: 2 } })
    const auth = facade({}, own)
    try {
      const login = await auth.startOtp({ identifierType: "MOBILE", identifierValue: MOBILE })
      await login.resend()
      const error = await rejection(login.resend())
      expect(error._tag).toBe("RateLimited")
      expect(error.code).toBe(1534)
      const again = await rejection(auth.startOtp({ identifierType: "MOBILE", identifierValue: MOBILE }))
      expect(again.code).toBe(1534)
      await new Promise((resolve) => setTimeout(resolve, 300)) // nothing retries in the background
      expect(own.authEngine.stats().operations).toEqual({
        "/auth/v1/token/generate -> ok": 2,
        "/auth/v1/otp/generate -> ok": 2,
        "/auth/v1/otp/generate -> 1534": 2
      })
    } finally {
      await auth.close()
      await own.close()
    }
  })

  it.each(["status", "body"] as const)("each code maps to its error (error signal %s)", async (signal) => {
    const own = await startSimulator({
      port: 0,
      authEngine: {
        errorSignal: signal,
        otpAttempts: 1,
        passwordAttempts: 1,
        brands: [SAMPLE_AUTH_ENGINE_BRAND, { name: "NoPassword", orgId: 200, passwordLogin: false }],
        users: [SAMPLE_AUTH_ENGINE_USER, { brand: "NoPassword", mobile: "919800000007", password: "x" }]
      }
    })
    const auth = facade({}, own)
    const noPassword = facade({ brand: "NoPassword" }, own)
    const otps: Array<string> = []
    try {
      const login = await auth.startOtp({ identifierType: "MOBILE", identifierValue: MOBILE })
      const wrong = own.authEngine.otp(login.sessionId) === "111111" ? "222222" : "111111"
      otps.push(own.authEngine.otp(login.sessionId)!, wrong)
      const seen = [
        await rejection(login.verify(wrong)), // 1506
        await rejection(login.verify(own.authEngine.otp(login.sessionId)!)), // 1518: the one attempt is spent
        await rejection(
          auth.loginWithPassword({
            identifierType: "MOBILE",
            identifierValue: MOBILE,
            password: "wrong-pass"
          })
        ), // 1528
        await rejection(
          auth.loginWithPassword({ identifierType: "MOBILE", identifierValue: MOBILE, password: PASSWORD })
        ), // 1530
        await rejection(
          noPassword.loginWithPassword({
            identifierType: "MOBILE",
            identifierValue: "919800000007",
            password: "x"
          })
        ), // 1524
        await rejection(auth.resume({ key: "not-a-key" }).fetch("/v1/customer/profile")), // 1525
        await rejection(auth.startOtp({ identifierType: "USERNAME", identifierValue: "nobody" })) // 1515
      ]
      own.authEngine.expireSessions()
      seen.push(await rejection(login.resend())) // 1505
      expect(seen.map((e) => [e._tag, e.code])).toEqual([
        ["InvalidOtp", 1506],
        ["AttemptsExhausted", 1518],
        ["InvalidPassword", 1528],
        ["AttemptsExhausted", 1530],
        ["CustomerAuthError", 1524],
        ["CannotRegenerate", 1525],
        ["CustomerAuthError", 1515],
        ["InvalidSession", 1505]
      ])
      for (const e of seen) {
        expect(e.status).toBe(signal === "body" ? 200 : e.code === 1524 || e.code === 1515 ? 400 : 401)
        expect(e.requestId).toMatch(/./)
        for (const text of [e.message, JSON.stringify(e), inspect(e, { depth: 5 })]) {
          for (const secret of [...otps, PASSWORD, "wrong-pass", "not-a-key"])
            expect(text).not.toContain(secret)
        }
      }
    } finally {
      await auth.close()
      await noPassword.close()
      await own.close()
    }
  })

  it("no token, key, OTP or password in JSON.stringify, inspect or messages", async () => {
    const auth = facade()
    try {
      const login = await auth.startOtp({ identifierType: "MOBILE", identifierValue: MOBILE })
      const otp = sim.authEngine.otp(login.sessionId)!
      const session = await login.verify(otp)
      const key = await session.key()
      const token = await session.token()
      const issued = sim.authEngine.tokens[0]!
      sim.authEngine.revokeKey(issued.key!)
      sim.authEngine.expireTokens()
      const error = await rejection(session.fetch("/v1/customer/profile"))
      expect(error._tag).toBe("CannotRegenerate")
      for (const value of [auth, login, session, key, token, error]) {
        for (const text of [JSON.stringify(value) ?? "", inspect(value, { depth: 10 }), String(value)]) {
          for (const secret of [issued.token, issued.key!, otp]) expect(text).not.toContain(secret)
        }
      }
      expect(inspect(key)).toContain("redacted")
    } finally {
      await auth.close()
    }
  })

  it("resume a web session from its (expired) token", async () => {
    const first = facade({ platform: "web", deviceId: undefined })
    let token: string
    try {
      const session = await first.loginWithPassword({
        identifierType: "MOBILE",
        identifierValue: MOBILE,
        password: PASSWORD
      })
      token = Redacted.value((await session.token()).value)
    } finally {
      await first.close()
    }
    sim.authEngine.expireTokens()
    const auth = facade({ platform: "web", deviceId: undefined })
    try {
      const resumed = auth.resume({ token })
      expect((await resumed.fetch("/v1/customer/profile")).status).toBe(200)
      expect(sim.authEngine.tokens.at(-1)!.via).toBe("expiredToken")
      expect(sim.authEngine.stats().gatewayCalls).toEqual({ ok: 1 })
    } finally {
      await auth.close()
    }
  })

  it("a key store that refuses writes: the key is held in memory and renewal still works", async () => {
    const keyStore = CustomerKeyStore.fromPromise({
      get: async () => undefined,
      set: () => Promise.reject(new Error("read-only"))
    })
    const auth = facade({ keyStore })
    try {
      const session = await auth.loginWithPassword({
        identifierType: "MOBILE",
        identifierValue: MOBILE,
        password: PASSWORD
      })
      expect(Redacted.value((await session.key())!)).toBe(sim.authEngine.tokens[0]!.key)
      sim.authEngine.expireTokens()
      expect((await session.fetch("/v1/customer/profile")).status).toBe(200)
      expect(sim.authEngine.stats().tokensRegenerated).toBe(1)
    } finally {
      await auth.close()
    }
  })

  it("a streamed body is sent once: a 1529 on it is TokenExpired, not a replay", async () => {
    const auth = facade()
    try {
      const session = await auth.loginWithPassword({
        identifierType: "MOBILE",
        identifierValue: MOBILE,
        password: PASSWORD
      })
      // The simulator's profile route is GET only: a fault answers the POST as an expired token would.
      sim.faults.add({
        path: "/auth-engine/gateway/v1/customer/profile",
        method: "POST",
        times: 1,
        fault: { kind: "status", status: 401, errorCode: 1529 }
      })
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("{}"))
          controller.close()
        }
      })
      const error = await rejection(
        session.fetch("/v1/customer/profile", {
          method: "POST",
          body,
          headers: { "content-type": "application/json" }
        })
      )
      expect(error).toMatchObject({ _tag: "TokenExpired", code: 1529 })
      expect(error.message).toContain("cannot be replayed")
      expect(sim.requests.filter((r) => r.path.endsWith("/customer/profile"))).toHaveLength(1)
      // The expired token was dropped: the next call regenerates.
      expect((await session.fetch("/v1/customer/profile")).status).toBe(200)
      expect(sim.authEngine.stats().tokensRegenerated).toBe(1)
    } finally {
      await auth.close()
    }
  })

  it("the caller's abort rejects with its reason; a closed session or client rejects with ConfigError", async () => {
    const auth = facade()
    const session = await auth.loginWithPassword({
      identifierType: "MOBILE",
      identifierValue: MOBILE,
      password: PASSWORD
    })
    const controller = new AbortController()
    controller.abort(new Error("user left"))
    expect(
      await rejection(session.fetch("/v1/customer/profile", { signal: controller.signal }))
    ).toMatchObject({
      message: "user left"
    })
    await session.close()
    expect(await rejection(session.headers())).toMatchObject({ _tag: "ConfigError", field: "close" })
    const other = await auth.loginWithPassword({
      identifierType: "MOBILE",
      identifierValue: MOBILE,
      password: PASSWORD
    })
    await auth.close()
    expect(await rejection(other.fetch("/v1/customer/profile"))).toMatchObject({
      _tag: "ConfigError",
      field: "close"
    })
    expect(() => auth.resume()).toThrow(expect.objectContaining({ field: "close" }))
  })

  it("config errors are thrown at once; credentials go only to the gateway's origin", async () => {
    expect(() => facade({ deviceId: undefined })).toThrow(
      expect.objectContaining({ _tag: "ConfigError", field: "deviceId" })
    )
    expect(() => facade({ brand: "" })).toThrow(expect.objectContaining({ field: "brand" }))
    expect(() => facade({ cluster: "eu" })).toThrow(expect.objectContaining({ field: "cluster" }))
    const auth = facade()
    try {
      expect(() => auth.resume({ token: "t" })).toThrow(expect.objectContaining({ field: "token" }))
      const session = await auth.loginWithPassword({
        identifierType: "MOBILE",
        identifierValue: MOBILE,
        password: PASSWORD
      })
      const error = await rejection(session.fetch("https://elsewhere.example.com/v1/customer/profile"))
      expect(error).toMatchObject({ _tag: "ConfigError", field: "url" })
      const bad = await rejection(
        auth.startOtp({ identifierType: "PHONE" as never, identifierValue: MOBILE })
      )
      expect(bad).toMatchObject({ _tag: "ConfigError", field: "identifierType" })
    } finally {
      await auth.close()
    }
    const closed = await rejection(auth.startOtp({ identifierType: "MOBILE", identifierValue: MOBILE }))
    expect(closed).toMatchObject({ _tag: "ConfigError", field: "close" })
  })
})
