/**
 * What is Node's own about `createCaptureClient`: its rejections are the error classes `@capauth/node` exports
 * (`instanceof`, not only `_tag`). The scenarios every runtime shares (client auth modes, the code flow,
 * sessions, rotation, 414, creation tokens, error fields, config from options and `process.env`, `close()`, no
 * secret in any error) are the Capture contract: capture.contract.test.ts.
 */
import { SAMPLE_CAPTURE_CLIENT, type Simulator, startSimulator } from "@capauth/testkit"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  CaptureError,
  ConfigError,
  createCaptureClient,
  InvalidCredentials,
  isAuthError,
  TokenExpired
} from "../src/index.ts"

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ port: 0 })
})
afterAll(() => sim.close())

describe("createCaptureClient (Node)", () => {
  it("rejects and throws with the error classes of @capauth/node", async () => {
    const options = {
      baseUrl: sim.captureUrl,
      clientId: SAMPLE_CAPTURE_CLIENT.clientId,
      clientSecret: SAMPLE_CAPTURE_CLIENT.clientSecret
    }
    const capture = createCaptureClient(options)
    const wrong = createCaptureClient({ ...options, clientSecret: "wrong-secret" })
    try {
      const refused = await capture.call("entity.count", { type_name: "nope" }).catch((e: unknown) => e)
      expect(refused).toBeInstanceOf(CaptureError)
      expect(isAuthError(refused)).toBe(true)
      await expect(wrong.call("entity.count", { type_name: "user" })).rejects.toBeInstanceOf(
        InvalidCredentials
      )
      sim.faults.add({
        path: "/capture/oauth/token",
        fault: { kind: "status", status: 400, errorCode: 415 },
        times: 1
      })
      await expect(
        capture.exchangeCode({ code: "any-code", redirectUri: "https://app.example.com/cb" })
      ).rejects.toBeInstanceOf(TokenExpired)
      expect(() => createCaptureClient({ ...options, clientAuth: "digest" as never })).toThrow(ConfigError)
      await capture.close()
      await expect(capture.call("entity.count")).rejects.toBeInstanceOf(ConfigError)
    } finally {
      await capture.close()
      await wrong.close()
    }
  })
})
