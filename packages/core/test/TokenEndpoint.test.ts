import { type Simulator, startSimulator } from "@capauth/testkit"
import { Effect, Exit, Redacted, Result } from "effect"
import { FetchHttpClient, HttpClientRequest, HttpClientResponse } from "effect/http"
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

describe("TokenEndpoint.processResponse: inputs refused or bounded", () => {
  const ok = (data: Record<string, unknown>) => facts(200, { data, errors: null })
  const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"

  it.each([
    ["a whole number", 60, 60],
    ["a decimal string", "60", 60],
    ["a decimal string with a fraction", "1.5", 1.5],
    ["1 s, the shortest", 1, 1],
    ["31 days, the longest", 31 * 86_400, 31 * 86_400]
  ] as const)("ttlSeconds as %s is taken", (_name, ttl, expected) => {
    const exit = processed(ok({ accessToken: jwt, ttlSeconds: ttl }))
    expect(Exit.isSuccess(exit) && exit.value.ttlSeconds).toBe(expected)
  })

  it.each([
    ["hexadecimal", "0x3c"],
    ["binary", "0b1"],
    ["octal", "0o7"],
    ['"Infinity"', "Infinity"],
    ["an exponent string", "1e3"],
    ["signed", "+60"],
    ["padded", " 60"],
    ["empty", ""],
    ["a huge number", 1e300],
    ["1e13 s (a lifetime no Date can hold past)", 1e13],
    ["a tiny number", 1e-9],
    ["zero", 0],
    ["negative", -60],
    ["just under 1 s", 0.999],
    ["31 days and a second", 31 * 86_400 + 1],
    ["a boolean", true],
    ["null", null],
    ["an array", [60]]
  ] as const)("ttlSeconds %s is a MalformedResponse", (_name, ttl) => {
    const e = failure(ok({ accessToken: jwt, ttlSeconds: ttl }))
    expect(e._tag).toBe("MalformedResponse")
    expect(e.requestId).toBe("req-1")
    expect(e.message).toMatch(/ttlSeconds/)
  })

  it.each([
    ["empty", "", /lacks data.accessToken|blank/],
    ["blank", "   ", /blank/],
    ["a newline inside", "abc\ndef", /header cannot carry/],
    ["longer than 8,192 characters", "x".repeat(8_193), /longer than 8192/],
    ["64 KiB", "x".repeat(65_536), /longer than 8192/],
    ["a number", 42, /lacks data.accessToken/]
  ] as const)("an accessToken %s is a MalformedResponse", (_name, token, message) => {
    const e = failure(ok({ accessToken: token, ttlSeconds: 60 }))
    expect(e._tag).toBe("MalformedResponse")
    expect(e.message).toMatch(message)
  })

  it("a token of exactly 8,192 characters is taken (the stated bound)", () => {
    expect(Exit.isSuccess(processed(ok({ accessToken: "x".repeat(8_192), ttlSeconds: 60 })))).toBe(true)
  })

  it("a JWT whose own exp - iat is under 1 s is refused even with a good ttlSeconds", () => {
    const claims = btoa(JSON.stringify({ iat: 100, exp: 100.5 })).replace(/=+$/, "")
    const e = failure(ok({ accessToken: `eyJhbGciOiJSUzI1NiJ9.${claims}.c2ln`, ttlSeconds: 60 }))
    expect(e._tag).toBe("MalformedResponse")
    expect(e.message).toMatch(/lifetime/)
  })

  it("an 8 MiB body gives a typed error with a short excerpt, never a RangeError", () => {
    for (const text of [
      "x".repeat(8 * 1024 * 1024),
      JSON.stringify({ data: { accessToken: "y".repeat(8 * 1024 * 1024), ttlSeconds: 60 }, errors: null }),
      `{"secret":"${"z".repeat(8 * 1024 * 1024)}"}`
    ]) {
      const e = failure(facts(200, text))
      expect(e._tag).toBe("MalformedResponse")
      const excerptText = e._tag === "MalformedResponse" ? (e.excerpt ?? "") : ""
      expect(excerptText.length).toBeLessThanOrEqual(121)
      expect(excerptText).not.toMatch(/yyyyyyyyyy|zzzzzzzzzz/)
    }
  })
})

