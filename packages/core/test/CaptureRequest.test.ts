import { createHmac } from "node:crypto"
import { Redacted, Result } from "effect"
import type { HttpClientRequest } from "effect/http"
import { describe, expect, it } from "vitest"
import { CaptureConfig, CaptureRequest } from "../src/index.ts"

/**
 * The reference: HMAC-SHA1 with node:crypto over the text as the facts describe it (Janrain's Python library):
 * "/" + operation, "\n", the date, "\n", then the sorted "k=v" strings each followed by "\n".
 */
const reference = (
  secret: string,
  endpoint: string,
  date: string,
  pairs: ReadonlyArray<readonly [string, string]>
) =>
  createHmac("sha1", secret)
    .update(
      `${endpoint}\n${date}\n${pairs
        .map(([k, v]) => `${k}=${v}`)
        .sort()
        .map((line) => `${line}\n`)
        .join("")}`
    )
    .digest("base64")

const config = (clientAuth: CaptureConfig.ClientAuth, baseUrl = "https://myapp.us.janraincapture.com") =>
  Result.getOrThrow(
    CaptureConfig.make({ baseUrl, clientId: "my-client", clientSecret: "my-s3cret", clientAuth })
  )

const at = Date.UTC(2024, 0, 2, 3, 4, 5) // 2024-01-02 03:04:05 UTC

const built = (request: HttpClientRequest.HttpClientRequest) => {
  const body = request.body as { _tag: string; body: Uint8Array; contentType: string }
  const text = new TextDecoder().decode(body.body)
  return { text, form: new URLSearchParams(text), headers: request.headers, contentType: body.contentType }
}

const build = (
  mode: CaptureConfig.ClientAuth,
  operation: string,
  params: CaptureRequest.Params,
  auth: CaptureRequest.Auth = CaptureRequest.client
) => Result.getOrThrow(CaptureRequest.request(config(mode), operation, params, auth, at))

describe("CaptureRequest.signature", () => {
  it("matches vectors written down by hand (computed with Python's hmac and with openssl, not with capauth)", () => {
    // The exact text signed for entity.count with no parameters (no parameter line, no extra "\n"):
    //   "/entity.count\n2024-01-02 03:04:05\n"
    // printf '/entity.count\n2024-01-02 03:04:05\n' | openssl dgst -sha1 -hmac secret -binary | base64
    //   -> 3xkkJ6eAhyvruoXxaLQLQTkJlpM=
    expect(CaptureRequest.signedText("entity.count", "2024-01-02 03:04:05", {})).toBe(
      "/entity.count\n2024-01-02 03:04:05\n"
    )
    expect(CaptureRequest.signature("secret", "/entity.count", "2024-01-02 03:04:05", {})).toBe(
      "3xkkJ6eAhyvruoXxaLQLQTkJlpM="
    )
    // With parameters (sorted, values not URL-encoded, the object as JSON, the boolean inside it as true):
    //   "/entity\n2024-01-02 03:04:05\nattributes={\"a\":[1,true]}\ntype_name=user\nuuid=1234-abcd\n"
    //   python3: base64(hmac.new(b"s3cr3t", text, sha1).digest()) -> z3dCBZSKCac5Rfr1MyOPvnOCHWY=
    expect(
      CaptureRequest.signature("s3cr3t", "entity", "2024-01-02 03:04:05", {
        uuid: "1234-abcd",
        type_name: "user",
        attributes: { a: [1, true] }
      })
    ).toBe("z3dCBZSKCac5Rfr1MyOPvnOCHWY=")
  })

  it("agrees with node:crypto over many parameter sets (values not URL-encoded, credentials not signed)", () => {
    const cases: ReadonlyArray<{ params: CaptureRequest.Params; pairs: Array<[string, string]> }> = [
      { params: {}, pairs: [] },
      { params: { type_name: "user" }, pairs: [["type_name", "user"]] },
      {
        params: { b: "x y&z=1", a: "é/ü+%", c: true, d: false, n: 30, f: 1.5 },
        pairs: [
          ["b", "x y&z=1"],
          ["a", "é/ü+%"],
          ["c", "true"],
          ["d", "false"],
          ["n", "30"],
          ["f", "1.5"]
        ]
      },
      {
        params: {
          attributes: { email: "a@b.c", tags: ["x", 1, null] },
          list: [1, 2],
          skipped: undefined,
          nil: null
        },
        pairs: [
          ["attributes", '{"email":"a@b.c","tags":["x",1,null]}'],
          ["list", "[1,2]"]
        ]
      },
      {
        params: { client_id: "id", client_secret: "secret", access_token: "tok", uuid: "u1" },
        pairs: [["uuid", "u1"]]
      },
      // Sorted as whole "k=v" strings: "a.b=1" < "a=2" ('.' < '=')
      {
        params: { a: "2", "a.b": "1" },
        pairs: [
          ["a", "2"],
          ["a.b", "1"]
        ]
      }
    ]
    for (const { params, pairs } of cases) {
      for (const endpoint of ["/entity.update", "oauth/token"]) {
        const withSlash = endpoint.startsWith("/") ? endpoint : `/${endpoint}`
        expect(CaptureRequest.signature("k3y", endpoint, "2025-12-31 23:59:59", params)).toBe(
          reference("k3y", withSlash, "2025-12-31 23:59:59", pairs)
        )
      }
    }
  })

  it("takes the secret as a Redacted too", () => {
    expect(CaptureRequest.signature(Redacted.make("secret"), "entity.count", "2024-01-02 03:04:05", {})).toBe(
      "3xkkJ6eAhyvruoXxaLQLQTkJlpM="
    )
  })

  it("formats the Date header as YYYY-MM-DD HH:MM:SS in UTC", () => {
    expect(CaptureRequest.formatDate(at)).toBe("2024-01-02 03:04:05")
    expect(CaptureRequest.formatDate(new Date("1999-12-31T23:59:09.999Z"))).toBe("1999-12-31 23:59:09")
  })
})

