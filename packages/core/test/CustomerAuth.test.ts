/**
 * The pure parts of end-customer auth: config validation, request building, response processing (every code),
 * gateway targets and the bounded read of a gateway answer's code.
 */
import { Effect, Option, Redacted, Result } from "effect"
import { describe, expect, it } from "vitest"
import {
  AuthError,
  CustomerAuth,
  CustomerAuthConfig,
  CustomerAuthRequest,
  CustomerAuthResponse,
  CustomerKeyStore,
  CustomerSession
} from "../src/index.ts"
import { judgeGateway } from "../src/internal/customer.ts"

const config = (input: Partial<CustomerAuthConfig.Input> = {}) =>
  Result.getOrThrow(
    CustomerAuthConfig.make({
      baseUrl: "https://auth.example.com/prefix/",
      gatewayUrl: "https://gateway.example.com/mobile",
      brand: "MyBrand",
      deviceId: "device-1",
      ...input
    })
  )

const configError = (input: CustomerAuthConfig.Input) => {
  const result = CustomerAuthConfig.make(input)
  if (Result.isSuccess(result)) throw new Error("expected a ConfigError")
  return result.failure
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
const jwt = (claims: Record<string, unknown>) => `${b64url({ alg: "HS256" })}.${b64url(claims)}.sig`

const facts = (status: number, json: unknown, headers: { retryAfter?: string } = {}) => ({
  status,
  requestId: "req-1",
  retryAfter: headers.retryAfter,
  date: undefined,
  text: json === undefined ? "<html>" : JSON.stringify(json),
  json
})

const refusal = (code: number | string, message = "m") => ({ status: { success: false, code, message } })
const ok = (rest: Record<string, unknown> = {}) => ({
  status: { success: true, code: 200, message: "SUCCESS" },
  ...rest
})

describe("CustomerAuthConfig", () => {
  it("cluster picks the documented Auth Engine host, else the cluster's API host", () => {
    const of = (cluster: string) => config({ baseUrl: undefined, cluster }).baseUrl.href
    expect(of("eu")).toBe("https://eu-auth-api.capillarytech.com/")
    expect(of("APAC2")).toBe("https://apac2-auth-api.capillarytech.com/")
    expect(of("apac")).toBe("https://apac-s3wrapper.capillarytech.com/")
    expect(of("us")).toBe("https://us.api.capillarytech.com/")
    expect(configError({ cluster: "mars", brand: "b", deviceId: "d" }).field).toBe("cluster")
  })

  it("keeps a base URL's path as a prefix; refuses http off loopback, userinfo, queries, both or neither host", () => {
    expect(config().baseUrl.href).toBe("https://auth.example.com/prefix")
    expect(config({ baseUrl: "http://127.0.0.1:8080/auth-engine" }).baseUrl.href).toBe(
      "http://127.0.0.1:8080/auth-engine"
    )
    for (const [input, field] of [
      [{ baseUrl: "http://auth.example.com" }, "baseUrl"],
      [{ baseUrl: "https://u:p@auth.example.com" }, "baseUrl"],
      [{ baseUrl: "https://auth.example.com?x=1" }, "baseUrl"],
      [{ gatewayUrl: "ftp://gateway.example.com" }, "gatewayUrl"],
      [{ cluster: "eu" }, "cluster"],
      [{ baseUrl: undefined }, "baseUrl"]
    ] as const) {
      const base: CustomerAuthConfig.Input = { brand: "b", deviceId: "d", baseUrl: "https://a.example.com" }
      const error = configError({ ...base, ...input })
      expect(error.field).toBe(field)
      expect(error.message).not.toContain("u:p")
    }
  })

  it("brand always; deviceId on mobile only; printable ASCII (they travel in headers)", () => {
    expect(configError({ baseUrl: "https://a.example.com", deviceId: "d" }).field).toBe("brand")
    expect(configError({ baseUrl: "https://a.example.com", brand: "b" }).field).toBe("deviceId")
    expect(configError({ baseUrl: "https://a.example.com", brand: "b\r\nx: y", deviceId: "d" }).field).toBe(
      "brand"
    )
    expect(configError({ baseUrl: "https://a.example.com", brand: "b", platform: "tv" as never }).field).toBe(
      "platform"
    )
    const web = config({ platform: "web", deviceId: undefined })
    expect(web.deviceId).toBeUndefined()
    expect(web.gatewayUrl?.href).toBe("https://gateway.example.com/mobile")
    expect(
      configError({ baseUrl: "https://a.example.com", brand: "b", deviceId: "d", timeoutMillis: 0 }).field
    ).toBe("timeoutMillis")
    expect(
      configError({ baseUrl: "https://a.example.com", brand: "b", deviceId: "d", keyStore: {} as never })
        .field
    ).toBe("keyStore")
  })

  it("the key store id names the host, brand and device, never a secret", () => {
    expect(CustomerAuthConfig.keyId(config())).toBe(
      "capauth:customer:auth.example.com/prefix:mybrand:device-1"
    )
  })
})

describe("CustomerAuthRequest", () => {
  const who = Result.getOrThrow(
    CustomerAuthRequest.identifier({ identifierType: "MOBILE", identifierValue: " 919876543210 " })
  )

  it("validates identifiers", () => {
    expect(who.identifierValue).toBe("919876543210")
    const bad = CustomerAuthRequest.identifier({ identifierType: "PHONE", identifierValue: "1" })
    expect(Result.isFailure(bad) && bad.failure.field).toBe("identifierType")
    const empty = CustomerAuthRequest.identifier({ identifierType: "EMAIL", identifierValue: " " })
    expect(Result.isFailure(empty) && empty.failure.field).toBe("identifierValue")
  })

  it("mobile and web twins; brand always, deviceId on mobile only", () => {
    const mobile = config()
    const web = config({ platform: "web", deviceId: "ignored-on-web" })
    expect(CustomerAuthRequest.path("otp/validate", "mobile")).toBe("/auth/v1/otp/validate")
    expect(CustomerAuthRequest.path("otp/validate", "web")).toBe("/auth/v1/web/otp/validate")
    expect(CustomerAuthRequest.json(CustomerAuthRequest.tokenGenerate(mobile, who))).toEqual({
      identifierType: "MOBILE",
      identifierValue: "919876543210",
      brand: "MyBrand",
      deviceId: "device-1"
    })
    expect(CustomerAuthRequest.json(CustomerAuthRequest.tokenGenerate(web, who))).toEqual({
      identifierType: "MOBILE",
      identifierValue: "919876543210",
      brand: "MyBrand"
    })
    expect(CustomerAuthRequest.request(mobile, CustomerAuthRequest.tokenGenerate(mobile, who)).url).toBe(
      "https://auth.example.com/prefix/auth/v1/token/generate"
    )
    expect(CustomerAuthRequest.request(web, CustomerAuthRequest.otpGenerate(web, who, "P-1")).url).toBe(
      "https://auth.example.com/prefix/auth/v1/web/otp/generate"
    )
  })

  it("secrets stay Redacted until the body is built", () => {
    const c = config()
    const otp = CustomerAuthRequest.otpValidate(c, who, "P-1", Redacted.make("123456"))
    expect(JSON.stringify(otp)).not.toContain("123456")
    expect(CustomerAuthRequest.json(otp)).toMatchObject({ sessionId: "P-1", otp: "123456" })
    const password = CustomerAuthRequest.passwordValidate(c, who, "P-1", Redacted.make("pw"))
    expect(CustomerAuthRequest.json(password).password).toBe("pw")
    const key = CustomerAuthRequest.regenerate(c, { key: Redacted.make("the-key") })
    expect(CustomerAuthRequest.json(key)).toEqual({ brand: "MyBrand", deviceId: "device-1", key: "the-key" })
    const web = config({ platform: "web", deviceId: undefined })
    expect(
      CustomerAuthRequest.json(CustomerAuthRequest.regenerate(web, { expiredToken: Redacted.make("t") }))
    ).toEqual({
      brand: "MyBrand",
      expiredToken: "t"
    })
  })

  it("gateway headers: token, brand, device when configured, mobile when known", () => {
    expect(CustomerAuthRequest.gatewayHeaders(config(), Redacted.make("t"), "919876543210")).toEqual({
      cap_authorization: "t",
      cap_brand: "MyBrand",
      cap_device_id: "device-1",
      cap_mobile: "919876543210"
    })
    expect(
      CustomerAuthRequest.gatewayHeaders(config({ platform: "web", deviceId: undefined }), Redacted.make("t"))
    ).toEqual({ cap_authorization: "t", cap_brand: "MyBrand" })
  })
})

describe("CustomerAuthResponse", () => {
  const now = Date.parse("2025-01-01T00:00:00Z")

  it.each([
    [1505, "InvalidSession"],
    [1506, "InvalidOtp"],
    [1518, "AttemptsExhausted"],
    [1525, "CannotRegenerate"],
    [1528, "InvalidPassword"],
    [1529, "TokenExpired"],
    [1530, "AttemptsExhausted"],
    [1534, "RateLimited"],
    [1519, "CustomerAuthError"],
    [1546, "CustomerAuthError"]
  ] as const)("code %i is %s, whatever the HTTP status (401, 429, 400 or 200)", (code, tag) => {
    for (const status of [200, 400, 401, 429]) {
      for (const given of [code, String(code)]) {
        const result = CustomerAuthResponse.process(
          facts(status, refusal(given, "Described.")),
          "otp/validate",
          now
        )
        if (Result.isSuccess(result)) throw new Error("expected a failure")
        expect(result.failure._tag).toBe(tag)
        expect(result.failure).toBeInstanceOf(AuthError.classes[tag])
        expect(result.failure).toMatchObject({ code, status, requestId: "req-1" })
        expect(result.failure.message).toBe(`Auth Engine otp/validate refused (code ${code}): Described.`)
      }
    }
  })

  it("1534 is RateLimited, and only a Retry-After sets a delay", () => {
    const without = CustomerAuthResponse.process(facts(429, refusal(1534)), "otp/generate", now)
    const withHeader = CustomerAuthResponse.process(
      facts(429, refusal(1534), { retryAfter: "60" }),
      "otp/generate",
      now
    )
    expect(Result.isFailure(without) && without.failure).toMatchObject({ _tag: "RateLimited", code: 1534 })
    expect(
      Result.isFailure(without) && (without.failure as AuthError.RateLimited).retryAfterMillis
    ).toBeUndefined()
    expect(
      Result.isFailure(withHeader) && (withHeader.failure as AuthError.RateLimited).retryAfterMillis
    ).toBe(60_000)
  })

  it("success, 5xx, plain 429, redirects and bodies without the envelope", () => {
    const success = CustomerAuthResponse.process(
      facts(200, ok({ user: { sessionId: "P-1" } })),
      "token/generate",
      now
    )
    expect(Result.isSuccess(success)).toBe(true)
    const stringy = CustomerAuthResponse.process(
      facts(200, { status: { success: "true", code: "200" } }),
      "token/generate",
      now
    )
    expect(Result.isSuccess(stringy)).toBe(true)
    const tagOf = (f: ReturnType<typeof facts>) => {
      const r = CustomerAuthResponse.process(f, "token/generate", now)
      return Result.isFailure(r) ? [r.failure._tag, r.failure.code] : ["ok"]
    }
    expect(tagOf(facts(503, refusal(1503)))).toEqual(["ServiceUnavailable", 1503])
    expect(tagOf(facts(502, undefined))).toEqual(["ServiceUnavailable", undefined])
    expect(tagOf(facts(429, { message: "slow down" }))).toEqual(["RateLimited", undefined])
    expect(tagOf(facts(302, undefined))).toEqual(["MalformedResponse", undefined])
    expect(tagOf(facts(200, undefined))).toEqual(["MalformedResponse", undefined])
    expect(tagOf(facts(200, { data: 1 }))).toEqual(["MalformedResponse", undefined])
    expect(tagOf(facts(200, { status: { success: false } }))).toEqual(["CustomerAuthError", undefined])
    expect(tagOf(facts(400, ok()))).toEqual(["MalformedResponse", 200])
  })

  it("a message that echoes a token is masked", () => {
    const token = jwt({ iat: 1, exp: 2 })
    const r = CustomerAuthResponse.process(facts(401, refusal(1525, `bad ${token}`)), "token/regenerate", now)
    expect(Result.isFailure(r) && r.failure.message).not.toContain(token)
  })

  it("tokens: the lifetime is the token's exp - iat; a token without them is refused; the key when present", () => {
    const token = jwt({ uid: "1", iat: 1_700_000_000, exp: 1_700_003_600, rol: "USER" })
    const read = Result.getOrThrow(
      CustomerAuthResponse.tokens({ auth: { token, key: "k" } }, 42, "otp/validate")
    )
    expect(read.issued).toMatchObject({ sentAt: 42, ttlSeconds: 3600 })
    expect(Redacted.value(read.issued.value)).toBe(token)
    expect(Redacted.value(read.key!)).toBe("k")
    const web = Result.getOrThrow(CustomerAuthResponse.tokens({ auth: { token } }, 42, "otp/validate"))
    expect(web.key).toBeUndefined()
    for (const body of [
      {},
      { auth: { token: "" } },
      { auth: { token: jwt({ iat: 5 }) } },
      { auth: { token: "opaque" } }
    ]) {
      const r = CustomerAuthResponse.tokens(body, 0, "otp/validate")
      expect(Result.isFailure(r) && r.failure._tag).toBe("MalformedResponse")
    }
    expect(CustomerAuthResponse.hasToken({ auth: { token } })).toBe(true)
    expect(CustomerAuthResponse.hasToken({ user: {} })).toBe(false)
  })

  it("session: user.sessionId and userRegistered", () => {
    expect(
      Result.getOrThrow(
        CustomerAuthResponse.session({ user: { sessionId: "P-1", userRegistered: false } }, "x")
      )
    ).toEqual({ sessionId: "P-1", userRegistered: false })
    const missing = CustomerAuthResponse.session({ user: {} }, "token/generate")
    expect(Result.isFailure(missing) && missing.failure.message).toContain("user.sessionId")
  })

  it("the gateway verdict is expired for 1529 only", () => {
    expect(CustomerAuthResponse.gatewayVerdict(CustomerAuthResponse.gatewayCode(refusal(1529)))).toBe(
      "expired"
    )
    expect(CustomerAuthResponse.gatewayVerdict(CustomerAuthResponse.gatewayCode(refusal("1529")))).toBe(
      "expired"
    )
    expect(CustomerAuthResponse.gatewayVerdict(CustomerAuthResponse.gatewayCode(refusal(1505)))).toBe("ok")
    expect(
      CustomerAuthResponse.gatewayVerdict(
        CustomerAuthResponse.gatewayCode({ response: { status: { code: 1529 } } })
      )
    ).toBe("ok")
  })
})

describe("gateway calls", () => {
  it("a path is appended to the gateway URL; an absolute URL must be on its origin", () => {
    const c = config()
    const target = (input: string) => {
      const r = CustomerSession.gatewayTarget(c, input)
      return Result.isSuccess(r) ? r.success.href : r.failure.field
    }
    expect(target("/v1/customer/profile")).toBe("https://gateway.example.com/mobile/v1/customer/profile")
    expect(target("v1/customer/profile?x=1")).toBe(
      "https://gateway.example.com/mobile/v1/customer/profile?x=1"
    )
    expect(target("https://gateway.example.com/other")).toBe("https://gateway.example.com/other")
    expect(target("https://evil.example.com/mobile/v1")).toBe("url")
    expect(target("http://gateway.example.com/mobile/v1")).toBe("url")
    const none = CustomerSession.gatewayTarget(config({ gatewayUrl: undefined }), "/v1")
    expect(Result.isFailure(none) && none.failure.field).toBe("gatewayUrl")
  })

  const never = (e: unknown) => e

  it("reads the envelope code of a small JSON answer and hands on the same bytes", async () => {
    const body = JSON.stringify(refusal(1529, "Token has expired."))
    const judged = await judgeGateway(
      new Response(body, { status: 401, headers: { "content-type": "application/json" } }),
      never
    )
    expect(judged.code).toBe(1529)
    expect(judged.response.status).toBe(401)
    expect(await judged.response.text()).toBe(body)
  })

  it("hands a long answer on untouched, streaming, without a code; leaves other answers alone", async () => {
    const long = JSON.stringify({ status: { code: 1529 }, data: "x".repeat(200_000) })
    const judged = await judgeGateway(
      new Response(long, { headers: { "content-type": "application/json" } }),
      never
    )
    expect(judged.code).toBeUndefined()
    expect(await judged.response.text()).toBe(long)
    const text = new Response(JSON.stringify(refusal(1529)), { headers: { "content-type": "text/plain" } })
    expect((await judgeGateway(text, never)).code).toBeUndefined()
    const empty = new Response(null, { status: 204 })
    expect((await judgeGateway(empty, never)).response).toBe(empty)
  })

  it("a body that fails mid-way is the mapped error", async () => {
    const failing = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"status":'))
        controller.error(new Error("reset"))
      }
    })
    const response = new Response(failing, { headers: { "content-type": "application/json" } })
    await expect(judgeGateway(response, () => "mapped")).rejects.toBe("mapped")
  })
})

