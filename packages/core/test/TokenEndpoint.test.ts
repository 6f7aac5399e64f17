import { type Simulator, startSimulator } from "@capauth/testkit"
import { Effect, Exit, Redacted, Result } from "effect"
import { FetchHttpClient } from "effect/http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Credentials, TokenEndpoint } from "../src/index.ts"
import type { ResponseFacts } from "../src/internal/classify.ts"
import { soleFailure } from "./support.ts"

const facts = (status: number, body: unknown, headers: Partial<ResponseFacts> = {}): ResponseFacts => {
  const text = typeof body === "string" ? body : JSON.stringify(body)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {}
  return { status, requestId: "req-1", retryAfter: undefined, date: undefined, text, json, ...headers }
}

const processed = (f: ResponseFacts) => Effect.runSyncExit(TokenEndpoint.processResponse(f, 1_000, 1_000))
const failure = (f: ResponseFacts) => {
  const error = soleFailure(processed(f))
  if (error === undefined) throw new Error("expected a typed failure")
  return error
}

describe("TokenEndpoint.request", () => {
  it("is a JSON POST to /v3/oauth/token/generate with {key, secret} and no Authorization header", async () => {
    const client = Result.getOrThrow(Credentials.oauthClient({ key: "k1", secret: Redacted.make("s1") }))
    const request = TokenEndpoint.request(new URL("https://eu.api.capillarytech.com"), client)
    expect(request.method).toBe("POST")
    expect(request.url).toBe("https://eu.api.capillarytech.com/v3/oauth/token/generate")
    expect(request.headers.authorization).toBeUndefined()
    expect(request.body._tag).toBe("Uint8Array")
    const body = new TextDecoder().decode((request.body as { body: Uint8Array }).body)
    expect(JSON.parse(body)).toEqual({ key: "k1", secret: "s1" })
    expect((request.body as { contentType: string }).contentType).toBe("application/json")
  })
})

describe("TokenEndpoint.processResponse", () => {
  it("decodes the success envelope; sentAt and ttlSeconds carried as is", () => {
    const exit = processed(facts(200, { data: { accessToken: "opaque", ttlSeconds: 300 }, errors: null }))
    expect(Exit.isSuccess(exit) && exit.value.ttlSeconds).toBe(300)
    expect(Exit.isSuccess(exit) && exit.value.sentAt).toBe(1_000)
    expect(Exit.isSuccess(exit) && Redacted.value(exit.value.value)).toBe("opaque")
  })

  it("maps 320001 to InvalidCredentials whatever the HTTP status, keeping the request id", () => {
    for (const status of [200, 400, 401]) {
      const e = failure(
        facts(status, { data: null, errors: [{ code: 320001, message: "Invalid client key and secret" }] })
      )
      expect(e._tag).toBe("InvalidCredentials")
      expect(e.code).toBe(320001)
      expect(e.requestId).toBe("req-1")
      expect(e.action).toMatch(/key and secret/)
    }
  })

  it("keeps the code and message of unknown codes", () => {
    const e = failure(facts(400, { data: null, errors: [{ code: 999123, message: "Something new" }] }))
    expect(e.code).toBe(999123)
    expect(e.message).toMatch(/999123.*Something new/)
  })

  it("maps access-group denial to AccessDenied", () => {
    expect(
      failure(facts(403, { data: null, errors: [{ code: 4000, message: "Not authorized" }] }))._tag
    ).toBe("AccessDenied")
    expect(
      failure(
        facts(200, { data: null, errors: [{ code: 1, message: "insufficient permission to access group" }] })
      )._tag
    ).toBe("AccessDenied")
  })

  it("maps transient statuses: 5xx, 503/4001, 461, 521, 429 with Retry-After", () => {
    expect(failure(facts(500, ""))._tag).toBe("ServiceUnavailable")
    expect(failure(facts(503, { errorCode: 4001, message: "Authorization status unavailable!" }))._tag).toBe(
      "ServiceUnavailable"
    )
    expect(failure(facts(461, ""))._tag).toBe("ServiceUnavailable")
    expect(failure(facts(521, "<html>"))._tag).toBe("ServiceUnavailable")
    const limited = failure(facts(429, "", { retryAfter: "7" }))
    expect(limited._tag).toBe("RateLimited")
    expect(limited._tag === "RateLimited" && limited.retryAfterMillis).toBe(7_000)
    const dated = failure(
      facts(429, "", { retryAfter: "Wed, 21 Oct 2015 07:28:10 GMT", date: "Wed, 21 Oct 2015 07:28:00 GMT" })
    )
    expect(dated._tag === "RateLimited" && dated.retryAfterMillis).toBe(10_000)
  })

  it("handles non-2xx without a documented body, non-JSON bodies and missing fields as typed errors", () => {
    expect(failure(facts(401, ""))._tag).toBe("InvalidCredentials")
    expect(failure(facts(404, "Not Found"))._tag).toBe("MalformedResponse")
    expect(failure(facts(200, "<html>oops</html>")).message).toMatch(/not JSON/)
    expect(failure(facts(200, { data: { accessToken: "x" }, errors: null }))._tag).toBe("MalformedResponse")
    expect(failure(facts(200, { data: { ttlSeconds: 60 }, errors: null }))._tag).toBe("MalformedResponse")
    expect(failure(facts(200, { data: { accessToken: "x", ttlSeconds: -1 }, errors: null }))._tag).toBe(
      "MalformedResponse"
    )
    expect(failure(facts(200, { data: null, errors: [] }))._tag).toBe("MalformedResponse")
  })

  it("never puts a token from a malformed body into the error", () => {
    const token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"
    const e = failure(facts(200, { data: { accessToken: token }, errors: null }))
    expect(JSON.stringify(e)).not.toContain(token)
    expect(String(e)).not.toContain(token)
  })
})

describe("TokenEndpoint.source over HTTP (the endpoint's own; the rest is source.contract.test.ts)", () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await startSimulator()
  })
  afterAll(() => sim.close())

  const fetchWith = (key: string, secret: string) => {
    const client = Result.getOrThrow(Credentials.oauthClient({ key, secret }))
    return Effect.runPromiseExit(
      Effect.flatMap(TokenEndpoint.source(new URL(sim.url), client), (s) => s.fetch).pipe(
        Effect.provide(FetchHttpClient.layer)
      )
    )
  }

  it("obtains a JWT whose lifetime is the simulator's ttl, sending no Authorization header", async () => {
    const exit = await fetchWith("sample-key", "sample-secret")
    expect(Exit.isSuccess(exit)).toBe(true)
    if (Exit.isSuccess(exit)) expect(exit.value.ttlSeconds).toBe(3600)
    const logged = sim.requests.filter((r) => r.path === "/v3/oauth/token/generate")
    expect(logged.at(-1)?.headers.authorization).toBeUndefined()
    expect(logged.at(-1)?.headers["content-type"]).toMatch(/application\/json/)
  })
  // What a fetch hands back, sentAt, and every failure over HTTP (320001, reset, malformed, timeout) are the
  // source contract's: source.contract.test.ts.
})
