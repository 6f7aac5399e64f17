/**
 * The browser test bench: the testkit simulator (the API, on its own origin, with CORS), and a node:http
 * server on another port serving a test page, the esbuild-bundled workers and the Node `TokenBroker`, plus
 * one headless Chromium. Broker requests are counted on the broker's side.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { createCapillaryClient } from "@capauth/node"
import * as TokenBroker from "@capauth/node/TokenBroker"
import { SAMPLE_CLIENT, type Simulator, startSimulator } from "@capauth/testkit"
import * as esbuild from "esbuild"
import { type Browser, chromium } from "playwright-core"

export const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic"
]

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: chromiumArgs })

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/** Bundle entries for the browser (ESM), in memory. */
export const bundle = async (
  entries: Record<string, string>,
  minify = false
): Promise<Map<string, string>> => {
  const result = await esbuild.build({
    entryPoints: entries,
    bundle: true,
    // Workspace packages from their TypeScript sources (the "@capauth/source" export condition).
    conditions: ["@capauth/source", "module"],
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify,
    write: false,
    outdir: "/out",
    logLevel: "silent"
  })
  return new Map(result.outputFiles.map((f) => [`/${f.path.slice("/out/".length)}`, f.text]))
}

export const pageHtml = `<!doctype html><meta charset="utf-8"><title>capauth test</title>
<script type="module" src="/page.js"></script>`

export interface Bench {
  readonly sim: Simulator
  /** The test server's origin (page, workers, broker). */
  readonly origin: string
  /** Broker requests answered, counted by the broker's route. */
  readonly brokerRequests: () => number
  /** Broker requests that reported a refused token (by fingerprint). */
  readonly renewRequests: () => number
  readonly browser: Browser
  /** Every token the simulator issued so far. */
  readonly tokenValues: () => Array<string>
  readonly close: () => Promise<void>
}

/** The real `TokenBroker` over `createCapillaryClient`, as an app would mount it. */
const makeBroker = (sim: Simulator) => {
  const cap = createCapillaryClient({
    baseUrl: sim.url,
    credentials: { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }
  })
  const broker = TokenBroker.make({
    client: cap,
    authorize: (request) => request.headers.get("x-test-deny") !== "1"
  })
  return { broker, cap }
}

export const startBench = async (): Promise<Bench> => {
  const [sim, files, browser] = await Promise.all([
    startSimulator({ port: 0, clock: "real" }),
    bundle({
      worker: here("../src/worker.ts"),
      "shared-worker": here("../src/shared-worker.ts"),
      "provider-worker": here("./fixtures/provider-worker.ts"),
      page: here("./fixtures/page.ts")
    }),
    launchChromium()
  ])
  const { broker, cap } = makeBroker(sim)
  let brokerCount = 0
  let renewCount = 0
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://x").pathname
    if (path === "/broker") {
      brokerCount++
      if (req.headers[TokenBroker.rejectedTokenHeader] !== undefined) renewCount++
      return broker.node(req, res)
    }
    const js = files.get(path)
    if (js !== undefined) {
      res.writeHead(200, { "content-type": "text/javascript", "cache-control": "no-store" })
      return res.end(js)
    }
    if (path === "/") {
      res.writeHead(200, { "content-type": "text/html" })
      return res.end(pageHtml)
    }
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    sim,
    origin,
    browser,
    brokerRequests: () => brokerCount,
    renewRequests: () => renewCount,
    tokenValues: () => sim.tokens.map((t) => t.token),
    close: async () => {
      await browser.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await cap.close()
      await sim.close()
    }
  }
}
