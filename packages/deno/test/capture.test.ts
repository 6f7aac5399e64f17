/**
 * `createCaptureClient` on Deno against the testkit simulator's Capture endpoints, and Deno's env permission:
 * the suite runs without any CAPTURE_* in `--allow-env`, so a variable read is refused and named.
 */

import assert from "node:assert/strict"
import { SAMPLE_CAPTURE_CLIENT, SAMPLE_CAPTURE_USER, startSimulator } from "@capauth/testkit"
import * as Redacted from "effect/Redacted"
import { CaptureError, ConfigError, captureAllowEnvFlag, createCaptureClient } from "../mod.ts"

const redirectUri = "https://app.example.com/callback"

Deno.test("createCaptureClient: the whole flow in each client auth mode", async () => {
  const sim = await startSimulator({ seed: 3 })
  try {
    for (const clientAuth of ["basic", "params", "signed"] as const) {
      const capture = createCaptureClient({
        baseUrl: sim.captureUrl,
        clientId: SAMPLE_CAPTURE_CLIENT.clientId,
        clientSecret: SAMPLE_CAPTURE_CLIENT.clientSecret,
        clientAuth
      })
      try {
        assert.equal((await capture.call("entity.count", { type_name: "user" })).total_count, 1)
        const code = await capture.authorizationCode({
          typeName: "user",
          uuid: SAMPLE_CAPTURE_USER.uuid,
          redirectUri
        })
        const session = await capture.exchangeCode({ code, redirectUri })
        const me = await session.call("entity", { type_name: "user" })
        assert.equal((me.result as { uuid: string }).uuid, SAMPLE_CAPTURE_USER.uuid)
        const { refreshToken } = await session.tokens()
        assert.equal((await capture.session({ refreshToken }).call("entity")).stat, "ok")
        const ct = await capture.creationToken({ typeName: "user", lifetime: 60 })
        assert.ok(Redacted.isRedacted(ct.value))
        const e = await capture.call("entity.count", { type_name: "nope" }).catch((error: unknown) => error)
        assert.ok(e instanceof CaptureError)
        assert.equal(e.code, 200)
        assert.equal(e.error, "invalid_argument")
        assert.equal(typeof e.requestId, "string")
      } finally {
        await capture.close()
      }
    }
    assert.equal(sim.capture.stats().signatureChecks.failed, 0)
  } finally {
    await sim.close()
  }
})

Deno.test("a CAPTURE_* variable Deno refuses to read is a ConfigError naming the --allow-env flag", () => {
  try {
    createCaptureClient({ clientId: "id", clientSecret: "secret" })
    assert.fail("expected a ConfigError")
  } catch (error) {
    assert.ok(error instanceof ConfigError)
    assert.equal(error.field, "CAPTURE_BASE_URL")
    assert.ok(error.message.includes(captureAllowEnvFlag))
    assert.ok(!error.message.includes("secret"))
  }
})
