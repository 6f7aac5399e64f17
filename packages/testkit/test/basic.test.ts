import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { basicAuthorization, type Simulator, startSimulator } from "../src/index.ts"
import { md5hex } from "../src/registry.ts"
import { call, DOC_BASIC, V11_ADD, V11_GET, v11AddBody } from "./helpers.ts"

describe("Basic authentication (POS tills)", () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await startSimulator({
      sharedKey: true,
      tills: [
        { id: "store.server", password: "server123" },
        { id: "store.md5only", passwordMd5: md5hex("Pass123") }
      ]
    })
  })
  afterAll(() => sim.close())
  beforeEach(() => sim.reset())

  it("computes the documented vector", () => {
    expect(md5hex("server123")).toBe("8a16a6b70505eb1f1ff7cdc0cd5559a7")
    expect(basicAuthorization("store.server", "server123")).toBe(DOC_BASIC)
  })

  it("accepts the documented header", async () => {
    const { status, body } = await call(sim, V11_GET, { authorization: DOC_BASIC })
    expect(status).toBe(200)
    expect(body.response.status.code).toBe(200)
  })

  it("accepts a till registered by md5 only", async () => {
    const header = basicAuthorization("store.md5only", "Pass123")
    expect((await call(sim, "/v2/customers/1", { authorization: header })).status).toBe(200)
  })

  it("rejects a wrong password, an unknown till, a stray space, an uppercase md5, plain password", async () => {
    const b64 = (s: string) => `Basic ${Buffer.from(s).toString("base64")}`
    for (const authorization of [
      basicAuthorization("store.server", "wrong"),
      basicAuthorization("store.nope", "server123"),
      b64("store.server: 8a16a6b70505eb1f1ff7cdc0cd5559a7"),
      b64("store.server:8A16A6B70505EB1F1FF7CDC0CD5559A7"),
      b64("store.server:server123"),
      "Bearer abc"
    ]) {
      const { status, body } = await call(sim, V11_GET, { authorization })
      expect(status).toBe(401)
      expect(body.response.status).toEqual({
        success: false,
        code: 401,
        message: "Please check your username/password or authentication token"
      })
    }
  })

  it("attributes a Basic write to the till itself by default", async () => {
    const { status, body } = await call(
      sim,
      V11_ADD,
      { authorization: DOC_BASIC },
      { method: "POST", body: v11AddBody("9101") }
    )
    expect(status).toBe(200)
    expect(sim.writes).toHaveLength(1)
    expect(sim.writes[0]).toMatchObject({
      writeId: body.response.writeId,
      attribution: { type: "TILL", code: "store.server" },
      principal: "basic:store.server"
    })
  })

  it("v2 acts for another till with LOOKUP-TYPE + LOOKUP", async () => {
    const { status } = await call(
      sim,
      "/v2/customers",
      {
        authorization: DOC_BASIC,
        "X-CAP-API-ATTRIBUTION-LOOKUP-TYPE": "TILL",
        "X-CAP-API-ATTRIBUTION-LOOKUP": "store.till2"
      },
      {
        method: "POST",
        body: JSON.stringify({ profiles: [{ identifiers: [{ type: "mobile", value: "9102" }] }] })
      }
    )
    expect(status).toBe(200)
    expect(sim.writes[0]!.attribution).toEqual({ type: "TILL", code: "store.till2" })
  })

  it("v2 rejects one lookup header without the other (400) and records nothing", async () => {
    for (const extra of [
      { "X-CAP-API-ATTRIBUTION-LOOKUP-TYPE": "TILL" },
      { "X-CAP-API-ATTRIBUTION-LOOKUP": "store.till2" }
    ]) {
      const { status, body } = await call(
        sim,
        "/v2/customers",
        { authorization: DOC_BASIC, ...extra },
        { method: "POST", body: JSON.stringify({ profiles: [{}] }) }
      )
      expect(status).toBe(400)
      expect(body.errors[0]).toMatchObject({ status: false, code: 400 })
      expect(body.errors[0].message).toMatch(/LOOKUP/)
    }
    expect(sim.writes).toHaveLength(0)
  })

  it("v2 rejects an unknown lookup target", async () => {
    const { status } = await call(sim, "/v2/customers/1", {
      authorization: DOC_BASIC,
      "X-CAP-API-ATTRIBUTION-LOOKUP-TYPE": "TILL",
      "X-CAP-API-ATTRIBUTION-LOOKUP": "store.ghost"
    })
    expect(status).toBe(400)
  })
})
