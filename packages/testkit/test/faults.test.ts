import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type Fault, type Simulator, startSimulator } from "../src/index.ts"
import { call, oauth, postToken, TOKEN_PATH, tokenFor, V11_ADD, V11_GET, v11AddBody } from "./helpers.ts"

const CREDS = { key: "sample-key", secret: "sample-secret" }

describe("fault injection", () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await startSimulator({ sharedKey: true, seed: 7 })
  })
  afterAll(() => sim.close())
  beforeEach(() => sim.reset())

  it("latency delays the answer by real time, then answers normally", async () => {
    sim.faults.add({ path: TOKEN_PATH, fault: { kind: "latency", ms: 150 }, times: 1 })
    const t0 = performance.now()
    const res = await postToken(sim, CREDS)
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140)
    expect(res.status).toBe(200)
    const t1 = performance.now()
    await postToken(sim, CREDS)
    expect(performance.now() - t1).toBeLessThan(140)
  })

  it("status answers the path family's envelope with errorCode, without processing", async () => {
    sim.faults.add({ path: TOKEN_PATH, fault: { kind: "status", status: 503, errorCode: 4001 } })
    const res = await postToken(sim, CREDS)
    expect(res.status).toBe(503)
    expect(res.headers.get("x-cap-requestid")).toBeTruthy()
    expect(await res.json()).toEqual({
      data: null,
      errors: [{ code: 4001, message: "Authorization status unavailable!" }]
    })
    expect(sim.tokens).toHaveLength(0)
    sim.faults.clear()
    sim.faults.add({ path: "/v1.1/customer/get", fault: { kind: "status", status: 502 } })
    const v11 = await call(sim, V11_GET, {})
    expect([v11.status, v11.body.response.status.code]).toEqual([502, 502])
  })

  it("status can carry a custom body and headers", async () => {
    sim.faults.add({
      path: TOKEN_PATH,
      fault: {
        kind: "status",
        status: 500,
        body: "<html>oops</html>",
        headers: { "content-type": "text/html" }
      }
    })
    const res = await postToken(sim, CREDS)
    expect([res.status, res.headers.get("content-type"), await res.text()]).toEqual([
      500,
      "text/html",
      "<html>oops</html>"
    ])
  })

  it("rate-limit answers 429 with Retry-After", async () => {
    sim.faults.add({ path: TOKEN_PATH, fault: { kind: "rate-limit", retryAfterSeconds: 7 } })
    const res = await postToken(sim, CREDS)
    expect(res.status).toBe(429)
    expect(res.headers.get("retry-after")).toBe("7")
    expect(((await res.json()) as any).errors[0].code).toBe(429)
  })

  it("no-response holds the socket: the client's own timeout fires", async () => {
    sim.faults.add({ path: TOKEN_PATH, fault: { kind: "no-response" } })
    const err = await postToken(sim, CREDS, { signal: AbortSignal.timeout(300) }).catch((e: Error) => e)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).name).toBe("TimeoutError")
    expect(sim.requests.at(-1)).toMatchObject({ status: 0, fault: "no-response" })
    expect(sim.stats().apiRequests[`POST ${TOKEN_PATH} -> no-response`]).toBe(1)
  })

  it("reset destroys the socket: fetch fails with a network error", async () => {
    sim.faults.add({ path: TOKEN_PATH, fault: { kind: "reset" }, times: 1 })
    await expect(postToken(sim, CREDS)).rejects.toThrow(TypeError)
    expect(sim.tokens).toHaveLength(0)
    expect((await postToken(sim, CREDS)).status).toBe(200)
  })

  it("reset after processing records the write but loses the answer", async () => {
    const token = await tokenFor(sim)
    sim.faults.add({ path: "/v1.1/customer/add", fault: { kind: "reset", phase: "after" }, times: 1 })
    await expect(
      call(sim, V11_ADD, oauth(token), { method: "POST", body: v11AddBody("9600") })
    ).rejects.toThrow()
    expect(sim.writes).toHaveLength(1)
  })

  it("malformed-json answers a complete body that JSON.parse rejects (request processed)", async () => {
    sim.faults.add({ path: TOKEN_PATH, fault: { kind: "malformed-json" } })
    const res = await postToken(sim, CREDS)
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(() => JSON.parse(text)).toThrow(SyntaxError)
    expect(text).toContain("accessToken")
    expect(sim.tokens).toHaveLength(1)
  })

  it("truncated-json answers half the JSON with a consistent Content-Length", async () => {
    sim.faults.add({ path: TOKEN_PATH, fault: { kind: "truncated-json" } })
    const res = await postToken(sim, CREDS)
    const text = await res.text()
    expect(() => JSON.parse(text)).toThrow(SyntaxError)
    expect(text.startsWith('{"data":{"accessToken":"')).toBe(true)
    expect(Number(res.headers.get("content-length"))).toBe(text.length)
  })

  it("wrong-content-type keeps the body but changes the Content-Type", async () => {
    sim.faults.add({ path: TOKEN_PATH, fault: { kind: "wrong-content-type" } })
    const res = await postToken(sim, CREDS)
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8")
    expect(((await res.json()) as any).data.accessToken).toBeTruthy()
  })

  it("matches the path without query, honours times and method, first added wins", async () => {
    sim.faults.add({ path: "/v1.1/customer/get", method: "POST", fault: { kind: "status", status: 500 } })
    sim.faults.add({ path: "/v1.1/customer/get", fault: { kind: "status", status: 502 }, times: 2 })
    sim.faults.add({ path: "/v1.1/customer/get", fault: { kind: "status", status: 503 } })
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await call(sim, V11_GET, {})).status)
    expect(statuses).toEqual([502, 502, 503, 503])
    expect(sim.faults.list().map((f) => f.hits)).toEqual([0, 2, 2])
    sim.faults.clear()
    expect((await call(sim, V11_GET, {})).status).toBe(401)
  })

  it("'*' matches every path; remove(id) drops one rule", async () => {
    const id = sim.faults.add({ path: "*", fault: { kind: "status", status: 503 } })
    expect((await call(sim, "/v2/customers/1", {})).status).toBe(503)
    sim.faults.remove(id)
    expect((await call(sim, "/v2/customers/1", {})).status).toBe(401)
  })

  it("validates rules", () => {
    expect(() => sim.faults.add({ path: "*", fault: { kind: "reset" }, probability: 2 })).toThrow(RangeError)
    expect(() => sim.faults.add({ path: "*", fault: { kind: "reset" }, times: -1 })).toThrow(RangeError)
  })
})

describe("seeded fault probability", () => {
  const sequence = async (seed: number): Promise<number[]> => {
    const sim = await startSimulator({ sharedKey: true, seed })
    try {
      const fault: Fault = { kind: "status", status: 503 }
      sim.faults.add({ path: "/v2/customers/1", fault, probability: 0.5 })
      const out: number[] = []
      for (let i = 0; i < 24; i++) out.push((await call(sim, "/v2/customers/1", {})).status)
      return out
    } finally {
      await sim.close()
    }
  }

  it("gives the same fault sequence for the same seed, a mix of both outcomes, another for another seed", async () => {
    const a = await sequence(42)
    const b = await sequence(42)
    const c = await sequence(43)
    expect(a).toEqual(b)
    expect(a).toContain(503)
    expect(a).toContain(401)
    expect(c).not.toEqual(a)
  })
})
