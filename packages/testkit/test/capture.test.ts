import { createHmac } from "node:crypto"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import {
  SAMPLE_CAPTURE_CLIENT,
  SAMPLE_CAPTURE_USER,
  type Simulator,
  SimulatorCore,
  startSimulator
} from "../src/index.ts"

// Everything below is computed here from the documented schemes, never with the simulator's own helpers.
const ID = SAMPLE_CAPTURE_CLIENT.clientId
const SECRET = SAMPLE_CAPTURE_CLIENT.clientSecret
const UUID = SAMPLE_CAPTURE_USER.uuid
const FORM = { "content-type": "application/x-www-form-urlencoded" }
const REDIRECT = "https://app.example.com/callback"

const basic = (id = ID, secret = SECRET) => ({
  authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`
})

/** base64(HMAC-SHA1(secret, text)), straight from node:crypto. */
const hmac = (secret: string, text: string) =>
  createHmac("sha1", secret).update(text, "utf8").digest("base64")

/** `YYYY-MM-DD HH:MM:SS` in UTC. */
const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ")

/** The signed headers for a text the test wrote out by hand. */
const signedHeaders = (date: string, text: string, id = ID, secret = SECRET) => ({
  date,
  authorization: `Signature ${id}:${hmac(secret, text)}`
})

/** POSTs a form to a Capture operation; returns status, parsed body and the response. */
const capture = async (
  sim: Simulator,
  operation: string,
  params: Record<string, string>,
  headers: Record<string, string> = {}
) => {
  const res = await fetch(`${sim.captureUrl}/${operation}`, {
    method: "POST",
    headers: { ...FORM, ...headers },
    body: new URLSearchParams(params).toString()
  })
  const text = await res.text()
  let body: any
  try {
    body = JSON.parse(text)
  } catch {
    body = text
  }
  return { status: res.status, body, res }
}

const expectError = (r: { status: number; body: any }, status: number, code: number, error: string) => {
  expect(r.status).toBe(status)
  expect(r.body).toMatchObject({ stat: "error", code, error })
  expect(typeof (r.body.error_description ?? r.body.message)).toBe("string")
  expect(r.body.request_id ?? r.body.request_token).toMatch(/^[a-z0-9]{16}$/)
}

describe("Capture simulator", () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await startSimulator({
      sharedKey: true,
      clock: "manual",
      capture: {
        clients: [
          SAMPLE_CAPTURE_CLIENT,
          { clientId: "login", clientSecret: "login-secret", features: ["login_client"] },
          { clientId: "short", clientSecret: "short-secret", accessTokenTtlSeconds: 60 }
        ],
        users: [
          SAMPLE_CAPTURE_USER,
          { uuid: "u-2", typeName: "user", attributes: { email: "two@example.com", givenName: "Two" } }
        ]
      }
    })
  })
  afterAll(() => sim.close())
  beforeEach(() => {
    sim.reset()
    sim.clock.set(Date.UTC(2024, 0, 1))
  })

  const now = () => dateOf(sim.clock.now())

  const code = async (extra: Record<string, string> = {}, headers = basic()) => {
    const r = await capture(
      sim,
      "access/getAuthorizationCode",
      { type_name: "user", uuid: UUID, redirect_uri: REDIRECT, ...extra },
      headers
    )
    expect(r.body.stat, JSON.stringify(r.body)).toBe("ok")
    return r.body.authorizationCode as string
  }

  const exchange = (authorizationCode: string, redirectUri = REDIRECT, headers = basic()) =>
    capture(
      sim,
      "oauth/token",
      { grant_type: "authorization_code", code: authorizationCode, redirect_uri: redirectUri },
      headers
    )

  const tokens = async (headers = basic()) => {
    const r = await exchange(await code({ for_client_id: clientOf(headers) }), REDIRECT, headers)
    expect(r.status, JSON.stringify(r.body)).toBe(200)
    return r.body as { access_token: string; refresh_token: string; expires_in: number }
  }
  const clientOf = (headers: { authorization: string }) =>
    Buffer.from(headers.authorization.slice(6), "base64").toString().split(":")[0]!

  const refresh = (token: string, headers = basic()) =>
    capture(sim, "oauth/token", { grant_type: "refresh_token", refresh_token: token }, headers)

  describe("client authentication", () => {
    it("serves under /capture and accepts Basic base64(client_id:client_secret)", async () => {
      expect(sim.captureUrl).toBe(`${sim.url}/capture`)
      const r = await capture(sim, "entity.count", { type_name: "user" }, basic())
      expect([r.status, r.body]).toEqual([200, { stat: "ok", total_count: 2 }])
      expect(r.res.headers.get("content-type")).toBe("application/json")
    })

    it("refuses a wrong Basic secret with 402 invalid_client_credentials over HTTP 200", async () => {
      const r = await capture(sim, "entity.count", { type_name: "user" }, basic(ID, "wrong"))
      expectError(r, 200, 402, "invalid_client_credentials")
      expect(Object.keys(r.body).sort()).toEqual(
        ["code", "error", "error_description", "request_id", "stat"].sort()
      )
      expectError(
        await capture(sim, "entity.count", { type_name: "user" }, basic("nobody", SECRET)),
        200,
        402,
        "invalid_client_credentials"
      )
    })

    it("accepts the legacy client_id / client_secret parameters, refuses a wrong one", async () => {
      const ok = await capture(sim, "entity.count", {
        type_name: "user",
        client_id: ID,
        client_secret: SECRET
      })
      expect(ok.body).toEqual({ stat: "ok", total_count: 2 })
      const bad = await capture(sim, "entity.count", { type_name: "user", client_id: ID, client_secret: "x" })
      expectError(bad, 200, 402, "invalid_client_credentials")
      const missing = await capture(sim, "entity.count", { type_name: "user", client_id: ID })
      expectError(missing, 200, 100, "missing_argument")
      expectError(await capture(sim, "entity.count", { type_name: "user" }), 200, 100, "missing_argument")
    })

    it("accepts a signature over endpoint, date and the sorted k=v lines (vector written out here)", async () => {
      const date = now()
      expect(date).toBe("2024-01-01 00:00:00")
      const text = "/entity.count\n2024-01-01 00:00:00\ntype_name=user\n"
      const r = await capture(sim, "entity.count", { type_name: "user" }, signedHeaders(date, text))
      expect(r.body).toEqual({ stat: "ok", total_count: 2 })
      expect(sim.capture.stats().signatureChecks).toEqual({ passed: 1, failed: 0 })
    })

    it("signs the no-parameter case as endpoint\\ndate\\n (not with an extra newline)", async () => {
      const date = now()
      // `entity` with no parameters: authentication passes, then type_name is missing (100, not 402).
      const ok = await capture(sim, "entity", {}, signedHeaders(date, `/entity\n${date}\n`))
      expectError(ok, 200, 100, "missing_argument")
      expect(ok.body.error_description).toMatch(/type_name/)
      // The variant of Janrain's non-Python samples (an extra "\n" for an empty list) is refused.
      const extra = await capture(sim, "entity", {}, signedHeaders(date, `/entity\n${date}\n\n`))
      expectError(extra, 200, 402, "invalid_client_credentials")
      expect(sim.capture.stats().signatureChecks).toEqual({ passed: 1, failed: 1 })
    })

    it("sorts whole k=v strings, signs form-decoded values, never signs client_id / client_secret", async () => {
      const date = now()
      const params = { type_name: "user", "a-b": "1", a: "x y&z=é+", client_id: ID }
      // Whole-string order: "a-b=1" < "a=x y&z=é+" ('-' sorts before '='); by key alone "a" would come first.
      const text = `/entity.count\n${date}\na-b=1\na=x y&z=é+\ntype_name=user\n`
      const ok = await capture(sim, "entity.count", params, signedHeaders(date, text))
      expect(ok.body).toEqual({ stat: "ok", total_count: 2 })
      const byKey = `/entity.count\n${date}\na=x y&z=é+\na-b=1\ntype_name=user\n`
      expectError(
        await capture(sim, "entity.count", params, signedHeaders(date, byKey)),
        200,
        402,
        "invalid_client_credentials"
      )
      const encoded = `/entity.count\n${date}\na-b=1\na=x%20y%26z%3D%C3%A9%2B\ntype_name=user\n`
      expectError(
        await capture(sim, "entity.count", params, signedHeaders(date, encoded)),
        200,
        402,
        "invalid_client_credentials"
      )
    })

    it("refuses a wrong secret, a Date over 5 minutes off the simulator clock, a missing or bad Date", async () => {
      const date = now()
      const text = `/entity.count\n${date}\ntype_name=user\n`
      const wrong = await capture(
        sim,
        "entity.count",
        { type_name: "user" },
        signedHeaders(date, text, ID, "nope")
      )
      expectError(wrong, 200, 402, "invalid_client_credentials")

      const base = sim.clock.now()
      for (const [offset, ok] of [
        [-299_000, true],
        [299_000, true],
        [-301_000, false],
        [301_000, false]
      ] as const) {
        const d = dateOf(base + offset)
        const r = await capture(
          sim,
          "entity.count",
          { type_name: "user" },
          signedHeaders(d, `/entity.count\n${d}\ntype_name=user\n`)
        )
        if (ok) expect(r.body.stat, `${offset}`).toBe("ok")
        else expectError(r, 200, 402, "invalid_client_credentials")
      }

      const noDate = await capture(
        sim,
        "entity.count",
        { type_name: "user" },
        { authorization: signedHeaders(date, text).authorization }
      )
      expectError(noDate, 200, 100, "missing_argument")
      const isoDate = await capture(
        sim,
        "entity.count",
        { type_name: "user" },
        signedHeaders("2024-01-01T00:00:00Z", text)
      )
      expectError(isoDate, 200, 200, "invalid_argument")
    })

    it("answers 205 invalid_auth_method for an unknown scheme", async () => {
      const r = await capture(sim, "entity.count", { type_name: "user" }, { authorization: "Bearer abc" })
      expectError(r, 200, 205, "invalid_auth_method")
    })

    it("checks the client's features: 403 client_permission_error", async () => {
      const r = await capture(sim, "entity.count", { type_name: "user" }, basic("login", "login-secret"))
      expectError(r, 200, 403, "client_permission_error")
    })
  })

  describe("authorization codes and oauth/token", () => {
    it("exchanges a code once: {access_token, expires_in, refresh_token, stat}; a second use is 400 / 415", async () => {
      const c = await code()
      expect(c).toMatch(/^[a-z0-9]{14}$/)
      const first = await exchange(c)
      expect(first.status).toBe(200)
      expect(Object.keys(first.body).sort()).toEqual(["access_token", "expires_in", "refresh_token", "stat"])
      expect(first.body).toMatchObject({ stat: "ok", expires_in: 3600 })
      expectError(await exchange(c), 400, 415, "authorization_code_expired")
      expectError(await exchange("neverissued"), 400, 200, "invalid_argument")
    })

    it("answers 420 redirect_uri_mismatch (HTTP 400) without spending the code", async () => {
      const c = await code()
      expectError(await exchange(c, "https://evil.example.com/"), 400, 420, "redirect_uri_mismatch")
      expect((await exchange(c)).status).toBe(200)
    })

    it("expires a code after its lifetime on the simulator clock (default 30 s, or `lifetime`)", async () => {
      const short = await code()
      const long = await code({ lifetime: "120" })
      sim.clock.advance(29_999)
      const fresh = await code()
      sim.clock.advance(1)
      expectError(await exchange(short), 400, 415, "authorization_code_expired")
      expect((await exchange(long)).status).toBe(200)
      expect((await exchange(fresh)).status).toBe(200)
    })

    it("finds the user by uuid, id or key_attribute + key_value; 310 when none matches", async () => {
      for (const who of [
        { uuid: "u-2" },
        { id: "2" },
        { key_attribute: "email", key_value: "two@example.com" }
      ]) {
        const r = await capture(
          sim,
          "access/getAuthorizationCode",
          { type_name: "user", redirect_uri: REDIRECT, ...who },
          basic()
        )
        const t = await exchange(r.body.authorizationCode)
        const e = await capture(sim, "entity", {}, { authorization: `OAuth ${t.body.access_token}` })
        expect(e.body.result.uuid).toBe("u-2")
      }
      const none = await capture(
        sim,
        "access/getAuthorizationCode",
        { type_name: "user", redirect_uri: REDIRECT, uuid: "nobody" },
        basic()
      )
      expectError(none, 200, 310, "record_not_found")
      const noWho = await capture(
        sim,
        "access/getAuthorizationCode",
        { type_name: "user", redirect_uri: REDIRECT },
        basic()
      )
      expectError(noWho, 200, 100, "missing_argument")
    })

    it("binds a code to for_client_id: another client gets 400 / 403, that client succeeds", async () => {
      const c = await code({ for_client_id: "login" })
      expectError(await exchange(c), 400, 403, "client_permission_error")
      const ok = await exchange(c, REDIRECT, basic("login", "login-secret"))
      expect(ok.status).toBe(200)
      const ghost = await capture(
        sim,
        "access/getAuthorizationCode",
        { type_name: "user", uuid: UUID, redirect_uri: REDIRECT, for_client_id: "ghost" },
        basic()
      )
      expectError(ghost, 200, 200, "invalid_argument")
    })

    it("answers 401 for bad client credentials on oauth/token, 400 for a bad request, HTTP 200 elsewhere", async () => {
      const c = await code()
      expectError(await exchange(c, REDIRECT, basic(ID, "wrong")), 401, 402, "invalid_client_credentials")
      expectError(
        await capture(sim, "oauth/token", {
          grant_type: "authorization_code",
          code: c,
          redirect_uri: REDIRECT
        }),
        401,
        100,
        "missing_argument"
      )
      expectError(await capture(sim, "oauth/token", {}, basic()), 400, 100, "missing_argument")
      expectError(
        await capture(sim, "oauth/token", { grant_type: "password" }, basic()),
        400,
        200,
        "invalid_argument"
      )
      expectError(
        await capture(sim, "oauth/token", { grant_type: "authorization_code", code: c }, basic()),
        400,
        100,
        "missing_argument"
      )
      // The failures above did not spend the code.
      expect((await exchange(c)).status).toBe(200)
    })

    it("accepts params and signed client auth on oauth/token too", async () => {
      const viaParams = await capture(sim, "oauth/token", {
        grant_type: "authorization_code",
        code: await code(),
        redirect_uri: REDIRECT,
        client_id: ID,
        client_secret: SECRET
      })
      expect(viaParams.status).toBe(200)
      const c = await code()
      const date = now()
      const text = `/oauth/token\n${date}\ncode=${c}\ngrant_type=authorization_code\nredirect_uri=${REDIRECT}\n`
      const signed = await capture(
        sim,
        "oauth/token",
        { grant_type: "authorization_code", code: c, redirect_uri: REDIRECT },
        signedHeaders(date, text)
      )
      expect(signed.status, JSON.stringify(signed.body)).toBe(200)
    })
  })

  describe("refresh tokens and access tokens", () => {
    it("rotates refresh tokens: each is single use (reuse is 400 / 210), the new one works", async () => {
      const t1 = await tokens()
      const r2 = await refresh(t1.refresh_token)
      expect(r2.status).toBe(200)
      expect(r2.body.refresh_token).not.toBe(t1.refresh_token)
      expect(r2.body.access_token).not.toBe(t1.access_token)
      expectError(await refresh(t1.refresh_token), 400, 210, "invalid_credentials")
      const r3 = await refresh(r2.body.refresh_token)
      expect(r3.status).toBe(200)
      expectError(await refresh("garbage"), 400, 210, "invalid_credentials")
      // A refresh token belongs to the client it was issued to.
      expectError(
        await refresh(r3.body.refresh_token, basic("short", "short-secret")),
        400,
        403,
        "client_permission_error"
      )
      expect(sim.capture.stats()).toMatchObject({
        refreshTokensUsed: 2,
        refreshTokenReuse: 1,
        tokensIssued: 3
      })
    })

    it("serves the user's record for an access token, then 414 once it expires on the simulator clock", async () => {
      const t = await tokens()
      const viaHeader = await capture(sim, "entity", {}, { authorization: `OAuth ${t.access_token}` })
      expect(viaHeader.body).toMatchObject({
        stat: "ok",
        result: {
          uuid: UUID,
          id: 1,
          email: "sample.user@example.com",
          created: "2024-01-01 00:00:00.000000 +0000"
        }
      })
      const viaParam = await capture(sim, "entity", { access_token: t.access_token })
      expect(viaParam.body.result.uuid).toBe(UUID)
      sim.clock.advance(3_599_999)
      expect((await capture(sim, "entity", { access_token: t.access_token })).body.stat).toBe("ok")
      sim.clock.advance(1)
      expectError(
        await capture(sim, "entity", { access_token: t.access_token }),
        200,
        414,
        "access_token_expired"
      )
      // Refresh still works after expiry and gives a working token.
      const r = await refresh(t.refresh_token)
      expect((await capture(sim, "entity", { access_token: r.body.access_token })).body.stat).toBe("ok")
    })

    it("takes the access-token lifetime from the client", async () => {
      const t = await tokens(basic("short", "short-secret"))
      expect(t.expires_in).toBe(60)
      sim.clock.advance(60_000)
      expectError(
        await capture(sim, "entity", { access_token: t.access_token }),
        200,
        414,
        "access_token_expired"
      )
    })

    it("expireAccessTokens, revokeAccessToken and revokeUser", async () => {
      const a = await tokens()
      sim.capture.expireAccessTokens()
      const b = await tokens()
      expectError(
        await capture(sim, "entity", { access_token: a.access_token }),
        200,
        414,
        "access_token_expired"
      )
      expect((await capture(sim, "entity", { access_token: b.access_token })).body.stat).toBe("ok")
      sim.capture.revokeAccessToken(b.access_token)
      expectError(await capture(sim, "entity", { access_token: b.access_token }), 200, 413, "no_access_grant")
      expectError(await capture(sim, "entity", { access_token: "unknown" }), 200, 413, "no_access_grant")
      sim.capture.revokeUser(UUID)
      expectError(await refresh(b.refresh_token), 400, 210, "invalid_credentials")
      const c = await tokens()
      sim.capture.revokeRefreshToken(c.refresh_token)
      expectError(await refresh(c.refresh_token), 400, 210, "invalid_credentials")
    })

    it("entity with client credentials needs type_name and an identifier; a token is for its own user only", async () => {
      const r = await capture(sim, "entity", { type_name: "user", uuid: "u-2" }, basic())
      expect(r.body.result).toMatchObject({ uuid: "u-2", givenName: "Two" })
      const t = await tokens()
      expectError(
        await capture(sim, "entity", { uuid: "u-2" }, { authorization: `OAuth ${t.access_token}` }),
        200,
        413,
        "no_access_grant"
      )
    })

    it("entity.update writes the attributes JSON (access token or client) and records it", async () => {
      const t = await tokens()
      const r = await capture(
        sim,
        "entity.update",
        { attributes: JSON.stringify({ givenName: "Renamed", tags: ["a"] }) },
        { authorization: `OAuth ${t.access_token}` }
      )
      expect(r.body).toEqual({ stat: "ok" })
      sim.clock.advance(1000)
      await capture(
        sim,
        "entity.update",
        { type_name: "user", uuid: UUID, attributes: '{"familyName":"X"}' },
        basic()
      )
      expect(sim.capture.user(UUID)).toMatchObject({
        givenName: "Renamed",
        familyName: "X",
        tags: ["a"],
        lastUpdated: "2024-01-01 00:00:01.000000 +0000"
      })
      expect(sim.capture.writes).toEqual([
        {
          operation: "entity.update",
          typeName: "user",
          uuid: UUID,
          attributes: { givenName: "Renamed", tags: ["a"] },
          principal: `access_token:${ID}`,
          at: Date.UTC(2024, 0, 1)
        },
        {
          operation: "entity.update",
          typeName: "user",
          uuid: UUID,
          attributes: { familyName: "X" },
          principal: `client:${ID}`,
          at: Date.UTC(2024, 0, 1) + 1000
        }
      ])
      for (const attributes of ["not json", "[1]", '{"uuid":"x"}']) {
        expectError(
          await capture(sim, "entity.update", { attributes }, { authorization: `OAuth ${t.access_token}` }),
          200,
          200,
          "invalid_argument"
        )
      }
    })
  })

  describe("creation tokens", () => {
    const creationToken = async (extra: Record<string, string> = {}) => {
      const r = await capture(sim, "access/getCreationToken", { type_name: "user", ...extra }, basic())
      expect(r.body.stat).toBe("ok")
      return r.body.creation_token as string
    }

    it("lets entity.create run once with a creation token: {id, uuid, stat}; reuse is 417", async () => {
      const token = await creationToken()
      const attributes = JSON.stringify({ email: "new@example.com" })
      const r = await capture(sim, "entity.create", { type_name: "user", creation_token: token, attributes })
      expect(r.body).toMatchObject({ stat: "ok", id: 3 })
      expect(Object.keys(r.body).sort()).toEqual(["id", "stat", "uuid"])
      expect(sim.capture.user(r.body.uuid)).toMatchObject({ email: "new@example.com", id: 3 })
      expectError(
        await capture(sim, "entity.create", { type_name: "user", creation_token: token, attributes }),
        200,
        417,
        "creation_token_expired"
      )
      expect(sim.capture.writes.at(-1)).toMatchObject({
        operation: "entity.create",
        principal: `creation_token:${ID}`
      })
    })

    it("expires a creation token after its lifetime (default 3600 s)", async () => {
      const token = await creationToken()
      const short = await creationToken({ lifetime: "10" })
      sim.clock.advance(10_000)
      const attributes = "{}"
      expectError(
        await capture(sim, "entity.create", { type_name: "user", creation_token: short, attributes }),
        200,
        417,
        "creation_token_expired"
      )
      sim.clock.advance(3_590_000)
      expectError(
        await capture(sim, "entity.create", { type_name: "user", creation_token: token, attributes }),
        200,
        417,
        "creation_token_expired"
      )
    })

    it("does not spend the token on a bad request; entity.create also takes client credentials", async () => {
      const token = await creationToken()
      expectError(
        await capture(sim, "entity.create", { type_name: "user", creation_token: token }),
        200,
        100,
        "missing_argument"
      )
      expect(
        (await capture(sim, "entity.create", { type_name: "user", creation_token: token, attributes: "{}" }))
          .body.stat
      ).toBe("ok")
      const viaClient = await capture(sim, "entity.create", { type_name: "user", attributes: "{}" }, basic())
      expect(viaClient.body.stat).toBe("ok")
      expect((await capture(sim, "entity.count", { type_name: "user" }, basic())).body.total_count).toBe(4)
    })
  })

  describe("envelopes, faults, stats, logs", () => {
    it("spells errors as message + request_token (legacy) or cycles through every spelling (alternate)", async () => {
      const bad = () => capture(sim, "entity.count", { type_name: "user" }, basic(ID, "wrong"))
      sim.capture.setErrorStyle("legacy")
      expect(Object.keys((await bad()).body).sort()).toEqual([
        "code",
        "error",
        "message",
        "request_token",
        "stat"
      ])
      sim.capture.setErrorStyle("alternate")
      const keys = []
      for (let i = 0; i < 4; i++) {
        const { body } = await bad()
        keys.push([
          body.error_description ? "error_description" : "message",
          body.request_id ? "request_id" : "request_token"
        ])
      }
      expect(keys).toEqual([
        ["error_description", "request_id"],
        ["message", "request_token"],
        ["error_description", "request_token"],
        ["message", "request_id"]
      ])
      sim.reset()
      expect((await bad()).body.error_description).toBeDefined()
    })

    it("applies faults to Capture paths (matched on /capture/<operation>) in Capture's envelope", async () => {
      sim.faults.add({
        path: "/capture/entity.count",
        fault: { kind: "status", status: 200, errorCode: 480 },
        times: 1
      })
      expectError(
        await capture(sim, "entity.count", { type_name: "user" }, basic()),
        200,
        480,
        "api_feature_disabled"
      )
      sim.faults.add({
        path: "/capture/oauth/token",
        fault: { kind: "rate-limit", retryAfterSeconds: 3 },
        times: 1
      })
      const limited = await capture(sim, "oauth/token", {}, basic())
      expectError(limited, 429, 510, "api_limit_error")
      expect(limited.res.headers.get("retry-after")).toBe("3")
      sim.faults.add({ path: "/capture/entity", fault: { kind: "reset" }, times: 1 })
      await expect(capture(sim, "entity", {}, basic())).rejects.toThrow(TypeError)
      sim.faults.add({ path: "/capture/entity.count", fault: { kind: "malformed-json" }, times: 1 })
      const malformed = await capture(sim, "entity.count", { type_name: "user" }, basic())
      expect(typeof malformed.body).toBe("string")
      // Faulted requests that never reached the operation are only in sim.requests.
      expect(sim.capture.requests.map((r) => r.operation)).toEqual(["/entity.count"])
      expect(sim.requests.map((r) => r.fault)).toEqual(["status", "rate-limit", "reset", "malformed-json"])
    })

    it("counts token requests by grant type, signature checks, auth modes and operations", async () => {
      const t = await tokens()
      await refresh(t.refresh_token)
      await refresh(t.refresh_token)
      await capture(sim, "oauth/token", {}, basic())
      const date = now()
      await capture(sim, "entity.count", { type_name: "user" }, signedHeaders(date, "wrong"))
      await capture(sim, "entity", { access_token: t.access_token })
      const stats = sim.capture.stats()
      expect(stats).toEqual({
        tokenRequests: { authorization_code: 1, refresh_token: 2, "(none)": 1 },
        tokensIssued: 2,
        refreshTokensUsed: 1,
        refreshTokenReuse: 1,
        authorizationCodesIssued: 1,
        authorizationCodesRedeemed: 1,
        creationTokensIssued: 0,
        creationTokensRedeemed: 0,
        signatureChecks: { passed: 0, failed: 1 },
        authModes: { basic: 5, signed: 1, access_token: 1 },
        operations: {
          "/access/getAuthorizationCode -> ok": 1,
          "/oauth/token -> ok": 2,
          "/oauth/token -> 210": 1,
          "/oauth/token -> 100": 1,
          "/entity.count -> 402": 1,
          "/entity -> ok": 1
        }
      })
      expect(sim.stats().apiRequests).toMatchObject({
        "POST /capture/oauth/token -> 200": 2,
        "POST /capture/oauth/token -> 400": 2
      })
    })

    it("logs requests with client_secret redacted, in sim.capture.requests and sim.requests", async () => {
      await capture(sim, "entity.count", { type_name: "user", client_id: ID, client_secret: SECRET })
      const entry = sim.capture.requests.at(-1)!
      expect(entry).toMatchObject({
        operation: "/entity.count",
        method: "POST",
        params: { type_name: "user", client_id: ID, client_secret: "[redacted]" },
        auth: "params",
        clientId: ID,
        httpStatus: 200,
        stat: "ok",
        at: sim.clock.now()
      })
      expect(entry.requestId).toBe(sim.requests.at(-1)!.requestId)
      expect(sim.requests.at(-1)!.body).toEqual({
        type_name: "user",
        client_id: ID,
        client_secret: "[redacted]"
      })
      expect(JSON.stringify(sim.requests)).not.toContain(SECRET)
      expect(JSON.stringify(sim.capture.requests)).not.toContain(SECRET)
    })

    it("refuses a JSON body, a repeated parameter and an unknown operation", async () => {
      const json = await fetch(`${sim.captureUrl}/entity.count`, {
        method: "POST",
        headers: { "content-type": "application/json", ...basic() },
        body: JSON.stringify({ type_name: "user" })
      })
      expectError({ status: json.status, body: await json.json() }, 200, 200, "invalid_argument")
      const dup = await fetch(`${sim.captureUrl}/entity.count`, {
        method: "POST",
        headers: { ...FORM, ...basic() },
        body: "type_name=user&type_name=user"
      })
      expectError({ status: dup.status, body: await dup.json() }, 200, 201, "duplicate_argument")
      const unknown = await capture(sim, "entity.nope", {}, basic())
      expect(unknown.status).toBe(404)
      expect(unknown.body.stat).toBe("error")
    })

    it("reset restores the users and clears logs, keeping token states", async () => {
      const t = await tokens()
      await capture(sim, "entity.create", { type_name: "user", attributes: "{}" }, basic())
      sim.reset()
      expect((await capture(sim, "entity.count", { type_name: "user" }, basic())).body.total_count).toBe(2)
      expect(sim.capture.requests).toHaveLength(1)
      expect(sim.capture.writes).toHaveLength(0)
      expect((await capture(sim, "entity", { access_token: t.access_token })).body.stat).toBe("ok")
      expect((await refresh(t.refresh_token)).status).toBe(200)
    })
  })
})

describe("Capture defaults and the web handler", () => {
  it("starts with the sample client and user, and serves Capture through SimulatorCore.fetch", async () => {
    const core = await SimulatorCore.create({ sharedKey: true, clock: "manual" })
    const res = await core.fetch(
      new Request("http://sim.test/capture/entity", {
        method: "POST",
        headers: { ...FORM, ...basic() },
        body: new URLSearchParams({ type_name: "user", uuid: UUID }).toString()
      })
    )
    expect(((await res.json()) as any).result).toMatchObject({ uuid: UUID, email: "sample.user@example.com" })
    expect(SAMPLE_CAPTURE_USER.uuid).toBe(UUID)
  })

  it("validates Capture options at start", async () => {
    await expect(
      startSimulator({ capture: { clients: [{ clientId: "", clientSecret: "s" }] } })
    ).rejects.toThrow(TypeError)
    await expect(
      startSimulator({
        capture: { clients: [{ clientId: "a", clientSecret: "s", accessTokenTtlSeconds: 0 }] }
      })
    ).rejects.toThrow(RangeError)
  })
})
