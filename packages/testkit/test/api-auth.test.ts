import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type Simulator, startSimulator } from "../src/index.ts"
import { call, oauth, tokenFor, V11_ADD, V11_GET, v11AddBody } from "./helpers.ts"

describe("API token checks and access groups", () => {
  let sim: Simulator
  let token: string
  beforeAll(async () => {
    sim = await startSimulator({
      clock: "manual",
      clients: [
        { key: "w", secret: "s", accessGroup: { customer: "write" } },
        { key: "r", secret: "s", accessGroup: { customer: "read" } },
        { key: "none", secret: "s", accessGroup: {} }
      ]
    })
    token = await tokenFor(sim, "w", "s")
  })
  afterAll(() => sim.close())
  beforeEach(() => sim.reset())

  it("serves a valid token on v1.1, v2 and v3 with their success envelopes", async () => {
    const v11 = await call(sim, V11_GET, oauth(token))
    expect(v11.status).toBe(200)
    expect(v11.body.response.status).toEqual({ success: true, code: 200, message: "SUCCESS" })
    expect(v11.body.response.customers.customer[0].mobile).toBe("919876543210")
    const v2 = await call(sim, "/v2/customers/1", oauth(token))
    expect([v2.status, v2.body.id]).toEqual([200, 1])
    const v3 = await call(sim, "/v3/customers/1", oauth(token))
    expect([v3.status, v3.body.data.id, v3.body.errors]).toEqual([200, 1, null])
  })

  it("accepts the CAP-API-ACCESS-TOKEN header name too", async () => {
    expect((await call(sim, V11_GET, { "CAP-API-ACCESS-TOKEN": token })).status).toBe(200)
  })

  it("answers 401 Unauthorized for garbage, a forged signature, a missing header", async () => {
    const [h, p] = token.split(".")
    const forged = `${h}.${p}.${"A".repeat(342)}`
    for (const headers of [oauth("garbage"), oauth(forged), {}]) {
      const { status, body } = await call(sim, V11_GET, headers)
      expect(status).toBe(401)
      expect(body.response.status).toEqual({ success: false, code: 401, message: "Unauthorized" })
    }
  })

  it("answers 401 for a token from another simulator (different key pair)", async () => {
    const other = await startSimulator({ clients: [{ key: "w", secret: "s" }] })
    try {
      const foreign = await tokenFor(other, "w", "s")
      expect((await call(sim, "/v2/customers/1", oauth(foreign))).status).toBe(401)
    } finally {
      await other.close()
    }
  })

  it("answers 401 for a revoked token and keeps other tokens valid", async () => {
    const doomed = await tokenFor(sim, "w", "s")
    sim.revokeToken(doomed)
    const { status, body } = await call(sim, "/v2/customers/1", oauth(doomed))
    expect(status).toBe(401)
    expect(body.errors[0]).toMatchObject({ status: false, code: 401 })
    expect((await call(sim, "/v2/customers/1", oauth(token))).status).toBe(200)
  })

  it("answers 401 for the tokens of a disabled client", async () => {
    sim.addClient({ key: "tmp", secret: "s" })
    const t = await tokenFor(sim, "tmp", "s")
    expect((await call(sim, V11_GET, oauth(t))).status).toBe(200)
    sim.disableClient("tmp")
    expect((await call(sim, V11_GET, oauth(t))).status).toBe(401)
  })

  it("answers v1.1 403 'Client doesn't have access...' when the access group lacks the resource", async () => {
    const t = await tokenFor(sim, "none", "s")
    const { status, body } = await call(sim, V11_GET, oauth(t))
    expect(status).toBe(403)
    expect(body.response.status).toEqual({
      success: false,
      code: 403,
      message: "Client doesn't have access to the requested resource"
    })
  })

  it("answers 403 errorCode 4000 on v2/v3 and for writes by a read-only client", async () => {
    const ro = await tokenFor(sim, "r", "s")
    expect((await call(sim, V11_GET, oauth(ro))).status).toBe(200)
    const v2 = await call(sim, "/v2/customers", oauth(ro), {
      method: "POST",
      body: JSON.stringify({ profiles: [{}] })
    })
    expect(v2.status).toBe(403)
    expect(v2.body).toEqual({
      errors: [{ status: false, code: 4000, message: "Not authorized. Access is denied!" }],
      warnings: []
    })
    const none = await tokenFor(sim, "none", "s")
    const v3 = await call(sim, "/v3/customers/1", oauth(none))
    expect([v3.status, v3.body.errors[0].code]).toEqual([403, 4000])
    const add = await call(sim, V11_ADD, oauth(ro), { method: "POST", body: v11AddBody("911") })
    expect([add.status, add.body.response.status.code]).toEqual([403, 403])
    expect(sim.writes).toHaveLength(0)
  })

  it("setAuthFailureSignal: body puts the code in an HTTP 200; status leaves the body without a code", async () => {
    const none = await tokenFor(sim, "none", "s")
    sim.setAuthFailureSignal("body")
    const a = await call(sim, V11_GET, oauth("garbage"))
    expect([a.status, a.body.response.status.code, a.body.response.status.success]).toEqual([200, 401, false])
    const b = await call(sim, V11_GET, oauth(none))
    expect([b.status, b.body.response.status.code]).toEqual([200, 403])
    sim.setAuthFailureSignal("status")
    const c = await call(sim, V11_GET, oauth("garbage"))
    expect(c.status).toBe(401)
    expect(c.body.response.status).not.toHaveProperty("code")
    sim.setAuthFailureSignal("both")
    const d = await call(sim, V11_GET, oauth("garbage"))
    expect([d.status, d.body.response.status.code]).toEqual([401, 401])
  })

  it("answers 404 for unknown paths and 405 for a wrong method, in the path's envelope", async () => {
    const nf = await call(sim, "/v2/nothing", oauth(token))
    expect([nf.status, nf.body.errors[0].code]).toEqual([404, 404])
    const wm = await call(sim, V11_GET, oauth(token), { method: "POST", body: "{}" })
    expect([wm.status, wm.body.response.status.code]).toEqual([405, 405])
  })
})
