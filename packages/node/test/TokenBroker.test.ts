import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { AccessToken } from "@capauth/core"
import { SAMPLE_CLIENT, type Simulator, startSimulator } from "@capauth/testkit"
import { Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type CapillaryPromiseClient, createCapillaryClient, TokenBroker } from "../src/index.ts"

let sim: Simulator
let cap: CapillaryPromiseClient
let badCap: CapillaryPromiseClient
let server: Server
let nodeUrl: string

const allowHeader = (request: Request) => request.headers.get("x-app-session") === "ok"

beforeAll(async () => {
  sim = await startSimulator({ port: 0 })
  cap = createCapillaryClient({
    baseUrl: sim.url,
    credentials: { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }
  })
  badCap = createCapillaryClient({
    baseUrl: sim.url,
    credentials: { key: SAMPLE_CLIENT.key, secret: "wrong-secret" }
  })
  const broker = TokenBroker.make({ client: cap, authorize: allowHeader })
  server = createServer(broker.node)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  nodeUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/capillary/token`
})

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await cap.close()
  await badCap.close()
  await sim.close()
})

const expectNoStore = (response: Response) => {
  expect(response.headers.get("cache-control")).toBe("no-store")
  expect(response.headers.get("pragma")).toBe("no-cache")
  expect(response.headers.get("content-type")).toBe("application/json")
}

describe("TokenBroker (fetch-style)", () => {
  it("drops a token a worker reports refused (by fingerprint) only if it is still the current one", async () => {
    const client = createCapillaryClient({
      baseUrl: sim.url,
      credentials: { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }
    })
    const broker = TokenBroker.make({ client, authorize: () => true })
    const ask = async (fingerprint?: string) => {
      const headers: Record<string, string> =
        fingerprint === undefined ? {} : { [TokenBroker.rejectedTokenHeader]: fingerprint }
      const response = await broker.fetch(new Request("http://app.local/t", { method: "POST", headers }))
      return (await response.json()).data.accessToken as string
    }
    const first = await ask()
    const fingerprint = AccessToken.fingerprint(Redacted.make(first))
    expect(fingerprint).toMatch(/^[0-9a-f]{32}$/)
    expect(JSON.stringify(sim.requests.at(-1)?.headers ?? {})).not.toContain(first.slice(0, 20))
    const second = await ask(fingerprint)
    expect(second).not.toBe(first) // refused token dropped, a new one fetched
    expect(await ask(fingerprint)).toBe(second) // a stale report does not throw away the fresh token
    expect(await ask("0".repeat(32))).toBe(second)
    expect((await client.stats()).fetched).toBe(2)
    await client.close()
  })

  it("hands an authorised caller the client's token in Capillary's envelope, never the secret", async () => {
    const broker = TokenBroker.make({ client: cap, authorize: allowHeader })
    for (const method of ["GET", "POST"]) {
      const response = await broker.fetch(
        new Request("http://app.local/capillary/token", { method, headers: { "x-app-session": "ok" } })
      )
      expect(response.status).toBe(200)
      expectNoStore(response)
      const text = await response.text()
      expect(text).not.toContain(SAMPLE_CLIENT.secret)
      const body = JSON.parse(text)
      expect(body.errors).toBeNull()
      expect(Object.keys(body.data).sort()).toEqual(["accessToken", "ttlSeconds"])
      // The token handed out is the one the simulator issued to this client.
      expect(sim.tokens.map((t) => t.token)).toContain(body.data.accessToken)
      expect(Number.isInteger(body.data.ttlSeconds)).toBe(true)
      expect(body.data.ttlSeconds).toBeGreaterThan(3500)
      expect(body.data.ttlSeconds).toBeLessThanOrEqual(SAMPLE_CLIENT.ttlSeconds ?? 3600)
    }
  })

  it("refuses with 403 when authorize says no, and 500 when it throws, without a token", async () => {
    const before = sim.stats().tokenRequestsTotal
    const no = await TokenBroker.make({ client: cap, authorize: async () => false }).fetch(
      new Request("http://app.local/t")
    )
    expect(no.status).toBe(403)
    expectNoStore(no)
    expect(await no.json()).toEqual({ data: null, errors: [{ code: 403, message: expect.any(String) }] })
    const boom = await TokenBroker.make({
      client: cap,
      authorize: () => {
        throw new Error("session store down")
      }
    }).fetch(new Request("http://app.local/t"))
    expect(boom.status).toBe(500)
    expectNoStore(boom)
    const body = await boom.json()
    expect(body.data).toBeNull()
    expect(body.errors[0].code).toBe(500)
    expect(sim.stats().tokenRequestsTotal).toBe(before)
  })

  it("rejects other methods with 405", async () => {
    const broker = TokenBroker.make({ client: cap, authorize: () => true })
    const response = await broker.fetch(new Request("http://app.local/t", { method: "DELETE" }))
    expect(response.status).toBe(405)
    expect(response.headers.get("allow")).toBe("GET, POST")
    expectNoStore(response)
  })

  it("maps bad upstream credentials to 502 with the error tag, and no secret", async () => {
    const broker = TokenBroker.make({ client: badCap, authorize: () => true })
    const response = await broker.fetch(new Request("http://app.local/t"))
    expect(response.status).toBe(502)
    expectNoStore(response)
    const text = await response.text()
    expect(text).not.toContain("wrong-secret")
    const body = JSON.parse(text)
    expect(body.data).toBeNull()
    expect(body.errors[0]).toMatchObject({ code: 502, tag: "InvalidCredentials" })
  })

  it("answers 500 for a client that has no token to hand out (till Basic credentials)", async () => {
    const till = createCapillaryClient({
      baseUrl: sim.url,
      credentials: { till: "store.server", password: "server123" }
    })
    try {
      const response = await TokenBroker.make({ client: till, authorize: () => true }).fetch(
        new Request("http://app.local/t")
      )
      expect(response.status).toBe(500)
      expectNoStore(response)
      const text = await response.text()
      expect(text).not.toContain("server123")
      expect(JSON.parse(text).errors[0]).toMatchObject({ code: 500, tag: "ConfigError" })
    } finally {
      await till.close()
    }
  })

  it("maps an unreachable Capillary to 503", async () => {
    const closed = await startSimulator({ port: 0 })
    const url = closed.url
    await closed.close()
    const offline = createCapillaryClient({
      baseUrl: url,
      credentials: { key: "k", secret: "s" },
      tokenTimeoutMillis: 2000
    })
    try {
      const response = await TokenBroker.make({ client: offline, authorize: () => true }).fetch(
        new Request("http://app.local/t")
      )
      expect(response.status).toBe(503)
      expectNoStore(response)
      expect((await response.json()).errors[0].tag).toBe("TransportError")
    } finally {
      await offline.close()
    }
  })
})

describe("TokenBroker (node:http)", () => {
  it("serves an authorised GET and POST with no-store", async () => {
    for (const method of ["GET", "POST"]) {
      const response = await fetch(nodeUrl, {
        method,
        headers: { "x-app-session": "ok", "content-type": "application/json" },
        ...(method === "POST" ? { body: "{}" } : {})
      })
      expect(response.status).toBe(200)
      expectNoStore(response)
      const text = await response.text()
      expect(text).not.toContain(SAMPLE_CLIENT.secret)
      const body = JSON.parse(text)
      expect(sim.tokens.map((t) => t.token)).toContain(body.data.accessToken)
    }
  })

  it("refuses an unauthorised caller with 403", async () => {
    const response = await fetch(nodeUrl)
    expect(response.status).toBe(403)
    expectNoStore(response)
    expect((await response.json()).errors[0].code).toBe(403)
  })
})
