/**
 * `createCaptureClient` on Node (undici) against a minimal Capture server over node:http (the testkit
 * simulator's Capture endpoints are still being written; core's test/CaptureSession.test.ts covers the rules).
 */
import { createHmac, randomBytes } from "node:crypto"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { CaptureError, ConfigError, createCaptureClient } from "../src/index.ts"

const clientId = "node-client"
const clientSecret = "node-secret"
let server: Server
let url: string
const refreshTokens = new Set<string>()
const accessTokens = new Set<string>()
const codes = new Set<string>()
let refreshes = 0

const clientOk = (
  headers: Record<string, string | string[] | undefined>,
  op: string,
  form: URLSearchParams
) => {
  const auth = String(headers.authorization ?? "")
  if (auth.startsWith("Basic "))
    return Buffer.from(auth.slice(6), "base64").toString() === `${clientId}:${clientSecret}`
  if (auth.startsWith("Signature ")) {
    const lines = [...form.entries()].map(([k, v]) => `${k}=${v}`).sort()
    const text = `/${op}\n${String(headers.date)}\n${lines.map((l) => `${l}\n`).join("")}`
    return auth === `Signature ${clientId}:${createHmac("sha1", clientSecret).update(text).digest("base64")}`
  }
  return form.get("client_id") === clientId && form.get("client_secret") === clientSecret
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    let body = ""
    for await (const chunk of req) body += chunk
    const form = new URLSearchParams(body)
    const op = (req.url ?? "/").slice(1)
    const reply = (status: number, json: unknown) => {
      res.writeHead(status, { "content-type": "application/json" })
      res.end(JSON.stringify(json))
    }
    const error = (code: number, name: string, status = 200) =>
      reply(status, {
        stat: "error",
        code,
        error: name,
        error_description: `${name} here`,
        request_token: "rt0123456789abcd"
      })
    const issue = () => {
      const access = randomBytes(8).toString("hex")
      const refresh = randomBytes(8).toString("hex")
      accessTokens.add(access)
      refreshTokens.add(refresh)
      return { stat: "ok", access_token: access, refresh_token: refresh, expires_in: 3600 }
    }
    const auth = String(req.headers.authorization ?? "")
    if (auth.startsWith("OAuth ")) {
      return accessTokens.has(auth.slice(6))
        ? reply(200, { stat: "ok", result: { uuid: "u-1" } })
        : error(414, "access_token_expired")
    }
    if (!clientOk(req.headers, op, form))
      return error(402, "invalid_client_credentials", op === "oauth/token" ? 401 : 200)
    if (op === "entity.count") return reply(200, { stat: "ok", total_count: 7 })
    if (op === "access/getAuthorizationCode") {
      const code = randomBytes(8).toString("hex")
      codes.add(code)
      return reply(200, { stat: "ok", authorizationCode: code })
    }
    if (op === "access/getCreationToken") return reply(200, { stat: "ok", creation_token: "ct-1" })
    if (op === "oauth/token" && form.get("grant_type") === "authorization_code") {
      if (!codes.delete(form.get("code") ?? "")) return error(415, "authorization_code_expired", 400)
      return reply(200, issue())
    }
    if (op === "oauth/token" && form.get("grant_type") === "refresh_token") {
      if (!refreshTokens.delete(form.get("refresh_token") ?? "")) return error(200, "invalid_argument", 400)
      refreshes++
      return reply(200, issue())
    }
    return error(100, "missing_argument")
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
)

describe("createCaptureClient (Node)", () => {
  it.each(["basic", "params", "signed"] as const)("the whole flow in %s mode", async (clientAuth) => {
    const capture = createCaptureClient({ baseUrl: url, clientId, clientSecret, clientAuth })
    try {
      expect(await capture.call("entity.count", { type_name: "user" })).toEqual({
        stat: "ok",
        total_count: 7
      })
      const redirectUri = "https://app.example.com/cb"
      const code = await capture.authorizationCode({ typeName: "user", uuid: "u-1", redirectUri })
      const session = await capture.exchangeCode({ code, redirectUri })
      expect((await session.call("entity", { type_name: "user" })).result).toEqual({ uuid: "u-1" })
      const { refreshToken, accessToken, expiresAt } = await session.tokens()
      expect(Redacted.isRedacted(accessToken) && expiresAt instanceof Date).toBe(true)
      const before = refreshes
      const again = capture.session({ refreshToken })
      expect((await again.call("entity")).stat).toBe("ok")
      expect(refreshes).toBe(before + 1)
      const ct = await capture.creationToken({ typeName: "user", lifetime: 60 })
      expect(Redacted.value(ct.value)).toBe("ct-1")
    } finally {
      await capture.close()
    }
  })

  it("rejects with typed errors carrying Capture's fields, no secret in them", async () => {
    const capture = createCaptureClient({ baseUrl: url, clientId, clientSecret: "nope-secret" })
    try {
      const e = await capture.call("entity.count").catch((error: unknown) => error)
      expect(e).toMatchObject({ _tag: "InvalidCredentials", code: 402, error: "invalid_client_credentials" })
      expect(e).toMatchObject({
        description: "invalid_client_credentials here",
        requestId: "rt0123456789abcd"
      })
      expect(String((e as Error).message)).not.toContain("nope-secret")
    } finally {
      await capture.close()
    }
    const good = createCaptureClient({ baseUrl: url, clientId, clientSecret })
    const e = await good.call("entity.unknown").catch((error: unknown) => error)
    expect(e).toBeInstanceOf(CaptureError)
    expect(e).toMatchObject({ code: 100, error: "missing_argument" })
    await good.close()
  })

  it("reads CAPTURE_* from process.env for what the options leave out", async () => {
    const saved = { ...process.env }
    try {
      process.env.CAPTURE_BASE_URL = url
      process.env.CAPTURE_CLIENT_ID = clientId
      process.env.CAPTURE_CLIENT_SECRET = clientSecret
      const capture = createCaptureClient()
      expect((await capture.call("entity.count")).total_count).toBe(7)
      await capture.close()
      process.env.CAPTURE_CLIENT_AUTH = "oauth"
      expect(() => createCaptureClient()).toThrow(ConfigError)
      expect(() => createCaptureClient()).toThrow(expect.objectContaining({ field: "CAPTURE_CLIENT_AUTH" }))
    } finally {
      for (const name of [
        "CAPTURE_BASE_URL",
        "CAPTURE_CLIENT_ID",
        "CAPTURE_CLIENT_SECRET",
        "CAPTURE_CLIENT_AUTH"
      ]) {
        if (saved[name] === undefined) delete process.env[name]
        else process.env[name] = saved[name]
      }
    }
  })
})
