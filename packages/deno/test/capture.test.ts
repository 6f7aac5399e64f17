/**
 * What is Deno's own about `createCaptureClient`: its rejections are the error classes mod.ts exports
 * (`instanceof`, not only `_tag`). The scenarios every runtime shares are the Capture contract
 * (capture.contract.test.ts); the `--allow-env` errors are in permissions.test.ts.
 */

import assert from "node:assert/strict"
import { SAMPLE_CAPTURE_CLIENT, startSimulator } from "@capauth/testkit"
import {
  CaptureError,
  ConfigError,
  createCaptureClient,
  InvalidCredentials,
  isAuthError,
  TokenExpired
} from "../mod.ts"

Deno.test("createCaptureClient rejects and throws with the error classes of mod.ts", async () => {
  const sim = await startSimulator({ port: 0 })
  const options = {
    baseUrl: sim.captureUrl,
    clientId: SAMPLE_CAPTURE_CLIENT.clientId,
    clientSecret: SAMPLE_CAPTURE_CLIENT.clientSecret
  }
  const capture = createCaptureClient(options)
  const wrong = createCaptureClient({ ...options, clientSecret: "wrong-secret" })
  try {
    const refused = await capture.call("entity.count", { type_name: "nope" }).catch((e: unknown) => e)
    assert.ok(refused instanceof CaptureError && isAuthError(refused))
    const denied = await wrong.call("entity.count", { type_name: "user" }).catch((e: unknown) => e)
    assert.ok(denied instanceof InvalidCredentials)
    const unknown = await capture
      .exchangeCode({ code: "not-a-code", redirectUri: "https://app.example.com/cb" })
      .catch((e: unknown) => e)
    assert.ok(unknown instanceof CaptureError, String(unknown)) // 200 invalid_argument: an unknown code
    sim.faults.add({ path: "/capture/oauth/token", fault: { kind: "status", status: 400, errorCode: 415 } })
    const spent = await capture
      .exchangeCode({ code: "any-code", redirectUri: "https://app.example.com/cb" })
      .catch((e: unknown) => e)
    assert.ok(spent instanceof TokenExpired)
    assert.throws(() => createCaptureClient({ ...options, clientAuth: "digest" as never }), ConfigError)
    await capture.close()
    assert.ok((await capture.call("entity.count").catch((e: unknown) => e)) instanceof ConfigError)
  } finally {
    await capture.close()
    await wrong.close()
    await sim.close()
  }
})
