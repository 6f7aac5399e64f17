import { Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import * as CapturePromiseClient from "../src/CapturePromiseClient.ts"
import { type FakeCapture, startFakeCapture } from "./captureServer.ts"

let server: FakeCapture
beforeAll(async () => {
  server = await startFakeCapture()
})
afterAll(() => server.close())
afterEach(() => {
  server.events.length = 0
  server.faults.clear()
  server.expiresIn = 3600
  server.refreshDelay = 0
  server.always414 = false
})

const platform = (env: Record<string, string> = {}): CapturePromiseClient.Platform => ({
  httpLayer: FetchHttpClient.layer,
  env: (name) => env[name]
})

const create = (options: CapturePromiseClient.CaptureClientOptions = {}) =>
  CapturePromiseClient.make(
    {
      baseUrl: server.url,
      clientId: server.clientId,
      clientSecret: server.clientSecret,
      clientAuth: "basic",
      ...options
    },
    platform()
  )

const redirectUri = "https://app.example.com/cb"

const rejection = async (promise: Promise<unknown>) => {
  try {
    await promise
  } catch (error) {
    return error as Error & Record<string, unknown>
  }
  throw new Error("expected a rejection")
}

describe("CapturePromiseClient (the createCaptureClient shape)", () => {
  it("call, authorizationCode, exchangeCode, session.call, session.tokens, session(), creationToken, close", async () => {
    const capture = create()
    try {
      expect(await capture.call("entity.count", { type_name: "user" })).toEqual({
        stat: "ok",
        total_count: 42
      })
      const code = await capture.authorizationCode({ typeName: "user", uuid: "u-9", redirectUri })
      expect(Redacted.isRedacted(code)).toBe(true)
      const session = await capture.exchangeCode({ code, redirectUri })
      const me = await session.call("entity", { type_name: "user" })
      expect(me.result).toEqual({ uuid: "u-9", email: "ada@example.com" })
      const tokens = await session.tokens()
      expect(Redacted.isRedacted(tokens.accessToken)).toBe(true)
      expect(Redacted.isRedacted(tokens.refreshToken)).toBe(true)
      expect(tokens.expiresAt).toBeInstanceOf(Date)
      expect(tokens.expiresAt.getTime()).toBeGreaterThan(Date.now() + 3_000_000)
      // Resume from the refresh token, as a string and as a Redacted.
      const again = capture.session({ refreshToken: Redacted.value(tokens.refreshToken) })
      expect((await again.call("entity")).stat).toBe("ok")
      const third = capture.session({ refreshToken: (await again.tokens()).refreshToken })
      expect((await third.call("entity")).stat).toBe("ok")
      const ct = await capture.creationToken({ typeName: "user", lifetime: 60 })
      expect(Redacted.isRedacted(ct.value)).toBe(true)
      expect(ct.expiresAt).toBeInstanceOf(Date)
    } finally {
      await capture.close()
    }
  })

  it("a stat error rejects with an Error carrying _tag, code, error, description and requestId", async () => {
    const capture = create()
    try {
      const e = await rejection(capture.call("entity.nope"))
      expect(e).toBeInstanceOf(Error)
      expect(e._tag).toBe("CaptureError")
      expect(e.code).toBe(200)
      expect(e.error).toBe("invalid_argument")
      expect(e.description).toBe("unknown operation entity.nope")
      expect(e.requestId).toMatch(/^req/)
    } finally {
      await capture.close()
    }
  })

  it("no secret, code or token in any message", async () => {
    const capture = create({ clientAuth: "params" })
    try {
      const code = server.issueCode("u-1", redirectUri)
      await capture.exchangeCode({ code, redirectUri })
      const reused = await rejection(capture.exchangeCode({ code, redirectUri }))
      expect(reused._tag).toBe("TokenExpired")
      expect(String(reused.message) + String(reused.description)).not.toContain(code)
      const spent = server.events.find((e) => e.grant === "authorization_code")!.issued!.refreshToken
      const a = capture.session({ refreshToken: spent })
      await a.call("entity") // spends it
      const b = capture.session({ refreshToken: spent, key: "b" })
      const refused = await rejection(b.call("entity"))
      expect(JSON.stringify(refused) + refused.message).not.toContain(spent)
      expect(JSON.stringify(refused) + refused.message).not.toContain(server.clientSecret)
    } finally {
      await capture.close()
    }
    const wrong = create({ clientSecret: "very-wrong-secret" })
    const e = await rejection(wrong.call("entity.count"))
    expect(e._tag).toBe("InvalidCredentials")
    expect(JSON.stringify(e) + e.message).not.toContain("very-wrong-secret")
    await wrong.close()
  })

  // The facade has no seam for the clock (its runtime reads the default Clock), so a session gone stale by
  // time is tested at the Effect level with a TestClock (CaptureSession.test.ts, CaptureSimulator.test.ts);
  // here the token expires server-side (414), which needs no time to pass.
  it("200 concurrent session calls on a token expired server-side (414): one refresh, all served", async () => {
    const capture = create()
    try {
      const session = await capture.exchangeCode({ code: server.issueCode("u-1", redirectUri), redirectUri })
      const { accessToken } = await session.tokens()
      server.expire(Redacted.value(accessToken))
      const results = await Promise.all(Array.from({ length: 200 }, () => session.call("entity")))
      expect(results).toHaveLength(200)
      expect(results.every((r) => r.stat === "ok")).toBe(true)
      expect(server.refreshes()).toBe(1)
      const refresh = server.events.find((e) => e.grant === "refresh_token")!
      const ok = server.events.filter((e) => e.auth === "token" && e.status === 200 && e.code === undefined)
      expect(ok).toHaveLength(200)
      expect(new Set(ok.map((e) => e.accessToken))).toEqual(new Set([refresh.issued!.accessToken]))
    } finally {
      await capture.close()
    }
  })

  it("session() throws ConfigError at once on bad options; close() closes every session", async () => {
    const capture = create()
    expect(() => capture.session({})).toThrow(
      expect.objectContaining({ _tag: "ConfigError", field: "refreshToken" })
    )
    expect(() => capture.session({ refreshToken: 42 as never })).toThrow(
      expect.objectContaining({ _tag: "ConfigError" })
    )
    const session = await capture.exchangeCode({ code: server.issueCode("u-1", redirectUri), redirectUri })
    await capture.close()
    await capture.close() // idempotent
    expect((await rejection(session.call("entity")))._tag).toBe("ConfigError")
    expect((await rejection(capture.call("entity.count")))._tag).toBe("ConfigError")
    await session.close()
  })

  it("reads CAPTURE_* for the options left out; throws ConfigError naming the variable", () => {
    const env = {
      CAPTURE_BASE_URL: server.url,
      CAPTURE_CLIENT_ID: server.clientId,
      CAPTURE_CLIENT_SECRET: server.clientSecret
    }
    const capture = CapturePromiseClient.make(undefined, platform(env))
    void capture.close()
    expect(() =>
      CapturePromiseClient.make(undefined, platform({ ...env, CAPTURE_CLIENT_AUTH: "bearer" }))
    ).toThrow(expect.objectContaining({ _tag: "ConfigError", field: "CAPTURE_CLIENT_AUTH" }))
    expect(() => CapturePromiseClient.make({ clientAuth: "bearer" as never }, platform(env))).toThrow(
      expect.objectContaining({ field: "clientAuth" })
    )
  })
})