describe("CaptureRequest.encodeValue", () => {
  it("strings as is, numbers as text, booleans true/false, objects and arrays as JSON, null/undefined left out", () => {
    expect(CaptureRequest.encodeValue("a b")).toBe("a b")
    expect(CaptureRequest.encodeValue(60)).toBe("60")
    expect(CaptureRequest.encodeValue(10n)).toBe("10")
    expect(CaptureRequest.encodeValue(true)).toBe("true")
    expect(CaptureRequest.encodeValue(false)).toBe("false")
    expect(CaptureRequest.encodeValue({ a: 1, b: [true, "x"] })).toBe('{"a":1,"b":[true,"x"]}')
    expect(CaptureRequest.encodeValue([1, "two"])).toBe('[1,"two"]')
    expect(CaptureRequest.encodeValue(Redacted.make("hidden"))).toBe("hidden")
    expect(CaptureRequest.encodeValue(null)).toBeUndefined()
    expect(CaptureRequest.encodeValue(undefined)).toBeUndefined()
  })
})

describe("CaptureRequest.request", () => {
  const params = {
    type_name: "user",
    attributes: { email: "a@b.c", optIn: true },
    max_results: 10,
    flag: false
  }

  it("is a form-encoded POST to the base URL + / + the operation, params encoded per the facts", () => {
    const r = built(build("basic", "entity.find", params))
    const request = build("basic", "entity.find", params)
    expect(request.method).toBe("POST")
    expect(request.url).toBe("https://myapp.us.janraincapture.com/entity.find")
    expect(r.contentType).toBe("application/x-www-form-urlencoded")
    expect(Object.fromEntries(r.form)).toEqual({
      type_name: "user",
      attributes: '{"email":"a@b.c","optIn":true}',
      max_results: "10",
      flag: "false"
    })
  })

  it("keeps a base URL's path as a prefix (a simulator under /capture), and a leading / on the operation is dropped", () => {
    const c = config("basic", "http://127.0.0.1:8080/capture/")
    const request = Result.getOrThrow(
      CaptureRequest.request(c, "/oauth/token", {}, CaptureRequest.client, at)
    )
    expect(request.url).toBe("http://127.0.0.1:8080/capture/oauth/token")
  })

  it("basic: Authorization: Basic base64(id:secret); the secret is never in the body", () => {
    const r = built(build("basic", "entity.count", { type_name: "user" }))
    expect(r.headers.authorization).toBe(`Basic ${Buffer.from("my-client:my-s3cret").toString("base64")}`)
    expect(r.text).not.toContain("my-s3cret")
    expect(r.form.has("client_id")).toBe(false)
    expect(r.form.has("client_secret")).toBe(false)
  })

  it("params: client_id and client_secret in the body; no credential in any header", () => {
    const r = built(build("params", "entity.count", { type_name: "user" }))
    expect(r.form.get("client_id")).toBe("my-client")
    expect(r.form.get("client_secret")).toBe("my-s3cret")
    expect(r.headers.authorization).toBeUndefined()
    expect(JSON.stringify(r.headers)).not.toContain("my-s3cret")
  })

  it("signed: Date and Authorization: Signature id:hmac over the body's params; the secret never sent", () => {
    const r = built(build("signed", "entity.find", params))
    expect(r.headers.date).toBe("2024-01-02 03:04:05")
    const pairs = [...r.form.entries()] as Array<[string, string]>
    expect(r.headers.authorization).toBe(
      `Signature my-client:${reference("my-s3cret", "/entity.find", "2024-01-02 03:04:05", pairs)}`
    )
    expect(r.text).not.toContain("my-s3cret")
    expect(r.form.has("client_id")).toBe(false)
    expect(r.form.has("client_secret")).toBe(false)
    expect(JSON.stringify(r.headers)).not.toContain("my-s3cret")
  })

  it("signed with no parameters signs the no-parameter text", () => {
    const r = built(build("signed", "entity.count", {}))
    expect(r.headers.authorization).toBe(
      `Signature my-client:${createHmac("sha1", "my-s3cret").update("/entity.count\n2024-01-02 03:04:05\n").digest("base64")}`
    )
    expect(r.text).toBe("")
  })

  it("an access token goes as Authorization: OAuth <token>, never with the client's credentials", () => {
    for (const mode of CaptureConfig.clientAuths) {
      const r = built(build(mode, "entity", { type_name: "user" }, CaptureRequest.accessToken("at-123")))
      expect(r.headers.authorization).toBe("OAuth at-123")
      expect(r.headers.date).toBeUndefined()
      expect(r.form.has("access_token")).toBe(false)
      expect(r.form.has("client_id")).toBe(false)
      expect(r.text + JSON.stringify(r.headers)).not.toContain("my-s3cret")
    }
  })

  it("a creation token goes as the creation_token param, with no client credentials", () => {
    const r = built(
      build("basic", "entity.create", { type_name: "user" }, CaptureRequest.creationToken("ct-1"))
    )
    expect(r.form.get("creation_token")).toBe("ct-1")
    expect(r.headers.authorization).toBeUndefined()
    expect(r.form.has("client_secret")).toBe(false)
  })

  it("refuses credential params from the caller, bad operation names and non-object params", () => {
    for (const key of ["client_id", "client_secret", "access_token"]) {
      const result = CaptureRequest.request(
        config("basic"),
        "entity",
        { [key]: "x" },
        CaptureRequest.client,
        at
      )
      expect(Result.isFailure(result) && result.failure.field).toBe(`params.${key}`)
    }
    const ct = CaptureRequest.request(
      config("basic"),
      "entity.create",
      { creation_token: "x" },
      CaptureRequest.creationToken("y"),
      at
    )
    expect(Result.isFailure(ct) && ct.failure.field).toBe("params.creation_token")
    for (const op of ["", "../admin", "entity?x=1", "a//b", "http://evil/x", "a b"]) {
      const result = CaptureRequest.request(config("basic"), op, {}, CaptureRequest.client, at)
      expect(Result.isFailure(result) && result.failure._tag).toBe("ConfigError")
    }
    const bad = CaptureRequest.request(config("basic"), "entity", [] as never, CaptureRequest.client, at)
    expect(Result.isFailure(bad) && bad.failure.field).toBe("params")
  })
})
