import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type Simulator, startSimulator } from "../src/index.ts"
import { ATTRIBUTION_TYPES } from "../src/types.ts"
import { call, oauth, tokenFor, V11_ADD, V11_GET, v11AddBody } from "./helpers.ts"

describe("attribution headers and recorded writes", () => {
  let sim: Simulator
  let token: string
  const add = (headers: Record<string, string>, mobile = "9200") =>
    call(sim, V11_ADD, { ...oauth(token), ...headers }, { method: "POST", body: v11AddBody(mobile) })

  beforeAll(async () => {
    sim = await startSimulator({
      sharedKey: true,
      clients: [{ key: "k", secret: "s", defaultTill: "store.till1" }],
      entities: [{ type: "STORE_CODE", code: "mall.7" }]
    })
    token = await tokenFor(sim, "k", "s")
  })
  afterAll(() => sim.close())
  beforeEach(() => sim.reset())

  it("defaults to TILL + the client's default till", async () => {
    const { status, body } = await add({})
    expect(status).toBe(200)
    expect(sim.writes).toEqual([
      expect.objectContaining({
        writeId: body.response.writeId,
        path: "/v1.1/customer/add",
        attribution: { type: "TILL", code: "store.till1" },
        principal: "oauth:k",
        body: { root: { customer: [{ mobile: "9200", firstname: "A" }] } }
      })
    ])
  })

  it("honours ENTITY-TYPE + ENTITY-CODE for every documented type with a known code", async () => {
    const codes: Record<string, string> = {
      TILL: "store.till2",
      STORE_CODE: "mall.7",
      STORE_NAME: "Store One",
      STORE_EXTERNAL_ID: "ext-1",
      STORE_EXTERNAL_ID_1: "ext1-1",
      STORE_EXTERNAL_ID_2: "ext2-1"
    }
    for (const type of ATTRIBUTION_TYPES) {
      const res = await add({
        "X-CAP-API-ATTRIBUTION-ENTITY-TYPE": type,
        "X-CAP-API-ATTRIBUTION-ENTITY-CODE": codes[type]!
      })
      expect(res.status).toBe(200)
    }
    expect(sim.writes.map((w) => w.attribution)).toEqual(
      ATTRIBUTION_TYPES.map((type) => ({ type, code: codes[type] }))
    )
  })

  it("accepts the legacy TILL-CODE and TILL headers as a till code", async () => {
    await add({ "X-CAP-API-ATTRIBUTION-TILL-CODE": "store.till2" })
    await add({ "X-CAP-API-ATTRIBUTION-TILL": "store.server" })
    expect(sim.writes.map((w) => w.attribution.code)).toEqual(["store.till2", "store.server"])
  })

  it("rejects an invalid type, an unknown code, a non-TILL type without code (400, nothing written)", async () => {
    for (const headers of [
      { "X-CAP-API-ATTRIBUTION-ENTITY-TYPE": "SHOP" },
      { "X-CAP-API-ATTRIBUTION-ENTITY-CODE": "store.ghost" },
      { "X-CAP-API-ATTRIBUTION-ENTITY-TYPE": "STORE_CODE" }
    ]) {
      const { status, body } = await add(headers)
      expect(status).toBe(400)
      expect(body.response.status).toMatchObject({ success: false, code: 400 })
    }
    const v2 = await call(sim, "/v2/customers/1", {
      ...oauth(token),
      "X-CAP-API-ATTRIBUTION-ENTITY-TYPE": "SHOP"
    })
    expect([v2.status, v2.body.errors[0].code]).toEqual([400, 400])
    expect(sim.writes).toHaveLength(0)
  })

  it("gives every accepted write a unique id, echoed in the response (v1.1 and v2)", async () => {
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await add({}, `93${i}`)).body.response.writeId)
    const v2 = await call(sim, "/v2/customers", oauth(token), {
      method: "POST",
      body: JSON.stringify({ profiles: [{ identifiers: [{ type: "mobile", value: "9400" }] }] })
    })
    ids.push(v2.body.writeId)
    expect(new Set(ids).size).toBe(6)
    expect(sim.writes.map((w) => w.writeId)).toEqual(ids)
  })

  it("stores v1.1 and v2 writes so reads see them", async () => {
    await add({}, "9500")
    const got = await call(sim, "/v1.1/customer/get?format=json&mobile=9500", oauth(token))
    expect(got.body.response.customers.customer[0].mobile).toBe("9500")
    const v2 = await call(sim, "/v2/customers", oauth(token), {
      method: "POST",
      body: JSON.stringify({
        profiles: [{ firstName: "B", identifiers: [{ type: "mobile", value: "9501" }] }]
      })
    })
    const read = await call(sim, `/v3/customers/${v2.body.createdId}`, oauth(token))
    expect(read.body.data).toMatchObject({ mobile: "9501", firstname: "B" })
  })

  it("rejects bad write bodies and a non-JSON Content-Type", async () => {
    const notJson = await call(sim, V11_ADD, oauth(token), { method: "POST", body: "{oops" })
    expect(notJson.status).toBe(400)
    const noMobile = await call(sim, V11_ADD, oauth(token), {
      method: "POST",
      body: JSON.stringify({ root: {} })
    })
    expect(noMobile.status).toBe(400)
    const ct = await call(
      sim,
      V11_ADD,
      { ...oauth(token), "content-type": "text/plain" },
      { method: "POST", body: v11AddBody("1") }
    )
    expect(ct.status).toBe(400)
    expect(sim.writes).toHaveLength(0)
  })

  it("answers an unknown customer in v1.1's way (body code 500, item 1012) and v2 8015", async () => {
    const v11 = await call(sim, "/v1.1/customer/get?format=json&mobile=000", oauth(token))
    expect(v11.body.response.status.code).toBe(500)
    expect(v11.body.response.customers.customer[0].item_status.code).toBe(1012)
    const v2 = await call(sim, "/v2/customers/999", oauth(token))
    expect([v2.status, v2.body.errors[0].code]).toEqual([404, 8015])
    expect((await call(sim, V11_GET, oauth(token))).status).toBe(200)
  })
})
