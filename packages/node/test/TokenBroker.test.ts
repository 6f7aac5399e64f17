import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { SAMPLE_CLIENT, type Simulator, startSimulator } from "@capauth/testkit"
import { brokerContract } from "@capauth/testkit/contract"
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

describe("TokenBroker contract (fetch-style handler)", () => {
  brokerContract({ test: it, createClient: createCapillaryClient, makeBroker: TokenBroker.make })
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
