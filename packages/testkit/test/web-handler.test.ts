import { describe, expect, it } from "vitest"
import { SimulatorCore } from "../src/core.ts"
import { basicAuthorization } from "../src/index.ts"

describe("web-standard handler (SimulatorCore.fetch)", () => {
  it("serves token/generate and an API call without a node server", async () => {
    const core = await SimulatorCore.create({ sharedKey: true, clock: "manual", expirySignal: "body-number" })
    const res = await core.fetch(
      new Request("http://sim.test/v3/oauth/token/generate", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ key: "sample-key", secret: "sample-secret" })
      })
    )
    expect(res.status).toBe(200)
    expect(res.headers.get("x-cap-requestid")).toBeTruthy()
    const token = ((await res.json()) as any).data.accessToken as string
    const call = (headers: Record<string, string>) =>
      core.fetch(
        new Request("http://sim.test/v1.1/customer/get?format=json&mobile=919876543210", { headers })
      )
    expect((await call({ "x-cap-api-oauth-token": token })).status).toBe(200)
    expect((await call({ authorization: basicAuthorization("store.server", "server123") })).status).toBe(200)
    core.clock.advance(3600_000)
    const expired = (await (await call({ "x-cap-api-oauth-token": token })).json()) as any
    expect(expired.response.status.code).toBe(498)
  })

  it("rejects on a reset fault (no socket to destroy)", async () => {
    const core = await SimulatorCore.create({ sharedKey: true })
    core.faults.add({ path: "*", fault: { kind: "reset" } })
    await expect(core.fetch(new Request("http://sim.test/v2/customers/1"))).rejects.toThrow(/reset/)
  })
})
