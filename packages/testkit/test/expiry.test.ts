import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { formatExpiry } from "../src/auth.ts"
import { DEFAULT_MANUAL_EPOCH } from "../src/defaults.ts"
import { type Simulator, startSimulator } from "../src/index.ts"
import { call, oauth, tokenFor, V11_GET } from "./helpers.ts"

describe("token expiry on the manual clock", () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await startSimulator({ clock: "manual", clients: [{ key: "k", secret: "s", ttlSeconds: 60 }] })
  })
  afterAll(() => sim.close())
  beforeEach(() => sim.reset())

  it("starts the manual clock at the fixed epoch", () => {
    expect(DEFAULT_MANUAL_EPOCH).toBe(Date.parse("2024-01-01T00:00:00.000Z"))
    expect(sim.clock.kind).toBe("manual")
  })

  it("serves until now >= exp, then answers HTTP 498 with 'Token expired at <exp>' (http-498)", async () => {
    const token = await tokenFor(sim, "k", "s")
    const exp = sim.tokens.at(-1)!.exp * 1000
    sim.clock.set(exp - 1)
    expect((await call(sim, V11_GET, oauth(token))).status).toBe(200)
    sim.clock.advance(1)
    const { status, body } = await call(sim, V11_GET, oauth(token))
    expect(status).toBe(498)
    expect(body.response.status).toEqual({
      success: false,
      code: 498,
      message: `Token expired at ${formatExpiry(exp)}`
    })
    expect(body.response.status.message).toMatch(
      /^Token expired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0530$/
    )
  })

  it("signals expiry as HTTP 200 + string '498' (body-string)", async () => {
    const token = await tokenFor(sim, "k", "s")
    sim.setExpirySignal("body-string")
    sim.clock.advance(60_000)
    const { status, body } = await call(sim, V11_GET, oauth(token))
    expect(status).toBe(200)
    expect(body.response.status.code).toBe("498")
  })

  it("signals expiry as HTTP 200 + number 498 (body-number), in the v2 and v3 envelopes too", async () => {
    const token = await tokenFor(sim, "k", "s")
    sim.setExpirySignal("body-number")
    sim.clock.advance(61_000)
    const v11 = await call(sim, V11_GET, oauth(token))
    expect([v11.status, v11.body.response.status.code]).toEqual([200, 498])
    const v2 = await call(sim, "/v2/customers/1", oauth(token))
    expect([v2.status, v2.body.errors[0].code]).toEqual([200, 498])
    const v3 = await call(sim, "/v3/customers/1", oauth(token))
    expect([v3.status, v3.body.errors[0].code, v3.body.data]).toEqual([200, 498, null])
  })

  it("expireAllTokens expires every token issued so far, not later ones", async () => {
    const before = await tokenFor(sim, "k", "s")
    sim.expireAllTokens()
    const after = await tokenFor(sim, "k", "s")
    expect((await call(sim, V11_GET, oauth(before))).status).toBe(498)
    expect((await call(sim, V11_GET, oauth(after))).status).toBe(200)
  })

  it("restores the configured expiry signal on reset", async () => {
    sim.setExpirySignal("body-string")
    sim.reset()
    const token = await tokenFor(sim, "k", "s")
    sim.clock.advance(60_000)
    expect((await call(sim, V11_GET, oauth(token))).status).toBe(498)
  })
})

describe("clock options", () => {
  it("honours startTime and the expirySignal option", async () => {
    const sim = await startSimulator({
      clock: "manual",
      startTime: 1_000_000_000_000,
      expirySignal: "body-string"
    })
    try {
      const token = await tokenFor(sim)
      expect(sim.tokens[0]!.iat).toBe(1_000_000_000)
      sim.clock.advance(3600_000)
      const { status, body } = await call(sim, V11_GET, oauth(token))
      expect([status, body.response.status.code]).toEqual([200, "498"])
    } finally {
      await sim.close()
    }
  })

  it("refuses to advance a real clock", async () => {
    const sim = await startSimulator()
    try {
      expect(sim.clock.kind).toBe("real")
      expect(() => sim.clock.advance(1000)).toThrow(/real/)
      expect(Math.abs(sim.clock.now() - Date.now())).toBeLessThan(1000)
    } finally {
      await sim.close()
    }
  })
})
