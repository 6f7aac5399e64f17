import { inspect } from "node:util"
import { type Simulator, startSimulator } from "@capauth/testkit"
import { Cause, Effect, Exit, Layer, Logger, Result } from "effect"
import { FetchHttpClient } from "effect/http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as AuthError from "../src/AuthError.ts"
import { type AccessToken, CapillaryClient, CapillaryConfig, TokenManager } from "../src/index.ts"
import { freshClient } from "./support.ts"

const SECRET = "s3cr3t-VALUE-never-printed"

/** Every way a value commonly ends up in a log. */
const renderings = (value: unknown): Array<string> => [
  JSON.stringify(value) ?? "",
  inspect(value, { depth: 10 }),
  String(value),
  `${(value as { message?: string })?.message ?? ""}`
]

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ sharedKey: true })
})
afterAll(() => sim.close())

describe("no secret or token leaks", () => {
  it("config and credentials print the secret as <redacted>", () => {
    const config = Result.getOrThrow(
      CapillaryConfig.make({ cluster: "eu", credentials: { key: "k", secret: SECRET } })
    )
    for (const text of renderings(config)) expect(text).not.toContain(SECRET)
    expect(inspect(config)).toContain("<redacted>")
    const till = Result.getOrThrow(
      CapillaryConfig.make({ cluster: "eu", credentials: { till: "t", password: SECRET } })
    )
    for (const text of renderings(till)) expect(text).not.toContain(SECRET)
  })

  it("errors carry no secret, even when the input that failed contained one", () => {
    const bad = CapillaryConfig.make({ cluster: "eu", credentials: { till: "t", passwordMd5: SECRET } })
    expect(Result.isFailure(bad)).toBe(true)
    for (const text of renderings(Result.isFailure(bad) ? bad.failure : undefined))
      expect(text).not.toContain(SECRET)
    const all = [
      new AuthError.InvalidCredentials({ message: "m", requestId: "r" }),
      new AuthError.AccessDenied({ message: "m" }),
      new AuthError.TokenExpired({ message: "m" }),
      new AuthError.TokenRejected({ message: "m" }),
      new AuthError.RateLimited({ message: "m", retryAfterMillis: 1 }),
      new AuthError.ServiceUnavailable({ message: "m" }),
      new AuthError.TransportError({ message: "m", reason: "Network" }),
      new AuthError.MalformedResponse({ message: "m", excerpt: "x" }),
      new AuthError.ConfigError({ message: "m" })
    ]
    for (const error of all) {
      expect(error).toBeInstanceOf(Error)
      expect(error.action.length).toBeGreaterThan(10)
      expect(AuthError.isAuthError(error)).toBe(true)
    }
    expect(new Set(all.map((e) => e._tag)).size).toBe(9)
  })

  it("a token prints as <redacted> in JSON and inspect", async () => {
    const c = freshClient(sim)
    const exit = await Effect.runPromiseExit(
      Effect.flatMap(TokenManager.TokenManager, (t) => t.get).pipe(
        Effect.provide(
          CapillaryClient.tokenManagerLayer.pipe(
            Layer.provide(CapillaryConfig.layer({ baseUrl: sim.url, credentials: c })),
            Layer.provide(FetchHttpClient.layer)
          )
        )
      )
    )
    if (!Exit.isSuccess(exit)) throw new Error("expected a token")
    const token: AccessToken.AccessToken = exit.value
    const raw = sim.tokens.at(-1)
    expect(raw).toBeDefined()
    const value = (await import("effect/Redacted")).value(token.value)
    expect(value).toMatch(/^eyJ/)
    for (const text of renderings(token)) expect(text).not.toContain(value)
    expect(JSON.stringify(token)).toContain("<redacted>")
  })

  it("failures over the wire: neither the secret nor any token reaches errors, causes or logs", async () => {
    const c = freshClient(sim)
    const lines: Array<string> = []
    const capture = Logger.map(Logger.formatLogFmt, (line) => void lines.push(line))
    sim.faults.add({
      path: "/v3/oauth/token/generate",
      fault: {
        kind: "status",
        status: 500,
        body: { data: { accessToken: "eyJleak.eyJleak.sig", secret: SECRET } }
      },
      times: 4
    })
    const exit = await Effect.runPromiseExit(
      Effect.flatMap(TokenManager.TokenManager, (t) => t.get).pipe(
        Effect.tapCause((cause) => Effect.logError("failed", cause)),
        Effect.provide(
          CapillaryClient.tokenManagerLayer.pipe(
            Layer.provide(
              CapillaryConfig.layer({ baseUrl: sim.url, credentials: { key: c.key, secret: SECRET } })
            ),
            Layer.provide(FetchHttpClient.layer)
          )
        ),
        Effect.provide(Logger.layer([capture]))
      )
    )
    sim.faults.clear()
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit)) {
      const texts = [Cause.pretty(exit.cause), ...renderings(Cause.squash(exit.cause)), ...lines]
      for (const text of texts) {
        expect(text).not.toContain(SECRET)
        expect(text).not.toContain("eyJleak")
      }
      expect(lines.join("\n")).toContain("ServiceUnavailable")
    }
    // The simulator's own log redacts the secret it received in token-request bodies.
    expect(JSON.stringify(sim.requests)).not.toContain(SECRET)
  })
})
