import { type ChildProcess, spawn } from "node:child_process"
import { createHmac } from "node:crypto"
import { fileURLToPath } from "node:url"
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest"
import {
  SAMPLE_AUTH_ENGINE_BRAND,
  SAMPLE_AUTH_ENGINE_DEVICE_ID,
  SAMPLE_AUTH_ENGINE_USER,
  type Simulator,
  SimulatorCore,
  startSimulator
} from "../src/index.ts"

// Tokens are checked here with node:crypto and the documented shapes, never with the simulator's own helpers.
const USER = SAMPLE_AUTH_ENGINE_USER
const MOBILE = USER.mobile!
const BRAND = SAMPLE_AUTH_ENGINE_BRAND.name
const DEVICE = SAMPLE_AUTH_ENGINE_DEVICE_ID
const WHO = { identifierType: "MOBILE", identifierValue: MOBILE, brand: BRAND, deviceId: DEVICE }
const WEB_WHO = { identifierType: "EMAIL", identifierValue: USER.email!, brand: BRAND }
const OK = { success: true, code: 200, message: "SUCCESS" }
const JSON_HEADERS = { "content-type": "application/json", accept: "application/json" }

type Reply = { status: number; body: any; res: Response }

const read = async (res: Response): Promise<Reply> => {
  const text = await res.text()
  let body: any
  try {
    body = JSON.parse(text)
  } catch {
    body = text
  }
  return { status: res.status, body, res }
}

/** POSTs JSON to an Auth Engine endpoint, e.g. `/auth/v1/otp/generate`. */
const post = async (sim: Simulator, path: string, body: unknown, headers: Record<string, string> = {}) =>
  read(
    await fetch(sim.authEngineUrl + path, {
      method: "POST",
      headers: { ...JSON_HEADERS, ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body)
    })
  )

/** GETs the gateway's customer profile with the documented headers (undefined values are left out). */
const profile = async (sim: Simulator, headers: Record<string, string | undefined>) => {
  const sent: Record<string, string> = { accept: "application/json" }
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) sent[k] = v
  return read(await fetch(`${sim.authEngineGatewayUrl}/v1/customer/profile`, { headers: sent }))
}

const mobileHeaders = (token: string) => ({
  cap_authorization: token,
  cap_brand: BRAND,
  cap_device_id: DEVICE,
  cap_mobile: MOBILE
})

const expectError = (r: Reply, http: number, code: number) => {
  expect(r.status).toBe(http)
  expect(r.body.status).toMatchObject({ success: false, code })
  expect(typeof r.body.status.message).toBe("string")
}

const decode = (part: string): any => JSON.parse(Buffer.from(part, "base64url").toString("utf8"))

/** Header and claims of an HS256 JWT, after checking its signature with `secret` via node:crypto. */
const verify = (token: string, secret: string) => {
  const [h, p, s] = token.split(".") as [string, string, string]
  const expected = createHmac("sha256", secret).update(`${h}.${p}`).digest("base64url")
  return { valid: s === expected, header: decode(h), claims: decode(p) }
}

/** The documented mobile flow: token/generate (session), otp/generate, otp/validate. */
const otpLogin = async (sim: Simulator, who: Record<string, string> = WHO, web = false) => {
  const base = web ? "/auth/v1/web" : "/auth/v1"
  const session = await post(sim, `${base}/token/generate`, who)
  expect(session.body.status).toEqual(OK)
  const sessionId: string = session.body.user.sessionId
  expect((await post(sim, `${base}/otp/generate`, { ...who, sessionId })).body.status).toEqual(OK)
  const otp = sim.authEngine.otp(sessionId)!
  const validated = await post(sim, `${base}/otp/validate`, { ...who, sessionId, otp })
  expect(validated.status).toBe(200)
  return {
    sessionId,
    token: validated.body.auth.token as string,
    key: validated.body.auth.key as string,
    validated
  }
}

