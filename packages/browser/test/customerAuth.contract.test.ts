/**
 * The end-customer auth contract (`@capauth/testkit/contract`) run against `createCustomerAuth` of
 * `@capauth/browser` in real headless Chromium: the scenarios run in the page (fixtures/customer-auth-page.ts,
 * bundled with esbuild), one vitest test per scenario, in the contract's order. Each scenario's simulator runs
 * here in Node, started at the page's request (fixtures/remote-simulator.ts); the client talks to its Auth
 * Engine and gateway across origins, with CORS. In the page, `inspect` is fixtures/inspect.ts and
 * `node:assert/strict` is fixtures/assert.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { inspect } from "node:util"
import { type Simulator, startSimulator } from "@capauth/testkit"
import { customerAuthContract } from "@capauth/testkit/contract"
import * as esbuild from "esbuild"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { launchChromium, pageHtml } from "./harness.ts"

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/** The scenarios' names, in order, as the contract declares them (the page declares the same ones). */
const names: Array<string> = []
customerAuthContract({
  test: (name) => void names.push(name),
  createCustomerAuth: () => {
    throw new Error("only the names are read here")
  },
  reveal: String,
  inspect: (value) => inspect(value)
})

/** The page: only the contract's module from the testkit, with the simulator and `node:assert` swapped. */
const bundlePage = async (): Promise<string> => {
  const swaps: Record<string, string> = {
    "@capauth/testkit/contract": here("../../testkit/src/contract/customer-auth.ts"),
    "node:assert/strict": here("./fixtures/assert.ts")
  }
  const result = await esbuild.build({
    entryPoints: [here("./fixtures/customer-auth-page.ts")],
    bundle: true,
    conditions: ["@capauth/source", "module"],
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
    plugins: [
      {
        name: "swap",
        setup(build) {
          build.onResolve({ filter: /^(@capauth\/testkit\/contract|node:assert\/strict)$/ }, (args) => ({
            path: swaps[args.path] as string
          }))
          build.onResolve({ filter: /^\.\.\/simulator\.ts$/ }, (args) =>
            args.importer.endsWith("customer-auth.ts")
              ? { path: here("./fixtures/remote-simulator.ts") }
              : undefined
          )
        }
      }
    ]
  })
  return result.outputFiles[0]?.text ?? ""
}

const read = async (req: IncomingMessage): Promise<string> => {
  let body = ""
  for await (const chunk of req) body += chunk
  return body
}

let server: Server
let browser: Browser
let page: Page
let origin: string
const sims = new Map<string, Simulator>()
let nextSim = 0

/** The page's origin: the page, and the simulators it starts and reads. */
const handle = async (req: IncomingMessage, res: ServerResponse, js: string) => {
  const send = (status: number, body?: unknown) => {
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" })
    res.end(body === undefined ? "" : JSON.stringify(body))
  }
  const path = new URL(req.url ?? "/", "http://x").pathname
  if (path === "/") {
    res.writeHead(200, { "content-type": "text/html" })
    return res.end(pageHtml)
  }
  if (path === "/page.js") {
    res.writeHead(200, { "content-type": "text/javascript" })
    return res.end(js)
  }
  if (path === "/sim" && req.method === "POST") {
    const { authEngine } = JSON.parse(await read(req)) as { authEngine?: object }
    const sim = await startSimulator({ port: 0, ...(authEngine ? { authEngine } : {}) })
    const id = String(++nextSim)
    sims.set(id, sim)
    const { url, authEngineUrl, authEngineGatewayUrl } = sim
    return send(200, { id, url, authEngineUrl, authEngineGatewayUrl })
  }
  const match = /^\/sim\/(\d+)\/(.+)$/.exec(path)
  const sim = match ? sims.get(match[1] as string) : undefined
  if (match === null || sim === undefined) return send(404)
  switch (match[2]) {
    case "requests":
      return send(200, sim.requests)
    case "auth-engine/requests":
      return send(200, sim.authEngine.requests)
    case "auth-engine/tokens":
      return send(200, sim.authEngine.tokens)
    case "auth-engine/stats":
      return send(200, sim.authEngine.stats())
    case "control": {
      const { name, args } = JSON.parse(await read(req)) as { name: string; args: Array<string> }
      if (name === "expireTokens") sim.authEngine.expireTokens()
      else if (name === "expireSessions") sim.authEngine.expireSessions()
      else if (name === "revokeKey") sim.authEngine.revokeKey(args[0] as string)
      else return send(400)
      return send(200, null)
    }
    case "close":
      sims.delete(match[1] as string)
      await sim.close()
      return send(200, null)
  }
  return send(404)
}

beforeAll(async () => {
  const [js, launched] = await Promise.all([bundlePage(), launchChromium()])
  browser = launched
  server = createServer((req, res) => {
    handle(req, res, js).catch((e: unknown) => {
      res.writeHead(500).end(String(e))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  page = await browser.newPage()
  await page.goto(`${origin}/`)
  await page.waitForFunction(() => "contract" in globalThis)
}, 30_000)

afterAll(async () => {
  await browser?.close()
  for (const sim of sims.values()) await sim.close()
  server?.closeAllConnections()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
})

declare const contract: {
  readonly names: () => Array<string>
  readonly run: (name: string) => Promise<{ readonly ok: boolean; readonly error?: string }>
}

describe("the end-customer auth contract (@capauth/testkit/contract) in Chromium", () => {
  it("the page declares the same scenarios, in the same order", async () => {
    expect(names.length).toBeGreaterThanOrEqual(10)
    expect(await page.evaluate(() => contract.names())).toEqual(names)
  })

  it.each(names)(
    "%s",
    async (name) => {
      const result = await page.evaluate((n) => contract.run(n), name)
      expect(result.error).toBeUndefined()
      expect(result.ok).toBe(true)
      expect(sims.size).toBe(0) // the scenario closed its simulator
    },
    30_000
  )
})