describe("CustomerAuth.resumeStart and CustomerKeyStore", () => {
  it("mobile resumes from a key (or the store's), web from a token; the wrong one is a ConfigError", () => {
    const mobile = config()
    const web = config({ platform: "web", deviceId: undefined })
    const field = (r: ReturnType<typeof CustomerAuth.resumeStart>) =>
      Result.isFailure(r) ? r.failure.field : r.success.start._tag
    expect(field(CustomerAuth.resumeStart(mobile, { key: "k" }))).toBe("Key")
    expect(field(CustomerAuth.resumeStart(mobile))).toBe("Key")
    expect(field(CustomerAuth.resumeStart(mobile, { token: "t" }))).toBe("token")
    expect(field(CustomerAuth.resumeStart(mobile, { key: " " }))).toBe("key")
    expect(field(CustomerAuth.resumeStart(web, { token: Redacted.make("t") }))).toBe("Token")
    expect(field(CustomerAuth.resumeStart(web))).toBe("token")
    expect(field(CustomerAuth.resumeStart(web, { key: "k", token: "t" }))).toBe("key")
    expect(
      field(
        CustomerAuth.resumeStart(mobile, {
          key: "k",
          identifier: { identifierType: "X" as never, identifierValue: "1" }
        })
      )
    ).toBe("identifierType")
  })

  it("memory and fromPromise stores keep Redacted keys by id", async () => {
    const kept = new Map<string, string>()
    for (const store of [
      CustomerKeyStore.memory(),
      CustomerKeyStore.fromPromise({
        get: async (id) => kept.get(id),
        set: async (id, key) => void kept.set(id, key)
      })
    ]) {
      const read = await Effect.runPromise(
        Effect.andThen(store.set("a", Redacted.make("k1")), Effect.all([store.get("a"), store.get("b")]))
      )
      expect(Redacted.value(Option.getOrThrow(read[0]))).toBe("k1")
      expect(Option.isNone(read[1])).toBe(true)
    }
    const failing = CustomerKeyStore.fromPromise({
      get: () => Promise.reject(new Error("down")),
      set: () => Promise.reject(new Error("down"))
    })
    const exit = await Effect.runPromiseExit(failing.get("a"))
    expect(exit._tag).toBe("Failure")
    expect(CustomerKeyStore.isCustomerKeyStore(failing)).toBe(true)
    expect(CustomerKeyStore.isCustomerKeyStore({ get: 1 })).toBe(false)
  })
})
