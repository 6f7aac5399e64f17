/** `credentials` as an ordered list, in code and in the environment: what is accepted and what each error names. */
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { describe, expect, it } from "vitest"
import * as CapillaryConfig from "../src/CapillaryConfig.ts"

const base = { baseUrl: "https://eu.api.capillarytech.com" }
const error = (result: Result.Result<unknown, { field?: string | undefined; message: string }>) => {
  if (Result.isSuccess(result)) throw new Error("expected a ConfigError")
  return result.failure
}

describe("CapillaryConfig: a credential list", () => {
  it("the first is `credentials`, the rest `fallbackCredentials`, in order; one client is a list of one", () => {
    const config = Result.getOrThrow(
      CapillaryConfig.make({
        ...base,
        credentials: [
          { key: "a", secret: "sa" },
          { key: "b", secret: Redacted.make("sb") },
          { key: "c", secret: "sc" }
        ]
      })
    )
    expect(config.credentials._tag === "OAuthClient" && config.credentials.key).toBe("a")
    expect(config.fallbackCredentials.map((c) => c.key)).toEqual(["b", "c"])
    expect(config.fallbackCredentials.every((c) => Redacted.isRedacted(c.secret))).toBe(true)
    const single = Result.getOrThrow(
      CapillaryConfig.make({ ...base, credentials: { key: "a", secret: "s" } })
    )
    expect(single.fallbackCredentials).toEqual([])
  })

  it.each([
    ["an empty list", [], "credentials", /empty list/],
    [
      "a till in a list",
      [
        { key: "a", secret: "s" },
        { till: "t", password: "p" }
      ],
      "credentials[1]",
      /is a till/
    ],
    [
      "a key twice",
      [
        { key: "a", secret: "s" },
        { key: "a", secret: "t" }
      ],
      "credentials[1].key",
      /listed twice/
    ],
    [
      "a blank secret",
      [
        { key: "a", secret: "s" },
        { key: "b", secret: " " }
      ],
      "credentials[1].secret",
      /secret/
    ]
  ] as const)("%s is a ConfigError naming the entry", (_name, credentials, field, message) => {
    const e = error(CapillaryConfig.make({ ...base, credentials: credentials as never }))
    expect(e.field).toBe(field)
    expect(e.message).toMatch(message)
  })

  it("CAPILLARY_CLIENT_KEY_2 / CAPILLARY_CLIENT_SECRET_2: the second client; each half needs the other", () => {
    const env = (vars: Record<string, string>) => (name: string) =>
      ({
        CAPILLARY_BASE_URL: base.baseUrl,
        CAPILLARY_CLIENT_KEY: "a",
        CAPILLARY_CLIENT_SECRET: "sa",
        ...vars
      })[name]
    const config = Result.getOrThrow(
      CapillaryConfig.fromEnv(env({ CAPILLARY_CLIENT_KEY_2: "b", CAPILLARY_CLIENT_SECRET_2: "sb" }))
    )
    expect(config.fallbackCredentials.map((c) => c.key)).toEqual(["b"])
    expect(error(CapillaryConfig.fromEnv(env({ CAPILLARY_CLIENT_KEY_2: "b" }))).field).toBe(
      "CAPILLARY_CLIENT_SECRET_2"
    )
    expect(error(CapillaryConfig.fromEnv(env({ CAPILLARY_CLIENT_SECRET_2: "sb" }))).field).toBe(
      "CAPILLARY_CLIENT_KEY_2"
    )
    expect(
      error(CapillaryConfig.fromEnv(env({ CAPILLARY_CLIENT_KEY_2: "a", CAPILLARY_CLIENT_SECRET_2: "sb" })))
        .field
    ).toBe("CAPILLARY_CLIENT_KEY_2")
    const tillOnly = (name: string) =>
      ({
        CAPILLARY_BASE_URL: base.baseUrl,
        CAPILLARY_TILL_ID: "t",
        CAPILLARY_TILL_PASSWORD: "p",
        CAPILLARY_CLIENT_KEY_2: "b",
        CAPILLARY_CLIENT_SECRET_2: "sb"
      })[name]
    expect(error(CapillaryConfig.fromEnv(tillOnly)).message).toMatch(/CAPILLARY_CLIENT_KEY_2/)
    // A runtime that refuses to let us read them (Deno without them in --allow-env): unset, not an error.
    const refusing = (name: string) => {
      if (name.endsWith("_2")) throw new Error("refused")
      return env({})(name)
    }
    expect(Result.getOrThrow(CapillaryConfig.fromEnv(refusing)).fallbackCredentials).toEqual([])
  })
})
