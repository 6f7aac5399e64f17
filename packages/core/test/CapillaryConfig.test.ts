import { ConfigProvider, Effect, Exit, Result } from "effect"
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
