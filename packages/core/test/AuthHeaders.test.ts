import { Redacted, Result } from "effect"
import { describe, expect, it } from "vitest"
import { AuthHeaders, Credentials } from "../src/index.ts"

const till = (input: Parameters<typeof Credentials.till>[0]) => Result.getOrThrow(Credentials.till(input))

describe("AuthHeaders", () => {
  it("builds the documented Basic vector from a password", () => {
    const t = till({ id: "store.server", password: "server123" })
    expect(Redacted.value(t.passwordMd5)).toBe("8a16a6b70505eb1f1ff7cdc0cd5559a7")
    expect(Redacted.value(AuthHeaders.basicAuthorization(t))).toBe(
      "Basic c3RvcmUuc2VydmVyOjhhMTZhNmI3MDUwNWViMWYxZmY3Y2RjMGNkNTU1OWE3"
    )
  })

  it("builds the same header from a stored md5, in either case", () => {
    const t = till({ id: "store.server", passwordMd5: Redacted.make("8A16A6B70505EB1F1FF7CDC0CD5559A7") })
    expect(AuthHeaders.basic(AuthHeaders.basicAuthorization(t)).authorization).toBe(
      "Basic c3RvcmUuc2VydmVyOjhhMTZhNmI3MDUwNWViMWYxZmY3Y2RjMGNkNTU1OWE3"
    )
  })

  it("refuses an md5 that is not 32 hex characters, and a till id with a colon", () => {
    for (const bad of [
      "8a16a6b7",
      "zz16a6b70505eb1f1ff7cdc0cd5559a7",
      "8a16a6b70505eb1f1ff7cdc0cd5559a7ff"
    ]) {
      const result = Credentials.till({ id: "t", passwordMd5: bad })
      expect(Result.isFailure(result) && result.failure.message).toMatch(/32 hexadecimal/)
    }
    expect(Result.isFailure(Credentials.till({ id: "a:b", password: "x" }))).toBe(true)
  })

  it("uses md5 from @noble/hashes (matches known vectors)", () => {
    expect(Credentials.md5Hex("")).toBe("d41d8cd98f00b204e9800998ecf8427e")
    expect(Credentials.md5Hex("héllo")).toBe("be50e8478cf24ff3595bc7307fb91b50")
  })

  it("builds OAuth headers with JSON content type, no Authorization, and attribution", () => {
    const headers = AuthHeaders.oauth(Redacted.make("tok"), { type: "STORE_CODE", code: "s1" })
    expect(headers).toEqual({
      "x-cap-api-oauth-token": "tok",
      "content-type": "application/json",
      accept: "application/json",
      "x-cap-api-attribution-entity-type": "STORE_CODE",
      "x-cap-api-attribution-entity-code": "s1"
    })
    expect("authorization" in headers).toBe(false)
  })

  it("adds the legacy till header only when asked and only for TILL attribution", () => {
    const attribution = { type: "TILL", code: "t1" } as const
    expect(
      AuthHeaders.oauth(Redacted.make("t"), attribution)["x-cap-api-attribution-till-code"]
    ).toBeUndefined()
    expect(
      AuthHeaders.oauth(Redacted.make("t"), attribution, { legacyTillHeader: true })[
        "x-cap-api-attribution-till-code"
      ]
    ).toBe("t1")
    expect(
      AuthHeaders.oauth(Redacted.make("t"), { type: "STORE_CODE", code: "s" }, { legacyTillHeader: true })[
        "x-cap-api-attribution-till-code"
      ]
    ).toBeUndefined()
  })

  it("validates attribution against the six documented types", () => {
    for (const type of AuthHeaders.attributionTypes) {
      expect(Result.isSuccess(AuthHeaders.attribution({ type, code: "c" }))).toBe(true)
    }
    expect(AuthHeaders.attributionTypes).toHaveLength(6)
    expect(Result.getOrThrow(AuthHeaders.attribution({ code: "c" })).type).toBe("TILL")
    const bad = AuthHeaders.attribution({ type: "REGISTER", code: "c" })
    expect(Result.isFailure(bad) && bad.failure.message).toMatch(/not one of TILL, STORE_CODE/)
    expect(Result.isFailure(AuthHeaders.attribution({ type: "TILL", code: " " }))).toBe(true)
  })

  it("builds both lookup headers together", () => {
    expect(AuthHeaders.lookup("TILL", "store.till2")).toEqual({
      "x-cap-api-attribution-lookup-type": "TILL",
      "x-cap-api-attribution-lookup": "store.till2"
    })
  })
})
