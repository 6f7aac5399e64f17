import { ConfigProvider, Duration, Effect, Exit, Result } from "effect"
import { describe, expect, it } from "vitest"
import { CapillaryConfig } from "../src/index.ts"

const fromEnv = (env: Record<string, string>) => CapillaryConfig.fromEnv((name) => env[name])
const errorOf = (env: Record<string, string>) => {
  const result = fromEnv(env)
  if (Result.isSuccess(result)) throw new Error("expected a ConfigError")
  return result.failure
}

describe("CapillaryConfig", () => {
  it("reads the CAPILLARY_* variables", () => {
    const config = Result.getOrThrow(
      fromEnv({
        CAPILLARY_CLUSTER: "eu",
        CAPILLARY_CLIENT_KEY: "k",
        CAPILLARY_CLIENT_SECRET: "s",
        CAPILLARY_ATTRIBUTION_TYPE: "STORE_CODE",
        CAPILLARY_ATTRIBUTION_CODE: "store1"
      })
    )
    expect(config.baseUrl.href).toBe("https://eu.api.capillarytech.com/")
    expect(config.credentials._tag).toBe("OAuthClient")
    expect(config.attribution).toEqual({ type: "STORE_CODE", code: "store1" })
    const till = Result.getOrThrow(
      fromEnv({
        CAPILLARY_BASE_URL: "https://x.example",
        CAPILLARY_TILL_ID: "t",
        CAPILLARY_TILL_PASSWORD_MD5: "8a16a6b70505eb1f1ff7cdc0cd5559a7"
      })
    )
    expect(till.credentials._tag).toBe("Till")
  })

  it("names the variable to fix", () => {
    expect(errorOf({}).message).toMatch(/CAPILLARY_BASE_URL or CAPILLARY_CLUSTER/)
    expect(
      errorOf({ CAPILLARY_CLUSTER: "mars", CAPILLARY_CLIENT_KEY: "k", CAPILLARY_CLIENT_SECRET: "s" }).message
    ).toMatch(/^CAPILLARY_CLUSTER: Unknown cluster/)
    expect(
      errorOf({
        CAPILLARY_BASE_URL: "http://example.com",
        CAPILLARY_CLIENT_KEY: "k",
        CAPILLARY_CLIENT_SECRET: "s"
      }).field
    ).toBe("CAPILLARY_BASE_URL")
    expect(errorOf({ CAPILLARY_CLUSTER: "eu", CAPILLARY_CLIENT_KEY: "k" }).message).toMatch(
      /CAPILLARY_CLIENT_SECRET/
    )
    expect(errorOf({ CAPILLARY_CLUSTER: "eu", CAPILLARY_CLIENT_SECRET: "s" }).message).toMatch(
      /CAPILLARY_CLIENT_KEY/
    )
    expect(errorOf({ CAPILLARY_CLUSTER: "eu", CAPILLARY_TILL_ID: "t" }).message).toMatch(
      /CAPILLARY_TILL_PASSWORD/
    )
    expect(
      errorOf({ CAPILLARY_CLUSTER: "eu", CAPILLARY_TILL_ID: "t", CAPILLARY_TILL_PASSWORD_MD5: "abc" }).field
    ).toBe("CAPILLARY_TILL_PASSWORD_MD5")
    expect(
      errorOf({
        CAPILLARY_CLUSTER: "eu",
        CAPILLARY_CLIENT_KEY: "k",
        CAPILLARY_CLIENT_SECRET: "s",
        CAPILLARY_ATTRIBUTION_TYPE: "REGISTER",
        CAPILLARY_ATTRIBUTION_CODE: "c"
      }).field
    ).toBe("CAPILLARY_ATTRIBUTION_TYPE")
    expect(
      errorOf({
        CAPILLARY_CLUSTER: "eu",
        CAPILLARY_CLIENT_KEY: "k",
        CAPILLARY_CLIENT_SECRET: "s",
        CAPILLARY_ATTRIBUTION_TYPE: "TILL"
      }).field
    ).toBe("CAPILLARY_ATTRIBUTION_CODE")
  })

  it("layerConfig reads through Effect's ConfigProvider and fails in the typed channel", async () => {
    const read = (env: Record<string, string>) =>
      Effect.runPromiseExit(
        Effect.map(CapillaryConfig.CapillaryConfig, (c) => c.baseUrl.href).pipe(
          Effect.provide(CapillaryConfig.layerConfig),
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
        )
      )
    const ok = await read({
      CAPILLARY_CLUSTER: "sea",
      CAPILLARY_CLIENT_KEY: "k",
      CAPILLARY_CLIENT_SECRET: "s"
    })
    expect(Exit.isSuccess(ok) && ok.value).toBe("https://sea.api.capillarytech.com/")
    const bad = await read({ CAPILLARY_CLUSTER: "sea" })
    expect(Exit.isFailure(bad) && JSON.stringify(bad.cause)).toMatch(/CAPILLARY_CLIENT_KEY/)
  })
})

