import { Redacted, Result } from "effect"
import { describe, expect, it } from "vitest"
import { AuthError, CaptureResponse } from "../src/index.ts"
import { scrubError } from "../src/internal/redact.ts"

const facts = (
  status: number,
  body: unknown,
  extra: Partial<CaptureResponse.Facts> = {}
): CaptureResponse.Facts => {
  const text = typeof body === "string" ? body : JSON.stringify(body)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {}
  return { status, requestId: undefined, retryAfter: undefined, date: undefined, text, json, ...extra }
}

const failure = (f: CaptureResponse.Facts, operation = "entity") => {
  const result = CaptureResponse.process(f, operation, 1_000)
  if (Result.isSuccess(result)) throw new Error("expected a failure")
  return result.failure
}

const envelope = (code: number, error: string, extra: Record<string, unknown> = {}) => ({
  stat: "error",
  code,
  error,
  error_description: `description of ${error}`,
  request_id: "abcdefgh12345678",
  ...extra
})

describe("CaptureResponse.process: stat ok", () => {
  it("resolves the JSON body", () => {
    const result = CaptureResponse.process(facts(200, { stat: "ok", total_count: 3 }), "entity.count", 0)
    expect(Result.isSuccess(result) && result.success).toEqual({ stat: "ok", total_count: 3 })
  })
})

describe("CaptureResponse.process: each code's mapping", () => {
  const table: ReadonlyArray<readonly [number, string, AuthError.Tag]> = [
    [100, "missing_argument", "CaptureError"],
    [200, "invalid_argument", "CaptureError"],
    [205, "invalid_auth_method", "CaptureError"],
    [210, "invalid_credentials", "InvalidCredentials"],
    [402, "invalid_client_credentials", "InvalidCredentials"],
    [403, "client_permission_error", "AccessDenied"],
    [413, "no_access_grant", "AccessDenied"],
    [414, "access_token_expired", "TokenExpired"],
    [415, "authorization_code_expired", "TokenExpired"],
    [417, "creation_token_expired", "TokenExpired"],
    [420, "redirect_uri_mismatch", "CaptureError"],
    [480, "api_feature_disabled", "ServiceUnavailable"],
    [510, "api_limit_error", "RateLimited"],
    [540, "triggered_error", "CaptureError"]
  ]

  it.each(table)(
    "code %i (%s) -> %s, carrying code, error, description and requestId",
    (code, error, tag) => {
      const e = failure(facts(200, envelope(code, error)))
      expect(e._tag).toBe(tag)
      expect(e).toBeInstanceOf(Error)
      expect(e).toBeInstanceOf(AuthError.classes[tag])
      expect(e.code).toBe(code)
      expect(e.error).toBe(error)
      expect(e.description).toBe(`description of ${error}`)
      expect(e.requestId).toBe("abcdefgh12345678")
      expect(e.status).toBe(200)
      expect(e.message).toContain(String(code))
      expect(e.message).toContain(error)
      expect(AuthError.isTransient(e)).toBe(code === 480 || code === 510)
    }
  )

  it.each(table)("oauth/token: code %i maps the same with HTTP 200, 400 and 401", (code, error, tag) => {
    for (const status of [200, 400, 401]) {
      const e = failure(facts(status, envelope(code, error)), "oauth/token")
      expect(e._tag).toBe(tag)
      expect(e.code).toBe(code)
      expect(e.status).toBe(status)
    }
  })

  it("reads request_token when there is no request_id, and message when there is no error_description", () => {
    const e = failure(
      facts(200, {
        stat: "error",
        code: 200,
        error: "invalid_argument",
        message: "bad type_name",
        request_token: "tok16charsabcdef"
      })
    )
    expect(e.requestId).toBe("tok16charsabcdef")
    expect(e.description).toBe("bad type_name")
    const both = failure(
      facts(200, envelope(200, "invalid_argument", { message: "other", request_token: "other-token" }))
    )
    expect(both.description).toBe("description of invalid_argument")
    expect(both.requestId).toBe("abcdefgh12345678")
  })

  it("accepts the code as a numeric string", () => {
    const e = failure(facts(200, { stat: "error", code: "414", error: "access_token_expired" }))
    expect(e._tag).toBe("TokenExpired")
    expect(e.code).toBe(414)
    expect(CaptureResponse.isAccessTokenExpired(e)).toBe(true)
    expect(
      CaptureResponse.isAccessTokenExpired(failure(facts(200, envelope(415, "authorization_code_expired"))))
    ).toBe(false)
  })

  it("a stat error without a code is a CaptureError with no code", () => {
    const e = failure(facts(200, { stat: "error", error: "mystery" }))
    expect(e._tag).toBe("CaptureError")
    expect(e.code).toBeUndefined()
    expect(e.error).toBe("mystery")
  })

  it("carries the fields over the wire form (broker, worker)", () => {
    const e = failure(facts(200, envelope(540, "triggered_error")))
    const back = AuthError.fromWire(AuthError.toWire(e)) as AuthError.AuthError
    expect(back._tag).toBe("CaptureError")
    expect(back.code).toBe(540)
    expect(back.error).toBe("triggered_error")
    expect(back.description).toBe("description of triggered_error")
    expect(back.requestId).toBe("abcdefgh12345678")
  })
})