describe("TokenEndpoint.processResponse: token-endpoint codes (the facts, sections 2 and 7)", () => {
  const refused = (status: number, errors: unknown) => failure(facts(status, { data: null, errors }))
  it.each([
    [
      "320001, HTTP 200",
      200,
      [{ code: 320001, message: "Invalid client key and secret" }],
      "InvalidCredentials"
    ],
    ["320001 as a string", 200, [{ code: "320001", message: "m" }], "InvalidCredentials"],
    ["4000, HTTP 403", 403, [{ code: 4000, message: "Not authorized" }], "AccessDenied"],
    [
      "an access-group message, no code",
      200,
      [{ message: "insufficient permission to access group" }],
      "AccessDenied"
    ],
    [
      "4001, HTTP 503",
      503,
      [{ code: 4001, message: "Authorization status unavailable!" }],
      "ServiceUnavailable"
    ],
    ["4001, HTTP 200", 200, [{ code: 4001, message: "m" }], "ServiceUnavailable"],
    ["an unknown code, HTTP 401", 401, [{ code: 999, message: "m" }], "InvalidCredentials"],
    ["an unknown code, HTTP 403", 403, [{ code: 999, message: "m" }], "AccessDenied"],
    ["498, HTTP 200", 200, [{ code: 498, message: "m" }], "ServiceUnavailable"],
    ["an unknown code, HTTP 200", 200, [{ code: 12345, message: "m" }], "ServiceUnavailable"],
    ["an unknown code, HTTP 400", 400, [{ code: 12345, message: "m" }], "ServiceUnavailable"],
    ["[{}], HTTP 200", 200, [{}], "MalformedResponse"],
    ["[null], HTTP 200", 200, [null], "MalformedResponse"],
    ["[{}], HTTP 401", 401, [{}], "InvalidCredentials"]
  ] as const)("%s -> %s", (_name, status, errors, tag) => {
    const e = refused(status, errors)
    expect(e._tag).toBe(tag)
    expect(e.requestId).toBe("req-1")
  })

  it("an unknown code keeps its code and message, and says it is retried", () => {
    const e = refused(200, [{ code: 498, message: "Token expired" }])
    expect(e.code).toBe(498)
    expect(e.message).toMatch(/undocumented code 498.*Token expired/)
  })

  it("a huge string code is cut short in the message", () => {
    const e = refused(200, [{ code: "c".repeat(100_000), message: "m" }])
    expect(e.message.length).toBeLessThan(300)
  })
})

describe("TokenEndpoint.readFacts: token responses are read up to 64 KiB", () => {
  const read = (body: BodyInit, headers: Record<string, string> = {}) =>
    Effect.runPromiseExit(
      TokenEndpoint.readFacts(
        HttpClientResponse.fromWeb(
          HttpClientRequest.post("https://x.example/v3/oauth/token/generate"),
          new Response(body, { status: 200, headers: { "x-cap-requestid": "r-9", ...headers } })
        )
      )
    )
  const streamOf = (bytes: number) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let sent = 0; sent < bytes; sent += 16_384) controller.enqueue(new Uint8Array(16_384).fill(120))
        controller.close()
      }
    })

  it("reads a body of exactly 64 KiB", async () => {
    const exit = await read("x".repeat(TokenEndpoint.maxResponseBytes))
    expect(Exit.isSuccess(exit) && exit.value.text.length).toBe(65_536)
  })

  it("a larger body, streamed without a length, is a MalformedResponse", async () => {
    const e = soleFailure(await read(streamOf(8 * 1024 * 1024)))
    expect(e?._tag).toBe("MalformedResponse")
    expect(e?.requestId).toBe("r-9")
    expect(e?.message).toMatch(/larger than 65536 bytes/)
  })

  it("a declared length over the bound is refused at the first chunk", async () => {
    const e = soleFailure(await read("{}", { "content-length": "9000000" }))
    expect(e?._tag).toBe("MalformedResponse")
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

  it("an 8 MiB token response over HTTP is a MalformedResponse, never a crash", async () => {
    sim.faults.add({
      path: "/v3/oauth/token/generate",
      fault: {
        kind: "status",
        status: 200,
        body: { data: { accessToken: "a".repeat(8 << 20), ttlSeconds: 60 } }
      },
      times: 1
    })
    const error = soleFailure(await fetchWith("sample-key", "sample-secret"))
    expect(error?._tag).toBe("MalformedResponse")
    expect(error?.message).toMatch(/larger than 65536 bytes/)
  })

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