describe("Auth Engine simulator", () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await startSimulator({
      sharedKey: true,
      clock: "manual",
      authEngine: {
        tokenTtlSeconds: 3600,
        otpAttempts: 2,
        otpGenerateLimit: 3,
        otpGenerateWindowSeconds: 3600,
        passwordAttempts: 2,
        brands: [SAMPLE_AUTH_ENGINE_BRAND, { name: "NoPassword", orgId: 200, passwordLogin: false }],
        users: [
          USER,
          { id: 7, brand: "NoPassword", mobile: "919800000007", password: "pw" },
          { id: 8, username: "no.password.user", email: "np@example.com" }
        ]
      }
    })
  })
  afterAll(() => sim.close())
  beforeEach(() => {
    sim.reset()
    sim.faults.clear()
  })

  describe("OTP and password flows", () => {
    it("runs the documented OTP flow end to end over HTTP: session, OTP (read back for tests), tokens, gateway", async () => {
      const session = await post(sim, "/auth/v1/token/generate", WHO)
      expect(session.status).toBe(200)
      expect(session.body).toEqual({
        status: OK,
        user: {
          userRegistered: true,
          appRegistered: true,
          sessionId: expect.stringMatching(/^P-/),
          role: "VIEW"
        }
      })
      const sessionId = session.body.user.sessionId
      const generated = await post(sim, "/auth/v1/otp/generate", { ...WHO, sessionId })
      expect(generated.status).toBe(200)
      expect(generated.body.status).toEqual(OK)

      const otp = sim.authEngine.otp(sessionId)!
      expect(otp).toMatch(/^[1-9]\d{5}$/)
      const admin = await read(await fetch(`${sim.authEngineUrl}/_admin/otp?sessionId=${sessionId}`))
      expect(admin.body).toMatchObject({ sessionId, otp, identifierType: "MOBILE", identifierValue: MOBILE })

      const validated = await post(sim, "/auth/v1/otp/validate", { ...WHO, sessionId, otp })
      expect(validated.status).toBe(200)
      expect(validated.body).toEqual({
        status: OK,
        auth: { token: expect.any(String), key: expect.any(String) },
        user: { userRegistered: true, appRegistered: true, sessionId: null, role: "USER" }
      })
      expect(sim.authEngine.otp(sessionId)).toBeUndefined()

      const me = await profile(sim, mobileHeaders(validated.body.auth.token))
      expect(me.status).toBe(200)
      expect(me.body).toEqual({
        status: OK,
        customer: {
          id: 1,
          brand: BRAND,
          mobile: MOBILE,
          email: USER.email,
          username: USER.username,
          firstname: "Sample",
          lastname: "Customer"
        }
      })
      expect(sim.authEngine.stats()).toMatchObject({
        sessionsCreated: 1,
        otpGenerated: 1,
        otpValidated: 1,
        tokensGenerated: 1,
        gatewayCalls: { ok: 1 },
        operations: {
          "/auth/v1/token/generate -> ok": 1,
          "/auth/v1/otp/generate -> ok": 1,
          "/auth/v1/otp/validate -> ok": 1,
          "/gateway/v1/customer/profile -> ok": 1
        }
      })
      expect(sim.authEngine.tokens).toHaveLength(1)
      expect(sim.authEngine.tokens[0]).toMatchObject({
        variant: "mobile",
        via: "otp",
        userId: 1,
        deviceId: DEVICE
      })
      // The validated session is spent for OTPs.
      expectError(await post(sim, "/auth/v1/otp/validate", { sessionId, otp }), 401, 1505)
    })

    it("also takes the facts sheet's order: otp/generate opens the session, token/generate after validation", async () => {
      const generated = await post(sim, "/auth/v1/otp/generate", WHO)
      const sessionId = generated.body.user.sessionId
      expect(sessionId).toMatch(/^P-/)
      // Identifier fields are optional beside a sessionId.
      const validated = await post(sim, "/auth/v1/otp/validate", {
        sessionId,
        otp: Number(sim.authEngine.otp(sessionId))
      })
      expect(validated.body.auth.key).toBeDefined()
      const tokens = await post(sim, "/auth/v1/token/generate", { ...WHO, sessionId })
      expect(tokens.body).toEqual({
        status: OK,
        auth: { token: expect.any(String), key: expect.any(String) },
        user: { userRegistered: true, appRegistered: true, sessionId: null, role: "USER" }
      })
      expect((await profile(sim, mobileHeaders(tokens.body.auth.token))).status).toBe(200)
      // Once only; and never before validation.
      expectError(await post(sim, "/auth/v1/token/generate", { ...WHO, sessionId }), 401, 1505)
      const open = (await post(sim, "/auth/v1/token/generate", WHO)).body.user.sessionId
      expectError(await post(sim, "/auth/v1/token/generate", { ...WHO, sessionId: open }), 401, 1505)
    })

    it("validates a password (in a session, or opening one), redacts it from the logs, and locks after N wrong ones", async () => {
      const sessionId = (await post(sim, "/auth/v1/token/generate", WHO)).body.user.sessionId
      const ok = await post(sim, "/auth/v1/password/validate", { ...WHO, sessionId, password: USER.password })
      expect(ok.body).toMatchObject({
        status: OK,
        auth: { token: expect.any(String), key: expect.any(String) }
      })
      expect(verify(ok.body.auth.token, sim.authEngine.secret).claims.rol).toBe("USER")
      expect(sim.authEngine.tokens.at(-1)).toMatchObject({ via: "password" })

      const byUsername = {
        identifierType: "USERNAME",
        identifierValue: USER.username!,
        brand: BRAND,
        deviceId: DEVICE
      }
      expect(
        (await post(sim, "/auth/v1/password/validate", { ...byUsername, password: USER.password })).status
      ).toBe(200)
      expectError(await post(sim, "/auth/v1/password/validate", { ...WHO, password: "wrong" }), 401, 1528)
      expectError(await post(sim, "/auth/v1/password/validate", { ...WHO, password: "wrong" }), 401, 1528)
      expectError(
        await post(sim, "/auth/v1/password/validate", { ...WHO, password: USER.password }),
        401,
        1530
      )
      expectError(await post(sim, "/auth/v1/password/validate", { ...WHO, password: "" }), 400, 1520)
      // A customer without a password; a brand without password login.
      const np = {
        identifierType: "USERNAME",
        identifierValue: "no.password.user",
        brand: BRAND,
        deviceId: DEVICE
      }
      expectError(await post(sim, "/auth/v1/password/validate", { ...np, password: "x" }), 401, 1528)
      const other = {
        identifierType: "MOBILE",
        identifierValue: "919800000007",
        brand: "nopassword",
        deviceId: "d"
      }
      expectError(await post(sim, "/auth/v1/password/validate", { ...other, password: "pw" }), 400, 1524)

      for (const entry of sim.authEngine.requests.filter(
        (r) => r.operation === "/auth/v1/password/validate"
      )) {
        expect((entry.body as any).password).toBe("[redacted]")
      }
      expect(JSON.stringify(sim.requests)).not.toContain(USER.password)
      expect(sim.authEngine.stats()).toMatchObject({ passwordValidated: 2, passwordRejected: 3 })
      sim.reset() // lockouts are cleared
      expect(
        (await post(sim, "/auth/v1/password/validate", { ...WHO, password: USER.password })).status
      ).toBe(200)
    })

    it("answers 1506 for a wrong OTP, then 1518 once the session's attempts are spent (even with the right OTP)", async () => {
      const sessionId = (await post(sim, "/auth/v1/otp/generate", WHO)).body.user.sessionId
      const otp = sim.authEngine.otp(sessionId)!
      const wrong = otp === "123456" ? "654321" : "123456"
      const first = await post(sim, "/auth/v1/otp/validate", { ...WHO, sessionId, otp: wrong })
      expectError(first, 401, 1506)
      expect(first.body).toEqual({ status: { success: false, code: 1506, message: "Invalid OTP." } })
      expectError(await post(sim, "/auth/v1/otp/validate", { ...WHO, sessionId, otp: wrong }), 401, 1506)
      expectError(await post(sim, "/auth/v1/otp/validate", { ...WHO, sessionId, otp }), 401, 1518)
      expectError(await post(sim, "/auth/v1/otp/generate", { ...WHO, sessionId }), 401, 1518)
      expect(sim.authEngine.stats()).toMatchObject({ otpRejected: 2, otpValidated: 0 })
      // A validate before any OTP was generated:
      const fresh = (await post(sim, "/auth/v1/token/generate", WHO)).body.user.sessionId
      expectError(
        await post(sim, "/auth/v1/otp/validate", { ...WHO, sessionId: fresh, otp: "111111" }),
        400,
        1537
      )
    })

    it("limits OTP generation per customer (1534, HTTP 429) within a window on the simulator clock", async () => {
      for (let i = 0; i < 3; i++) expect((await post(sim, "/auth/v1/otp/generate", WHO)).status).toBe(200)
      const limited = await post(sim, "/auth/v1/otp/generate", WHO)
      expectError(limited, 429, 1534)
      // Another customer is not affected; the window passing lifts the limit.
      const email = { identifierType: "EMAIL", identifierValue: USER.email!, brand: BRAND, deviceId: DEVICE }
      expect((await post(sim, "/auth/v1/otp/generate", email)).status).toBe(200)
      sim.clock.advance(3600_000)
      expect((await post(sim, "/auth/v1/otp/generate", WHO)).status).toBe(200)
      expect(sim.authEngine.stats().operations["/auth/v1/otp/generate -> 1534"]).toBe(1)
    })

    it("expires a sessionId after 15 minutes on the manual clock (1505), or by expireSessions()", async () => {
      const sessionId = (await post(sim, "/auth/v1/otp/generate", WHO)).body.user.sessionId
      const otp = sim.authEngine.otp(sessionId)!
      sim.clock.advance(900_000 - 1)
      const other = (await post(sim, "/auth/v1/otp/generate", WHO)).body.user.sessionId
      sim.clock.advance(1)
      const expired = await post(sim, "/auth/v1/otp/validate", { ...WHO, sessionId, otp })
      expectError(expired, 401, 1505)
      expect(expired.body.status.message).toMatch(/^Invalid session\./)
      sim.authEngine.expireSessions()
      expectError(
        await post(sim, "/auth/v1/otp/validate", { sessionId: other, otp: sim.authEngine.otp(other) }),
        401,
        1505
      )
      expectError(
        await post(sim, "/auth/v1/otp/validate", { sessionId: "P-unknown", otp: "123456" }),
        401,
        1505
      )
    })

    it("signs up an unknown mobile by OTP (userRegistered false until validated); reset drops the sign-up", async () => {
      const who = { ...WHO, identifierValue: "919811112222" }
      const session = await post(sim, "/auth/v1/token/generate", who)
      expect(session.body.user).toMatchObject({ userRegistered: false, role: "VIEW" })
      const { token } = await otpLogin(sim, who)
      const me = await profile(sim, { ...mobileHeaders(token), cap_mobile: "919811112222" })
      expect(me.body.customer).toEqual({ id: 9, brand: BRAND, mobile: "919811112222" })
      expect(sim.authEngine.user("919811112222")).toMatchObject({ id: 9 })
      sim.reset()
      expect(sim.authEngine.user("919811112222")).toBeUndefined()
      // An unknown username cannot sign up.
      const nobody = { identifierType: "USERNAME", identifierValue: "nobody", brand: BRAND, deviceId: DEVICE }
      expectError(await post(sim, "/auth/v1/token/generate", nobody), 400, 1515)
    })
  })

  describe("tokens", () => {
    it("signs HS256 tokens with the simulator secret; exp - iat is the configured lifetime; the key has rol AUTH, no exp", async () => {
      const { token, key } = await otpLogin(sim)
      const t = verify(token, sim.authEngine.secret)
      expect(t.valid).toBe(true)
      expect(t.header).toEqual({ idv: [`MOBILE|${MOBILE}`], dev: DEVICE, org: "SAMPLEBRAND", alg: "HS256" })
      expect(t.claims).toMatchObject({ uid: "1", iss: "CAPILLARY TECHNOLOGIES", rol: "USER" })
      expect(t.claims.iat).toBe(Math.floor(sim.clock.now() / 1000))
      expect(t.claims.exp - t.claims.iat).toBe(3600)
      const k = verify(key, sim.authEngine.secret)
      expect(k.valid).toBe(true)
      expect(k.claims).toMatchObject({ uid: "1", rol: "AUTH", mfa: false })
      expect(k.claims.exp).toBeUndefined()
      expect(verify(token, "another secret").valid).toBe(false)
      expect(sim.authEngine.tokens.at(-1)).toMatchObject({ token, key, iat: t.claims.iat, exp: t.claims.exp })

      // Default lifetime 900 s; a fixed OTP and a fixed secret.
      const other = await startSimulator({
        sharedKey: true,
        clock: "manual",
        authEngine: { otp: "999999", secret: "s3" }
      })
      try {
        const sessionId = (await post(other, "/auth/v1/otp/generate", WHO)).body.user.sessionId
        const v = await post(other, "/auth/v1/otp/validate", { sessionId, otp: "999999" })
        const claims = verify(v.body.auth.token, "s3")
        expect(claims.valid).toBe(true)
        expect(claims.claims.exp - claims.claims.iat).toBe(900)
        // A token of one simulator is garbage to another.
        expectError(await profile(sim, mobileHeaders(v.body.auth.token)), 401, 1505)
      } finally {
        await other.close()
      }
    })

    it("web: a VIEW token with the session, no device, and a token without key (dev null)", async () => {
      const session = await post(sim, "/auth/v1/web/token/generate", WEB_WHO)
      expect(session.body).toEqual({
        status: OK,
        auth: { token: expect.any(String) },
        user: {
          userRegistered: true,
          appRegistered: true,
          sessionId: expect.stringMatching(/^P-/),
          role: "VIEW"
        }
      })
      const view = verify(session.body.auth.token, sim.authEngine.secret)
      expect(view.claims.rol).toBe("VIEW")
      expect(view.header.dev).toBeNull()
      expectError(
        await profile(sim, { cap_authorization: session.body.auth.token, cap_brand: BRAND }),
        401,
        1505
      )

      const { token, validated } = await otpLogin(sim, WEB_WHO, true)
      expect(validated.body.auth).toEqual({ token: expect.any(String) })
      const t = verify(token, sim.authEngine.secret)
      expect(t.header).toEqual({ idv: [`EMAIL|${USER.email}`], dev: null, org: "SAMPLEBRAND", alg: "HS256" })
      expect(sim.authEngine.tokens.at(-1)).toMatchObject({ variant: "web", deviceId: null })
      // The gateway needs no cap_device_id for a web token.
      expect((await profile(sim, { cap_authorization: token, cap_brand: BRAND })).status).toBe(200)
      // Mobile endpoints need a deviceId; web ones do not.
      expectError(await post(sim, "/auth/v1/token/generate", WEB_WHO), 400, 1519)
    })

    it("regenerates with the mobile key (same key back) or the expired web token; refuses with 1525 where not allowed", async () => {
      const mobile = await otpLogin(sim)
      sim.clock.advance(3600_000)
      const regen = await post(sim, "/auth/v1/token/regenerate", { ...WHO, key: mobile.key })
      expect(regen.body).toEqual({
        status: OK,
        auth: { token: expect.any(String), key: mobile.key },
        user: { userRegistered: true, appRegistered: true, sessionId: null, role: "USER" }
      })
      const fresh = verify(regen.body.auth.token, sim.authEngine.secret)
      expect(fresh.claims.iat).toBe(Math.floor(sim.clock.now() / 1000))
      expect((await profile(sim, mobileHeaders(regen.body.auth.token))).status).toBe(200)

      const web = await otpLogin(sim, WEB_WHO, true)
      sim.clock.advance(3600_000)
      expectError(await profile(sim, { cap_authorization: web.token, cap_brand: BRAND }), 401, 1529)
      const webRegen = await post(sim, "/auth/v1/web/token/regenerate", {
        ...WEB_WHO,
        expiredToken: web.token
      })
      expect(webRegen.body.auth).toEqual({ token: expect.any(String) })
      expect(
        (await profile(sim, { cap_authorization: webRegen.body.auth.token, cap_brand: BRAND })).status
      ).toBe(200)
      expect(sim.authEngine.tokens.map((t) => t.via)).toEqual(["otp", "key", "otp", "expiredToken"])

      // Refusals: garbage, the wrong kind, revoked credentials, a brand without password login.
      expectError(await post(sim, "/auth/v1/token/regenerate", { ...WHO, key: "not.a.jwt" }), 401, 1525)
      expectError(await post(sim, "/auth/v1/token/regenerate", { ...WHO, key: mobile.token }), 401, 1525)
      expectError(
        await post(sim, "/auth/v1/token/regenerate", { ...WHO, expiredToken: mobile.key }),
        401,
        1525
      )
      expectError(await post(sim, "/auth/v1/token/regenerate", { ...WHO }), 400, 1519)
      expectError(
        await post(sim, "/auth/v1/token/regenerate", {
          ...WHO,
          identifierValue: "919800000000",
          key: mobile.key
        }),
        400,
        1541
      )
      sim.authEngine.revokeKey(mobile.key)
      expectError(await post(sim, "/auth/v1/token/regenerate", { ...WHO, key: mobile.key }), 401, 1525)
      sim.authEngine.revokeUser(USER.email!)
      expectError(
        await post(sim, "/auth/v1/web/token/regenerate", { expiredToken: webRegen.body.auth.token }),
        401,
        1525
      )

      const np = {
        identifierType: "MOBILE",
        identifierValue: "919800000007",
        brand: "NoPassword",
        deviceId: "d7"
      }
      const npLogin = await otpLogin(sim, np)
      expect(npLogin.key).toBeDefined()
      const refused = await post(sim, "/auth/v1/token/regenerate", { ...np, key: npLogin.key })
      expectError(refused, 401, 1525)
      expect(refused.body.status.message).toContain("password login is not enabled")
      expect(sim.authEngine.stats().regenerateRefused).toBe(6)
    })
  })

  describe("gateway", () => {
    it("answers the profile for a good token, 1529 after expiry (clock or expireTokens), 15xx for bad requests", async () => {
      const { token } = await otpLogin(sim)
      expect((await profile(sim, mobileHeaders(token))).status).toBe(200)
      sim.clock.advance(3600_000 - 1000)
      expect((await profile(sim, mobileHeaders(token))).status).toBe(200)
      sim.clock.advance(1000)
      const expired = await profile(sim, mobileHeaders(token))
      expectError(expired, 401, 1529)
      expect(expired.body).toEqual({ status: { success: false, code: 1529, message: "Token has expired." } })

      const second = await otpLogin(sim)
      sim.authEngine.expireTokens()
      expectError(await profile(sim, mobileHeaders(second.token)), 401, 1529)
      const third = await otpLogin(sim)
      expect((await profile(sim, mobileHeaders(third.token))).status).toBe(200)

      expectError(
        await profile(sim, { ...mobileHeaders(third.token), cap_authorization: undefined }),
        401,
        1505
      )
      expectError(await profile(sim, mobileHeaders(`${third.token}x`)), 401, 1505)
      expectError(await profile(sim, mobileHeaders(third.key)), 401, 1505)
      expectError(await profile(sim, { ...mobileHeaders(third.token), cap_brand: undefined }), 400, 1519)
      expectError(await profile(sim, { ...mobileHeaders(third.token), cap_device_id: undefined }), 400, 1519)
      expectError(await profile(sim, { ...mobileHeaders(third.token), cap_brand: "OtherBrand" }), 400, 1509)
      expectError(await profile(sim, { ...mobileHeaders(third.token), cap_device_id: "other" }), 400, 1508)
      expectError(
        await profile(sim, { ...mobileHeaders(third.token), cap_mobile: "910000000000" }),
        400,
        1507
      )
      // cap_brand is compared without regard to case; cap_mobile is optional.
      expect((await profile(sim, { ...mobileHeaders(third.token), cap_brand: "samplebrand" })).status).toBe(
        200
      )
      expect((await profile(sim, { ...mobileHeaders(third.token), cap_mobile: undefined })).status).toBe(200)
      sim.authEngine.revokeToken(third.token)
      expectError(await profile(sim, mobileHeaders(third.token)), 401, 1505)

      expect(sim.authEngine.stats().gatewayCalls).toEqual({
        ok: 5,
        "1529": 2,
        "1505": 4,
        "1519": 2,
        "1509": 1,
        "1508": 1,
        "1507": 1
      })
    })

    it('answers errors with HTTP 200 and the code in the body under errorSignal "body"', async () => {
      const { token } = await otpLogin(sim)
      sim.authEngine.setErrorSignal("body")
      sim.authEngine.expireTokens()
      const expired = await profile(sim, mobileHeaders(token))
      expect(expired.status).toBe(200)
      expect(expired.body.status).toMatchObject({ success: false, code: 1529 })
      expect((await post(sim, "/auth/v1/otp/validate", { sessionId: "P-x", otp: "1" })).status).toBe(200)
      sim.reset() // restores the configured signal
      expect((await profile(sim, mobileHeaders(token))).status).toBe(401)
    })
  })

  describe("requests, faults, routing", () => {
    it("applies faults on Auth Engine paths (matched on /auth-engine/...) in the Auth Engine's envelope", async () => {
      sim.faults.add({
        path: "/auth-engine/auth/v1/otp/generate",
        fault: { kind: "status", status: 503, errorCode: 1503 },
        times: 1
      })
      const failed = await post(sim, "/auth/v1/otp/generate", WHO)
      expect(failed.status).toBe(503)
      expect(failed.body).toEqual({
        status: { success: false, code: 1503, message: "Unable to generate OTP." }
      })
      expect((await post(sim, "/auth/v1/otp/generate", WHO)).status).toBe(200)

      sim.faults.add({
        path: "/auth-engine/gateway/v1/customer/profile",
        fault: { kind: "rate-limit", retryAfterSeconds: 2 },
        times: 1
      })
      const limited = await profile(sim, mobileHeaders("t"))
      expect(limited.status).toBe(429)
      expect(limited.body.status).toMatchObject({ success: false, code: 429 })
      expect(limited.res.headers.get("retry-after")).toBe("2")

      sim.faults.add({ path: "/auth-engine/auth/v1/token/generate", fault: { kind: "reset" }, times: 1 })
      await expect(post(sim, "/auth/v1/token/generate", WHO)).rejects.toThrow(TypeError)
      sim.faults.add({
        path: "/auth-engine/auth/v1/token/generate",
        fault: { kind: "truncated-json" },
        times: 1
      })
      expect(typeof (await post(sim, "/auth/v1/token/generate", WHO)).body).toBe("string")

      // Faulted requests that never reached the Auth Engine are only in sim.requests.
      expect(sim.authEngine.requests.map((r) => r.operation)).toEqual([
        "/auth/v1/otp/generate",
        "/auth/v1/token/generate"
      ])
      expect(sim.requests.map((r) => r.fault)).toEqual([
        "status",
        undefined,
        "rate-limit",
        "reset",
        "truncated-json"
      ])
      expect(sim.stats().apiRequests).toMatchObject({
        "POST /auth-engine/auth/v1/otp/generate -> 503": 1,
        "POST /auth-engine/auth/v1/otp/generate -> 200": 1
      })
    })

    it("logs each request with its session, status and code", async () => {
      const sessionId = (await post(sim, "/auth/v1/otp/generate", WHO)).body.user.sessionId
      await post(sim, "/auth/v1/otp/validate", { sessionId, otp: "1" })
      const [gen, val] = sim.authEngine.requests
      expect(gen).toMatchObject({ operation: "/auth/v1/otp/generate", method: "POST", sessionId, code: 200 })
      expect(gen!.body).toEqual(WHO)
      expect(val).toMatchObject({ sessionId, httpStatus: 401, code: 1506, success: false })
      expect(val!.requestId).toBe(sim.requests.at(-1)!.requestId)
    })

    it("refuses bad requests: 1519, 1546, unknown paths (404), wrong methods (405), non-JSON bodies", async () => {
      expectError(await post(sim, "/auth/v1/token/generate", { ...WHO, identifierType: "PHONE" }), 400, 1546)
      expectError(await post(sim, "/auth/v1/token/generate", { ...WHO, brand: "Unknown" }), 400, 1519)
      expectError(await post(sim, "/auth/v1/token/generate", { ...WHO, identifierValue: "" }), 400, 1519)
      expectError(await post(sim, "/auth/v1/token/generate", { ...WHO, deviceId: undefined }), 400, 1519)
      expectError(await post(sim, "/auth/v1/token/generate", "[1]"), 400, 1519)
      expectError(await post(sim, "/auth/v1/token/generate", "{oops"), 400, 1519)
      expectError(
        await post(sim, "/auth/v1/token/generate", JSON.stringify(WHO), { "content-type": "text/plain" }),
        400,
        1519
      )
      const sessionId = (await post(sim, "/auth/v1/token/generate", WHO)).body.user.sessionId
      expectError(
        await post(sim, "/auth/v1/otp/generate", { ...WHO, sessionId, deviceId: "other" }),
        400,
        1508
      )
      expectError(
        await post(sim, "/auth/v1/otp/generate", { ...WHO, sessionId, brand: "NoPassword" }),
        400,
        1509
      )
      expectError(
        await post(sim, "/auth/v1/otp/generate", { ...WHO, sessionId, identifierValue: "910000000000" }),
        400,
        1541
      )
      expectError(await post(sim, "/auth/v1/otp/validate", { ...WHO, otp: "1" }), 400, 1519)
      expectError(await post(sim, "/auth/v1/nope", WHO), 404, 404)
      expectError(await read(await fetch(`${sim.authEngineUrl}/auth/v1/token/generate`)), 405, 405)
      expect((await read(await fetch(`${sim.authEngineUrl}/_admin/otp?sessionId=none`))).status).toBe(404)
    })
  })
})