describe("CaptureResponse.process: malformed and transient", () => {
  it("a body that is not JSON is a MalformedResponse", () => {
    const e = failure(facts(200, "<html>gateway</html>"))
    expect(e._tag).toBe("MalformedResponse")
    expect(e.message).toMatch(/not JSON/)
  })

  it("JSON without stat, or with another stat, or stat ok on a 4xx, is a MalformedResponse", () => {
    expect(failure(facts(200, { total_count: 1 }))._tag).toBe("MalformedResponse")
    expect(failure(facts(200, [1, 2]))._tag).toBe("MalformedResponse")
    expect(failure(facts(200, { stat: "maybe" }))._tag).toBe("MalformedResponse")
    expect(failure(facts(400, { stat: "ok" }))._tag).toBe("MalformedResponse")
    expect(failure(facts(404, "not found"))._tag).toBe("MalformedResponse")
  })

  it("5xx is ServiceUnavailable (transient), with Capture's fields when the body has them", () => {
    expect(failure(facts(502, "bad gateway"))._tag).toBe("ServiceUnavailable")
    const e = failure(facts(500, envelope(500, "unexpected_error")))
    expect(e._tag).toBe("ServiceUnavailable")
    expect(e.code).toBe(500)
    expect(e.requestId).toBe("abcdefgh12345678")
  })

  it("429 is RateLimited with Retry-After; a redirect is never followed", () => {
    const e = failure(facts(429, "", { retryAfter: "3" }))
    expect(e._tag === "RateLimited" && e.retryAfterMillis).toBe(3000)
    expect(failure(facts(302, ""))._tag).toBe("MalformedResponse")
  })

  it("masks token-looking values in excerpts and descriptions; scrubError removes known values", () => {
    const leaked = failure(
      facts(200, { access_token: "abc", refresh_token: "def", authorizationCode: "ghi" })
    )
    expect(leaked._tag === "MalformedResponse" && leaked.excerpt).not.toMatch(/abc|def|ghi/)
    const e = failure(
      facts(200, envelope(200, "invalid_argument", { error_description: "refresh_token r-777 is invalid" }))
    )
    const scrubbed = scrubError(e, [Redacted.make("r-777")])
    expect(scrubbed.description).toBe("refresh_token <redacted> is invalid")
    expect(scrubbed.message).not.toContain("r-777")
    expect(scrubbed.code).toBe(200)
  })
})

describe("CaptureResponse success readers", () => {
  const ok = (body: Record<string, unknown>) => ({ stat: "ok", ...body }) as CaptureResponse.Body

  it("tokens: access_token, expires_in and refresh_token, placed at sentAt", () => {
    const result = CaptureResponse.tokens(
      ok({ access_token: "a", expires_in: 3600, refresh_token: "r" }),
      5_000
    )
    const tokens = Result.getOrThrow(result)
    expect(Redacted.value(tokens.issued.value)).toBe("a")
    expect(tokens.issued.ttlSeconds).toBe(3600)
    expect(tokens.issued.sentAt).toBe(5_000)
    expect(Redacted.value(tokens.refreshToken)).toBe("r")
    expect(
      Result.getOrThrow(
        CaptureResponse.tokens(ok({ access_token: "a", expires_in: "60", refresh_token: "r" }), 0)
      ).issued.ttlSeconds
    ).toBe(60)
    const bad = CaptureResponse.tokens(ok({ access_token: "secret-a", expires_in: 3600 }), 0)
    expect(Result.isFailure(bad) && bad.failure._tag).toBe("MalformedResponse")
    expect(Result.isFailure(bad) && bad.failure.message).not.toContain("secret-a")
  })

  it("authorizationCode and creationToken", () => {
    expect(
      Redacted.value(Result.getOrThrow(CaptureResponse.authorizationCode(ok({ authorizationCode: "c1" }))))
    ).toBe("c1")
    expect(Result.isFailure(CaptureResponse.authorizationCode(ok({})))).toBe(true)
    const ct = Result.getOrThrow(CaptureResponse.creationToken(ok({ creation_token: "ct" }), 1_000, 60))
    expect(Redacted.value(ct.value)).toBe("ct")
    expect(ct.expiresAt.getTime()).toBe(61_000)
  })
})
