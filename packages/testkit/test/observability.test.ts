import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type Simulator, startSimulator } from "../src/index.ts"
import { call, oauth, postToken, TOKEN_PATH, tokenFor, V11_GET } from "./helpers.ts"

describe("counters, request log and reset", () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await startSimulator({
      sharedKey: true,
      clock: "manual",
      clients: [
        { key: "a", secret: "top-secret-a" },
        { key: "b", secret: "top-secret-b" }
      ]
    })
  })
  afterAll(() => sim.close())
  beforeEach(() => sim.reset())

  it("counts token requests per key and API requests per 'METHOD /path -> status'", async () => {
    const ta = await tokenFor(sim, "a", "top-secret-a")
    await tokenFor(sim, "a", "top-secret-a")
    await tokenFor(sim, "b", "top-secret-b")
    await postToken(sim, { key: "a", secret: "wrong" })
    await postToken(sim, "not json")
    await call(sim, V11_GET, oauth(ta))
    await call(sim, V11_GET, oauth("junk"))
    expect(sim.stats()).toEqual({
      tokenRequests: { a: 3, b: 1 },
      tokenRequestsTotal: 5,
      apiRequests: {
        [`POST ${TOKEN_PATH} -> 200`]: 3,
        [`POST ${TOKEN_PATH} -> 401`]: 1,
        [`POST ${TOKEN_PATH} -> 400`]: 1,
        "GET /v1.1/customer/get -> 200": 1,
        "GET /v1.1/customer/get -> 401": 1
      }
    })
  })

  it("logs method, path, query, status, lowercased headers and the clock time", async () => {
    const token = await tokenFor(sim, "a", "top-secret-a")
    sim.clock.advance(5000)
    await call(sim, V11_GET, { ...oauth(token), "X-Custom-Thing": "yes" })
    const entry = sim.requests.at(-1)!
    expect(entry).toMatchObject({
      method: "GET",
      path: "/v1.1/customer/get",
      query: "format=json&mobile=919876543210",
      status: 200,
      at: sim.clock.now()
    })
    expect(entry.headers["x-cap-api-oauth-token"]).toBe(token)
    expect(entry.headers["x-custom-thing"]).toBe("yes")
    expect(entry.body).toBeUndefined()
  })

  it("never logs a token-request secret verbatim (JSON or not)", async () => {
    await tokenFor(sim, "a", "top-secret-a")
    await postToken(sim, { key: "b", secret: "top-secret-b" })
    await postToken(sim, "key=a&secret=top-secret-a")
    const logged = JSON.stringify(sim.requests)
    expect(logged).not.toContain("top-secret")
    expect(sim.requests[0]!.body).toEqual({ key: "a", secret: "[redacted]" })
  })

  it("answers a unique X-Cap-Requestid on every response, matching the log", async () => {
    const ids = new Set<string>()
    for (const path of [V11_GET, "/v2/customers/1", "/nope"]) {
      const { res } = await call(sim, path, {})
      ids.add(res.headers.get("x-cap-requestid")!)
    }
    expect(ids.size).toBe(3)
    expect(sim.requests.map((r) => r.requestId)).toEqual([...ids])
  })

  it("reset clears counters, log, writes, token log and faults but keeps clients and tokens", async () => {
    const token = await tokenFor(sim, "a", "top-secret-a")
    sim.faults.add({ path: "*", fault: { kind: "status", status: 500 } })
    sim.reset()
    expect(sim.stats().tokenRequestsTotal).toBe(0)
    expect(sim.requests).toHaveLength(0)
    expect(sim.tokens).toHaveLength(0)
    expect(sim.faults.list()).toHaveLength(0)
    expect((await call(sim, V11_GET, oauth(token))).status).toBe(200)
    await tokenFor(sim, "b", "top-secret-b")
  })

  it("answers CORS preflights for browser tests", async () => {
    const res = await fetch(sim.url + TOKEN_PATH, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:5173", "access-control-request-headers": "content-type" }
    })
    expect(res.status).toBe(204)
    expect(res.headers.get("access-control-allow-origin")).toBe("*")
    expect(res.headers.get("access-control-allow-headers")).toBe("content-type")
    expect(res.headers.get("access-control-expose-headers")).toContain("X-Cap-Requestid")
  })
})
