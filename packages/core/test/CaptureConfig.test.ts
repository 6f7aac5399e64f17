import { ConfigProvider, Effect, Exit, Layer, Redacted, Result } from "effect"
import { FetchHttpClient } from "effect/http"
import { describe, expect, it } from "vitest"
import { CaptureClient, CaptureConfig, RefreshTokenStore } from "../src/index.ts"
import { soleFailure } from "./support.ts"

const base = { baseUrl: "https://myapp.us.janraincapture.com", clientId: "id1", clientSecret: "sec" }

const fieldOf = (result: Result.Result<unknown, { field?: string | undefined; message: string }>) =>
  Result.isFailure(result) ? result.failure.field : undefined

describe("CaptureConfig.make", () => {
  it("validates and defaults: basic auth, memory store, 10 s timeout; the secret Redacted", () => {
    const config = Result.getOrThrow(CaptureConfig.make(base))
    expect(config.baseUrl.href).toBe("https://myapp.us.janraincapture.com/")
    expect(config.clientAuth).toBe("basic")
    expect(Redacted.isRedacted(config.clientSecret)).toBe(true)
    expect(Redacted.value(config.clientSecret)).toBe("sec")
    expect(String(config.clientSecret)).not.toContain("sec")
    expect(RefreshTokenStore.isRefreshTokenStore(config.tokenStore)).toBe(true)
    const redacted = Result.getOrThrow(
      CaptureConfig.make({ ...base, clientSecret: Redacted.make("x"), clientAuth: "signed" })
    )
    expect(Redacted.value(redacted.clientSecret)).toBe("x")
    expect(redacted.clientAuth).toBe("signed")
  })

  it("https, or http on loopback only; a path is kept as a prefix; no userinfo, query or fragment", () => {
    expect(
      Result.getOrThrow(CaptureConfig.make({ ...base, baseUrl: "http://127.0.0.1:9/capture/" })).baseUrl.href
    ).toBe("http://127.0.0.1:9/capture")
    for (const baseUrl of [
      "http://myapp.janraincapture.com",
      "ftp://x.com",
      "https://u:p@x.com",
      "https://x.com/?a=1",
      "https://x.com/#f",
      "not a url"
    ]) {
      const result = CaptureConfig.make({ ...base, baseUrl })
      expect(fieldOf(result)).toBe("baseUrl")
      expect(Result.isFailure(result) && result.failure.message).not.toContain("u:p")
    }
  })

  it("names the option at fault", () => {
    expect(fieldOf(CaptureConfig.make({ ...base, clientId: "" }))).toBe("clientId")
    expect(fieldOf(CaptureConfig.make({ ...base, clientId: "has space" }))).toBe("clientId")
    expect(fieldOf(CaptureConfig.make({ ...base, clientSecret: "" }))).toBe("clientSecret")
    expect(fieldOf(CaptureConfig.make({ ...base, clientAuth: "digest" as never }))).toBe("clientAuth")
    expect(fieldOf(CaptureConfig.make({ ...base, tokenStore: {} as never }))).toBe("tokenStore")
    expect(fieldOf(CaptureConfig.make({ ...base, timeoutMillis: 0 }))).toBe("timeoutMillis")
    expect(fieldOf(CaptureConfig.make({ ...base, backoff: { maxAttempts: 0 } }))).toBe("backoff.maxAttempts")
    const missing = CaptureConfig.make({ baseUrl: base.baseUrl, clientId: "x" })
    expect(fieldOf(missing)).toBe("clientSecret")
    expect(Result.isFailure(missing) && missing.failure.message).toMatch(/CAPTURE_CLIENT_SECRET/)
  })

  it("never shows the secret in an error", () => {
    const result = CaptureConfig.make({ ...base, clientSecret: "topsecret", clientAuth: "x" as never })
    expect(Result.isFailure(result) && JSON.stringify(result.failure)).not.toContain("topsecret")
  })
})

describe("CaptureConfig.fromEnv", () => {
  const env = {
    CAPTURE_BASE_URL: "https://myapp.eu.janraincapture.com",
    CAPTURE_CLIENT_ID: "envid",
    CAPTURE_CLIENT_SECRET: "envsecret",
    CAPTURE_CLIENT_AUTH: "params"
  }

  it("reads the four variables, from a record or a reader", () => {
    const fromRecord = Result.getOrThrow(CaptureConfig.fromEnv(env))
    expect(fromRecord.clientId).toBe("envid")
    expect(fromRecord.clientAuth).toBe("params")
    const fromReader = Result.getOrThrow(CaptureConfig.fromEnv((name) => env[name]))
    expect(fromReader.baseUrl.host).toBe("myapp.eu.janraincapture.com")
  })

  it("errors name the variable", () => {
    expect(fieldOf(CaptureConfig.fromEnv({ ...env, CAPTURE_BASE_URL: "http://evil.com" }))).toBe(
      "CAPTURE_BASE_URL"
    )
    expect(fieldOf(CaptureConfig.fromEnv({ ...env, CAPTURE_CLIENT_ID: "  " }))).toBe("CAPTURE_CLIENT_ID")
    expect(fieldOf(CaptureConfig.fromEnv({ ...env, CAPTURE_CLIENT_SECRET: undefined }))).toBe(
      "CAPTURE_CLIENT_SECRET"
    )
    expect(fieldOf(CaptureConfig.fromEnv({ ...env, CAPTURE_CLIENT_AUTH: "oauth" }))).toBe(
      "CAPTURE_CLIENT_AUTH"
    )
  })

  it("options win; the environment fills what they leave out", () => {
    const config = Result.getOrThrow(CaptureConfig.make({ clientId: "opt" }, env))
    expect(config.clientId).toBe("opt")
    expect(Redacted.value(config.clientSecret)).toBe("envsecret")
    expect(fieldOf(CaptureConfig.make({ clientAuth: "nope" as never }, env))).toBe("clientAuth")
  })
})

