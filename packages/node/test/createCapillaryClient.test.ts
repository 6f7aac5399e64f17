import { inspect } from "node:util"
import {
  basicAuthorization,
  SAMPLE_CLIENT,
  SAMPLE_TILL,
  type Simulator,
  startSimulator
} from "@capauth/testkit"
import * as Redacted from "effect/Redacted"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { type CapillaryPromiseClient, createCapillaryClient } from "../src/index.ts"

let sim: Simulator
const open: Array<CapillaryPromiseClient> = []
const credentials = { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }

beforeAll(async () => {
  sim = await startSimulator({ port: 0 })
})
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()))
  sim.faults.clear()
  sim.setExpirySignal("http-498")
})
afterAll(async () => {
  await sim.close()
})

const client = (extra: Partial<Parameters<typeof createCapillaryClient>[0] & object> = {}) => {
  const cap = createCapillaryClient({ baseUrl: sim.url, credentials, ...extra })
  open.push(cap)
  return cap
}
const tokenRequests = () => sim.stats().tokenRequestsTotal
const lastRequest = (path: string) => [...sim.requests].reverse().find((r) => r.path === path)
const addBody = (mobile: string) => JSON.stringify({ root: { customer: [{ mobile }] } })

describe("createCapillaryClient: the facade over real HTTP", () => {
  it("fetch returns a standard Response with the OAuth header and default attribution", async () => {
    const cap = client({ attribution: { type: "TILL", code: "store.till1" } })
    const response = await cap.fetch("/v2/customers/1")
    expect(response).toBeInstanceOf(Response)
    expect(response.status).toBe(200)
    expect((await response.json()).id).toBe(1)
    const seen = lastRequest("/v2/customers/1")
    expect(sim.tokens.map((t) => t.token)).toContain(seen?.headers["x-cap-api-oauth-token"])
    expect(seen?.headers["x-cap-api-attribution-entity-code"]).toBe("store.till1")
  })

  it("ky is rooted at the base URL", async () => {
    const cap = client()
    const customer = await cap.ky.get("v2/customers/1").json<{ id: number }>()
    expect(customer.id).toBe(1)
  })

  it("a per-request attribution reaches the simulator (fetch and ky)", async () => {
    const cap = client({ attribution: { type: "TILL", code: "store.till1" } })
    const response = await cap.fetch("/v1.1/customer/add?format=json", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: addBody("919000000001"),
      attribution: { type: "TILL", code: "store.till2" }
    })
    expect(response.status).toBe(200)
    expect(sim.writes.at(-1)?.attribution).toEqual({ type: "TILL", code: "store.till2" })
    await cap.ky.post("v2/customers", {
      json: { profiles: [{ identifiers: [{ type: "mobile", value: "919000000002" }] }] },
      attribution: { type: "STORE_CODE", code: "store1" }
    })
    expect(sim.writes.at(-1)?.attribution).toEqual({ type: "STORE_CODE", code: "store1" })
    // Without an override, the default applies.
    await cap.fetch("/v1.1/customer/add?format=json", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: addBody("919000000003")
    })
    expect(sim.writes.at(-1)?.attribution).toEqual({ type: "TILL", code: "store.till1" })
  })

  it("headers() is a plain object with the token and attribution", async () => {
    const cap = client()
    const headers = await cap.headers({ attribution: { type: "STORE_CODE", code: "store2" } })
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype)
    expect(sim.tokens.map((t) => t.token)).toContain(headers["x-cap-api-oauth-token"])
    expect(headers["x-cap-api-attribution-entity-type"]).toBe("STORE_CODE")
    expect(headers["x-cap-api-attribution-entity-code"]).toBe("store2")
  })

  it("token() gives expiresAt, claims and a redacted value", async () => {
    const cap = client()
    const info = await cap.token()
    const issued = sim.tokens.at(-1)
    expect(info.expiresAt).toBeInstanceOf(Date)
    // expiresAt is reckoned from when the request was sent (not the server's clock), so within a second of exp.
    expect(Math.abs(info.expiresAt.getTime() - (issued?.exp ?? 0) * 1000)).toBeLessThanOrEqual(1000)
    expect(info.claims).toMatchObject({ exp: issued?.exp, iat: issued?.iat })
    expect(info.remainingMillis).toBeGreaterThan(3_500_000)
    expect(Redacted.value(info.value)).toBe(issued?.token)
    expect(inspect(info)).not.toContain(issued?.token)
    expect(JSON.stringify(info)).not.toContain(issued?.token)
  })

  it("neither the secret nor the token shows in util.inspect / JSON.stringify of the client", async () => {
    const cap = client()
    await cap.fetch("/v2/customers/1")
    const token = sim.tokens.at(-1)?.token ?? "missing"
    for (const shown of [inspect(cap, { depth: 10, showHidden: true }), JSON.stringify(cap) ?? ""]) {
      expect(shown).not.toContain(SAMPLE_CLIENT.secret)
      expect(shown).not.toContain(token)
    }
  })

  it("200 concurrent calls share one token request", async () => {
    const before = tokenRequests()
    const cap = client()
    const responses = await Promise.all(Array.from({ length: 200 }, () => cap.fetch("/v2/customers/1")))
    expect(responses.every((r) => r.status === 200)).toBe(true)
    expect(tokenRequests() - before).toBe(1)
  })

  const v11 = "/v1.1/customer/get?format=json&mobile=919876543210"
  const recoversOnce = async (path: string) => {
    const before = tokenRequests()
    const cap = client()
    expect((await cap.fetch(path)).status).toBe(200)
    sim.expireAllTokens()
    const response = await cap.fetch(path)
    expect(response.status).toBe(200)
    return { body: await response.json(), tokenRequests: tokenRequests() - before }
  }

  for (const signal of ["http-498", "body-string", "body-number"] as const) {
    it(`recovers once from an expired token signalled as ${signal} (v1.1)`, async () => {
      sim.setExpirySignal(signal)
      const { body, tokenRequests } = await recoversOnce(v11)
      // The body is still readable after the 498 check, and it is the real answer.
      expect(body.response.customers.customer[0].mobile).toBe("919876543210")
      expect(tokenRequests).toBe(2)
    })
  }

  it("recovers once from an HTTP 498 on a v2 resource", async () => {
    const { body, tokenRequests } = await recoversOnce("/v2/customers/1")
    expect(body.id).toBe(1)
    expect(tokenRequests).toBe(2)
  })

  // v2 puts the code in `errors[0].code`: a 498 there (HTTP 200) is recovered like the v1.1 one.
  for (const signal of ["body-string", "body-number"] as const) {
    it(`recovers once from an expired token signalled as ${signal} (v2 envelope)`, async () => {
      sim.setExpirySignal(signal)
      const { body, tokenRequests } = await recoversOnce("/v2/customers/1")
      expect(body.id).toBe(1)
      expect(tokenRequests).toBe(2)
    })
  }

  it("rejects with TokenExpired (tag + request id) when a fresh token is refused as expired again", async () => {
    const cap = client()
    await cap.fetch("/v2/customers/1")
    const before = tokenRequests()
    sim.faults.add({ path: "/v2/customers/1", fault: { kind: "status", status: 498 }, times: 2 })
    const error = await cap.fetch("/v2/customers/1").then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({ _tag: "TokenExpired", status: 498 })
    expect((error as { requestId?: string }).requestId).toBe(lastRequest("/v2/customers/1")?.requestId)
    expect(tokenRequests() - before).toBe(1)
  })

  it("rejects with InvalidCredentials on a bad secret, without the secret in the error", async () => {
    const cap = client({ credentials: { key: SAMPLE_CLIENT.key, secret: "not-the-secret" } })
    const error = await cap.fetch("/v2/customers/1").then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({ _tag: "InvalidCredentials" })
    expect((error as { requestId?: string }).requestId).toBe(
      lastRequest("/v3/oauth/token/generate")?.requestId
    )
    expect(inspect(error)).not.toContain("not-the-secret")
    expect(JSON.stringify(error)).not.toContain("not-the-secret")
    await expect(cap.ky.get("v2/customers/1").json()).rejects.toMatchObject({ _tag: "InvalidCredentials" })
  })

  it("Basic till auth sends the documented Authorization value", async () => {
    const cap = client({ credentials: { till: SAMPLE_TILL.id, password: SAMPLE_TILL.password ?? "" } })
    const before = tokenRequests()
    const response = await cap.fetch("/v2/customers/1")
    expect(response.status).toBe(200)
    const expected = basicAuthorization("store.server", "server123")
    expect(expected).toBe("Basic c3RvcmUuc2VydmVyOjhhMTZhNmI3MDUwNWViMWYxZmY3Y2RjMGNkNTU1OWE3")
    expect(lastRequest("/v2/customers/1")?.headers.authorization).toBe(expected)
    expect(tokenRequests()).toBe(before)
  })

  it("returns a standard Response whose body reads in any form after the expiry check", async () => {
    const cap = client()
    const first = await cap.fetch("/v2/customers/1")
    expect(first).toBeInstanceOf(Response)
    expect(first.url).toBe(`${sim.url}/v2/customers/1`)
    expect(first.headers.get("content-type")).toMatch(/json/)
    expect(first.bodyUsed).toBe(false)
    const copy = first.clone()
    expect(((await first.json()) as { id: number }).id).toBe(1)
    expect(first.bodyUsed).toBe(true)
    await expect(first.text()).rejects.toThrow(TypeError)
    expect(JSON.parse(await copy.text()).id).toBe(1)
    const second = await cap.fetch("/v2/customers/1")
    expect(JSON.parse(await new Response(second.body).text()).id).toBe(1)
    const third = await cap.fetch("/v2/customers/1")
    expect(JSON.parse(new TextDecoder().decode(await third.arrayBuffer())).id).toBe(1)
  })

  it("close() is idempotent; a closed client refuses token() and every call, warm or cold", async () => {
    const cap = client()
    await cap.fetch("/v2/customers/1")
    await cap.close()
    await cap.close()
    await expect(cap.token()).rejects.toMatchObject({ _tag: "ConfigError" })
    await expect(cap.fetch("/v2/customers/1")).rejects.toMatchObject({ _tag: "ConfigError" })
    await expect(cap.headers()).rejects.toMatchObject({ _tag: "ConfigError" })
    const cold = client()
    await cold.close()
    await expect(cold.fetch("/v2/customers/1")).rejects.toMatchObject({ _tag: "ConfigError" })
  })
})