describe("Auth Engine defaults, the web handler and options", () => {
  it("serves the sample brand and customer through SimulatorCore.fetch", async () => {
    const core = await SimulatorCore.create({ sharedKey: true, clock: "manual" })
    const call = async (path: string, body: unknown) =>
      (await core
        .fetch(
          new Request(`http://sim.test/auth-engine${path}`, {
            method: "POST",
            headers: JSON_HEADERS,
            body: JSON.stringify(body)
          })
        )
        .then((r) => r.json())) as any
    const sessionId = (await call("/auth/v1/token/generate", WHO)).user.sessionId
    const validated = await call("/auth/v1/password/validate", { ...WHO, sessionId, password: "Sample@123" })
    const claims = verify(validated.auth.token, core.authEngine.secret)
    expect(claims.valid).toBe(true)
    expect(claims.claims.exp - claims.claims.iat).toBe(900)
  })

  it("validates Auth Engine options at start", async () => {
    await expect(startSimulator({ authEngine: { tokenTtlSeconds: 0 } })).rejects.toThrow(RangeError)
    await expect(startSimulator({ authEngine: { otp: "12ab" } })).rejects.toThrow(TypeError)
    await expect(startSimulator({ authEngine: { brands: [] } })).rejects.toThrow(TypeError)
    await expect(
      startSimulator({ authEngine: { users: [{ id: 3, brand: "Nope", mobile: "1" }] } })
    ).rejects.toThrow(TypeError)
    await expect(
      startSimulator({
        authEngine: {
          users: [
            { id: 1, mobile: "1" },
            { id: 2, mobile: "1" }
          ]
        }
      })
    ).rejects.toThrow(TypeError)
  })
})