describe("CaptureConfig.fromConfig / layerConfig, CaptureClient.layerConfig (Effect's ConfigProvider)", () => {
  const env = {
    CAPTURE_BASE_URL: "https://myapp.eu.janraincapture.com",
    CAPTURE_CLIENT_ID: "envid",
    CAPTURE_CLIENT_SECRET: "envsecret",
    CAPTURE_CLIENT_AUTH: "signed"
  }
  const provider = (vars: Record<string, string>) =>
    ConfigProvider.layer(ConfigProvider.fromEnv({ env: vars }))
  const read = (vars: Record<string, string>) =>
    Effect.runPromiseExit(
      Effect.map(CaptureConfig.CaptureConfig, (config) => config).pipe(
        Effect.provide(CaptureConfig.layerConfig),
        Effect.provide(provider(vars))
      )
    )
  const errorOf = async (vars: Record<string, string>) => {
    const error = soleFailure(await read(vars))
    if (error === undefined) throw new Error("expected a ConfigError")
    return error
  }

  it("reads the four variables; the secret arrives Redacted and stays so", async () => {
    const exit = await read(env)
    if (!Exit.isSuccess(exit)) throw new Error(String(exit.cause))
    const config = exit.value
    expect(config.baseUrl.host).toBe("myapp.eu.janraincapture.com")
    expect(config.clientId).toBe("envid")
    expect(config.clientAuth).toBe("signed")
    expect(Redacted.isRedacted(config.clientSecret)).toBe(true)
    expect(Redacted.value(config.clientSecret)).toBe("envsecret")
    expect(`${String(config.clientSecret)} ${JSON.stringify(config)}`).not.toContain("envsecret")
    // The same rules as fromEnv: the defaults, blank is unset, values trimmed.
    const same = Result.getOrThrow(CaptureConfig.fromEnv(env))
    expect({ ...config, tokenStore: undefined }).toEqual({ ...same, tokenStore: undefined })
    const basic = await read({ ...env, CAPTURE_CLIENT_AUTH: "", CAPTURE_CLIENT_SECRET: "  padded  " })
    expect(Exit.isSuccess(basic) && basic.value.clientAuth).toBe("basic")
    expect(Exit.isSuccess(basic) && Redacted.value(basic.value.clientSecret)).toBe("padded")
  })

  it("a missing or invalid variable fails in the typed channel with a ConfigError naming it, no secret", async () => {
    const cases: ReadonlyArray<readonly [Record<string, string>, string]> = [
      [{}, "CAPTURE_BASE_URL"],
      [{ ...env, CAPTURE_BASE_URL: "http://myapp.eu.janraincapture.com" }, "CAPTURE_BASE_URL"],
      [{ ...env, CAPTURE_CLIENT_ID: "" }, "CAPTURE_CLIENT_ID"],
      [{ ...env, CAPTURE_CLIENT_SECRET: "   " }, "CAPTURE_CLIENT_SECRET"],
      [{ ...env, CAPTURE_CLIENT_AUTH: "oauth" }, "CAPTURE_CLIENT_AUTH"]
    ]
    for (const [vars, field] of cases) {
      const error = await errorOf(vars)
      expect(error._tag).toBe("ConfigError")
      expect(error.field).toBe(field)
      expect(error.message).toContain(field)
      expect(`${error.message} ${JSON.stringify(error)}`).not.toContain("envsecret")
    }
  })

  it("a variable the provider cannot read is a ConfigError naming it", async () => {
    const failing = ConfigProvider.make((path) =>
      path.join("_") === "CAPTURE_CLIENT_SECRET"
        ? Effect.fail(new ConfigProvider.SourceError({ message: "vault sealed" }))
        : Effect.succeed(
            path.join("_") in env
              ? ConfigProvider.makeValue(env[path.join("_") as keyof typeof env])
              : undefined
          )
    )
    const exit = await Effect.runPromiseExit(
      CaptureConfig.fromConfig.pipe(Effect.provide(ConfigProvider.layer(failing)))
    )
    const error = soleFailure(exit)
    expect(error?.field).toBe("CAPTURE_CLIENT_SECRET")
    expect(error?.message).toMatch(/CAPTURE_CLIENT_SECRET could not be read: vault sealed/)
  })

  it("CaptureClient.layerConfig builds the client from the variables, or fails the layer naming one", async () => {
    const build = (vars: Record<string, string>) =>
      Effect.runPromiseExit(
        Effect.scoped(
          Effect.map(CaptureClient.CaptureClient, (client) => client.config).pipe(
            Effect.provide(
              CaptureClient.layerConfig.pipe(
                Layer.provide(FetchHttpClient.layer),
                Layer.provide(provider(vars))
              )
            )
          )
        )
      )
    const ok = await build(env)
    expect(Exit.isSuccess(ok) && ok.value.clientId).toBe("envid")
    expect(Exit.isSuccess(ok) && ok.value.clientAuth).toBe("signed")
    const bad = soleFailure(await build({ ...env, CAPTURE_CLIENT_ID: "has space" }))
    expect(bad?._tag).toBe("ConfigError")
    expect(bad?.field).toBe("CAPTURE_CLIENT_ID")
  })
})