describe("CapillaryConfig: inputs refused, each naming what to fix", () => {
  const base = { cluster: "eu", credentials: { key: "k", secret: "s" } }
  const optionError = (input: CapillaryConfig.Input) => {
    const result = CapillaryConfig.make(input)
    if (Result.isSuccess(result)) throw new Error("expected a ConfigError")
    return result.failure
  }

  it.each([
    ["a key with a trailing space", { key: "k ", secret: "s" }, "key"],
    ["a secret with a trailing newline", { key: "k", secret: "s\n" }, "secret"],
    ["a secret with a leading tab", { key: "k", secret: "\ts" }, "secret"],
    ["a till id with spaces around", { till: " t ", password: "p" }, "till"],
    ["a till password with a trailing space", { till: "t", password: "p " }, "password"]
  ])("%s: ConfigError saying so", (_name, credentials, field) => {
    const error = optionError({ cluster: "eu", credentials: credentials as never })
    expect(error.field).toBe(field)
    expect(error.message).toMatch(/leading or trailing whitespace/)
    expect(error.message).not.toMatch(/\bs\n|\tp/)
  })

  it("OAuth and till credentials together: a ConfigError naming both", () => {
    const error = optionError({
      cluster: "eu",
      credentials: { key: "k", secret: "s", till: "t", password: "p" } as never
    })
    expect(error.field).toBe("credentials")
    expect(error.message).toMatch(/key, secret.*till, password/)
  })

  it.each([
    [{ refresh: { expiryMarginMillis: Number.NaN } }, "refresh.expiryMarginMillis"],
    [{ refresh: { refreshAtFraction: Number.POSITIVE_INFINITY } }, "refresh.refreshAtFraction"],
    [{ refresh: { jitterFraction: -1 } }, "refresh.jitterFraction"],
    [{ refresh: { margin: 5 } as never }, "refresh.margin"],
    [{ tokenTimeoutMillis: Number.POSITIVE_INFINITY }, "tokenTimeoutMillis"],
    [{ tokenTimeoutMillis: 0 }, "tokenTimeoutMillis"],
    [{ tokenMaxAttempts: 0 }, "tokenMaxAttempts"],
    [{ tokenMaxAttempts: 2.5 }, "tokenMaxAttempts"],
    [{ tokenMaxAttempts: Number.NaN }, "tokenMaxAttempts"],
    [{ tokenCooldownMillis: -1 }, "tokenCooldownMillis"],
    [{ tokenCooldownMillis: "5000" as never }, "tokenCooldownMillis"]
  ])("%o: a ConfigError naming %s", (extra, field) => {
    const error = optionError({ ...base, ...extra })
    expect(error.field).toBe(field)
    expect(error.message).toContain(field)
  })

  it("the defaults: 8 s token timeout, 4 attempts, 30 s cooldown; each can be set", () => {
    const defaults = Result.getOrThrow(CapillaryConfig.make(base))
    expect(Duration.toMillis(defaults.tokenTimeout)).toBe(8_000)
    expect(defaults.tokenMaxAttempts).toBe(4)
    expect(Duration.toMillis(defaults.tokenCooldown)).toBe(30_000)
    const set = Result.getOrThrow(
      CapillaryConfig.make({
        ...base,
        tokenTimeoutMillis: 2_000,
        tokenMaxAttempts: 2,
        tokenCooldownMillis: 0
      })
    )
    expect([
      Duration.toMillis(set.tokenTimeout),
      set.tokenMaxAttempts,
      Duration.toMillis(set.tokenCooldown)
    ]).toEqual([2_000, 2, 0])
  })

  const env = { CAPILLARY_CLUSTER: "eu", CAPILLARY_CLIENT_KEY: "k", CAPILLARY_CLIENT_SECRET: "s" }
  it("reads CAPILLARY_TOKEN_TIMEOUT_MS, CAPILLARY_TOKEN_MAX_ATTEMPTS and CAPILLARY_TOKEN_COOLDOWN_MS", () => {
    const config = Result.getOrThrow(
      fromEnv({
        ...env,
        CAPILLARY_TOKEN_TIMEOUT_MS: "3000",
        CAPILLARY_TOKEN_MAX_ATTEMPTS: "2",
        CAPILLARY_TOKEN_COOLDOWN_MS: "60000"
      })
    )
    expect(Duration.toMillis(config.tokenTimeout)).toBe(3_000)
    expect(config.tokenMaxAttempts).toBe(2)
    expect(Duration.toMillis(config.tokenCooldown)).toBe(60_000)
  })

  it.each([
    [{ CAPILLARY_TOKEN_TIMEOUT_MS: "0x3c" }, "CAPILLARY_TOKEN_TIMEOUT_MS", /whole number/],
    [{ CAPILLARY_TOKEN_TIMEOUT_MS: "1e4" }, "CAPILLARY_TOKEN_TIMEOUT_MS", /whole number/],
    [{ CAPILLARY_TOKEN_TIMEOUT_MS: "0" }, "CAPILLARY_TOKEN_TIMEOUT_MS", /from 1 to 600000/],
    [{ CAPILLARY_TOKEN_MAX_ATTEMPTS: "0" }, "CAPILLARY_TOKEN_MAX_ATTEMPTS", /from 1 to 20/],
    [{ CAPILLARY_TOKEN_COOLDOWN_MS: "-5" }, "CAPILLARY_TOKEN_COOLDOWN_MS", /whole number/],
    [{ CAPILLARY_CLIENT_SECRET: "s " }, "CAPILLARY_CLIENT_SECRET", /whitespace/],
    [{ CAPILLARY_CLIENT_KEY: " k" }, "CAPILLARY_CLIENT_KEY", /whitespace/],
    [
      { CAPILLARY_TILL_ID: "t", CAPILLARY_TILL_PASSWORD: "p" },
      "CAPILLARY_CLIENT_KEY",
      /CAPILLARY_TILL_ID.*both set/
    ]
  ])("%o: a ConfigError naming %s", (vars, name, message) => {
    const error = errorOf({ ...env, ...vars })
    expect(error.field).toBe(name)
    expect(error.message).toContain(name)
    expect(error.message).toMatch(message)
  })

  it("a blank credential variable still reads as unset", () => {
    expect(
      errorOf({ CAPILLARY_CLUSTER: "eu", CAPILLARY_CLIENT_KEY: "k", CAPILLARY_CLIENT_SECRET: "  " }).field
    ).toBe("CAPILLARY_CLIENT_SECRET")
  })
})