describe("capauth-sim --auth-engine", () => {
  const BIN = fileURLToPath(new URL("../bin/capauth-sim.js", import.meta.url))
  const BANNER = /listening on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*Ctrl-C to stop/
  let child: ChildProcess | undefined
  afterEach(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL")
  })

  const run = (args: string[]): Promise<{ child: ChildProcess; out: string; url: string }> =>
    new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] })
      child = proc
      let out = ""
      let err = ""
      const timer = setTimeout(() => reject(new Error(`no banner: ${out}${err}`)), 10_000)
      proc.stdout!.on("data", (d: Buffer) => {
        out += d.toString()
        const m = out.match(BANNER)
        if (m) {
          clearTimeout(timer)
          resolve({ child: proc, out, url: m[1]! })
        }
      })
      proc.stderr!.on("data", (d: Buffer) => {
        err += d.toString()
      })
      proc.on("exit", (code) => {
        clearTimeout(timer)
        if (!BANNER.test(out)) reject(new Error(`CLI exited ${code}: ${out}${err}`))
      })
    })

  const stop = async (proc: ChildProcess) => {
    const done = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)))
    proc.kill("SIGTERM")
    expect(await done).toBe(0)
  }

  it("always serves the Auth Engine; the flag prints its base URLs, sample identifiers and the OTP route", async () => {
    const plain = await run(["--port", "0"])
    expect(plain.out).toMatch(/Auth Engine\s+base URL: http:\/\/127\.0\.0\.1:\d+\/auth-engine/)
    expect(plain.out).not.toContain("Sample@123")
    await stop(plain.child)

    const started = await run([
      "--port",
      "0",
      "--auth-engine",
      "--auth-otp",
      "999999",
      "--auth-token-ttl",
      "3600"
    ])
    const { out, url } = started
    expect(out).toContain(`base URL: ${url}/auth-engine`)
    expect(out).toContain(`${url}/auth-engine/gateway/v1/customer/profile`)
    expect(out).toContain(`brand: ${BRAND}`)
    expect(out).toContain(`mobile: ${MOBILE}`)
    expect(out).toContain(`deviceId: ${DEVICE}`)
    expect(out).toContain("password: Sample@123")
    expect(out).toContain(`${url}/auth-engine/_admin/otp?sessionId=`)

    const postTo = async (path: string, body: unknown) =>
      (await fetch(`${url}/auth-engine${path}`, {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify(body)
      }).then((r) => r.json())) as any
    const sessionId = (await postTo("/auth/v1/otp/generate", WHO)).user.sessionId
    const otp = (
      (await fetch(`${url}/auth-engine/_admin/otp?sessionId=${sessionId}`).then((r) => r.json())) as any
    ).otp
    expect(otp).toBe("999999")
    const validated = await postTo("/auth/v1/otp/validate", { ...WHO, sessionId, otp })
    const [, payload] = validated.auth.token.split(".")
    const claims = decode(payload)
    expect(claims.exp - claims.iat).toBe(3600)
    await stop(started.child)
  })

  it("refuses a bad --auth-otp", async () => {
    const bad = spawn(process.execPath, [BIN, "--auth-otp", "12"], { stdio: "ignore" })
    expect(await new Promise((r) => bad.on("exit", (code) => r(code)))).toBe(2)
  })
})
