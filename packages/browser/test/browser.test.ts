/**
 * `@capauth/browser` in real headless Chromium: the token lives in a dedicated or shared worker, tokens come
 * from the Node `TokenBroker`, the API is the testkit simulator on another origin. One browser for the file.
 */
import { SAMPLE_CUSTOMER } from "@capauth/testkit"
import type { BrowserContext, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Connection } from "../src/Connection.ts"
import { type Bench, startBench } from "./harness.ts"

interface PageApi {
  readonly connect: typeof import("../src/Connection.ts").connect
  readonly dump: () => string
}
declare const capauth: PageApi
declare const cap: Connection

const customerGet = `/v1.1/customer/get?format=json&mobile=${SAMPLE_CUSTOMER.mobile}`

let bench: Bench
let context: BrowserContext // one context: its pages share SharedWorkers, as a user's tabs do

beforeAll(async () => {
  bench = await startBench()
  context = await bench.browser.newContext()
})
afterAll(async () => {
  await bench?.close()
})

const openPage = async (): Promise<Page> => {
  const page = await context.newPage()
  await page.goto(`${bench.origin}/`)
  await page.waitForFunction(() => "capauth" in globalThis)
  return page
}

/** Connect the page to a new dedicated worker, as `globalThis.cap`. */
const connectDedicated = (page: Page, script = "/worker.js") =>
  page.evaluate(
    async ({ baseUrl, script }) => {
      const connection = capauth.connect(new Worker(script, { type: "module" }), {
        config: { baseUrl, brokerUrl: "/broker" }
      })
      Object.assign(globalThis, { cap: connection })
      await connection.ready
    },
    { baseUrl: bench.sim.url, script }
  )

/** What the page received from workers must not contain any token the simulator ever issued. */
const expectNoTokenReachedThePage = async (page: Page) => {
  const received = await page.evaluate(() => capauth.dump())
  const tokens = bench.tokenValues()
  expect(tokens.length).toBeGreaterThan(0)
  expect(received).toContain(SAMPLE_CUSTOMER.mobile) // the spy did see the responses
  for (const token of tokens) expect(received).not.toContain(token)
}

describe("dedicated worker", () => {
  it("answers a page's fetch with a real Response, the token staying in the worker", async () => {
    const page = await openPage()
    const before = bench.brokerRequests()
    await connectDedicated(page)
    const out = await page.evaluate(async (path) => {
      const res = await cap.fetch(path)
      const info = await cap.tokenInfo()
      return {
        isResponse: res instanceof Response,
        status: res.status,
        contentType: res.headers.get("content-type"),
        text: await res.text(),
        info,
        now: Date.now()
      }
    }, customerGet)
    expect(out.isResponse).toBe(true)
    expect(out.status).toBe(200)
    expect(out.contentType).toContain("application/json")
    expect(out.text).toContain(SAMPLE_CUSTOMER.mobile)
    expect(Object.keys(out.info).sort()).toEqual([
      "expiresAt",
      "lifetimeMillis",
      "obtainedAt",
      "refreshAt",
      "staleAt"
    ])
    expect(out.info.expiresAt).toBeGreaterThan(out.now)
    expect(bench.brokerRequests() - before).toBe(1)
    // The worker did authenticate with a simulator-issued token.
    const last = bench.sim.requests.at(-1)
    expect(bench.tokenValues()).toContain(last?.headers["x-cap-api-oauth-token"])
    await expectNoTokenReachedThePage(page)
    await page.close()
  })

  it("20 concurrent page fetches make one broker request", async () => {
    const page = await openPage()
    const before = bench.brokerRequests()
    await connectDedicated(page)
    const statuses = await page.evaluate(
      (path) => Promise.all(Array.from({ length: 20 }, () => cap.fetch(path).then((r) => r.status))),
      customerGet
    )
    expect(statuses).toEqual(Array(20).fill(200))
    expect(bench.brokerRequests() - before).toBe(1)
    await page.close()
  })

  it("recovers once from expiry (HTTP 498, then 498 in the body) with one more broker request each", async () => {
    const page = await openPage()
    await connectDedicated(page)
    const get = () => page.evaluate((path) => cap.fetch(path).then((r) => r.status), customerGet)
    expect(await get()).toBe(200)
    try {
      for (const signal of ["http-498", "body-string"] as const) {
        bench.sim.setExpirySignal(signal)
        const before = bench.brokerRequests()
        const renewsBefore = bench.renewRequests()
        bench.sim.expireAllTokens()
        expect(await get()).toBe(200)
        expect(bench.brokerRequests() - before).toBe(1)
        expect(bench.renewRequests() - renewsBefore).toBe(1)
        expect(await get()).toBe(200) // and the new token stays in use
        expect(bench.brokerRequests() - before).toBe(1)
      }
    } finally {
      bench.sim.setExpirySignal("http-498")
    }
    await page.close()
  })

  it("sends writes with a body and a per-request attribution", async () => {
    const page = await openPage()
    await connectDedicated(page)
    const mobile = "919000000123"
    const status = await page.evaluate(
      (mobile) =>
        cap
          .fetch("/v1.1/customer/add?format=json", {
            method: "POST",
            body: JSON.stringify({ root: { customer: [{ mobile, firstname: "Web" }] } }),
            attribution: { type: "TILL", code: "store.till2" }
          })
          .then((r) => r.status),
      mobile
    )
    expect(status).toBe(200)
    expect(bench.sim.writes.at(-1)).toMatchObject({
      attribution: { type: "TILL", code: "store.till2" },
      body: { root: { customer: [{ mobile, firstname: "Web" }] } }
    })
    await page.close()
  })

  it("refuses a client secret with a typed ConfigError the page receives, without repeating it", async () => {
    const page = await openPage()
    const before = bench.brokerRequests()
    const out = await page.evaluate(async (baseUrl) => {
      const describe = (e: unknown) => {
        const error = e as Error & { _tag: string; field?: string }
        return {
          tag: error._tag,
          isError: error instanceof Error,
          field: error.field,
          message: error.message,
          json: JSON.stringify(error)
        }
      }
      const viaInit = capauth.connect(new Worker("/worker.js", { type: "module" }), {
        config: { baseUrl, brokerUrl: "/broker", credentials: { key: "k", secret: "page-secret-1" } } as never
      })
      const ready = await viaInit.ready.then(() => undefined, describe)
      const fetched = await viaInit.fetch("/v1.1/customer/get").then(() => undefined, describe)
      const query = new URLSearchParams({ baseUrl, brokerUrl: "/broker", secret: "page-secret-2" })
      const viaQuery = capauth.connect(new Worker(`/worker.js?${query}`, { type: "module" }))
      return { ready, fetched, query: await viaQuery.ready.then(() => undefined, describe) }
    }, bench.sim.url)
    expect(out.ready).toMatchObject({ tag: "ConfigError", isError: true, field: "credentials" })
    expect(out.ready?.message).toMatch(/must never be in a browser.*token broker/)
    expect(out.fetched?.tag).toBe("ConfigError")
    expect(out.query).toMatchObject({ tag: "ConfigError", field: "secret" })
    expect(JSON.stringify(out)).not.toMatch(/page-secret/)
    expect(bench.brokerRequests()).toBe(before)
    await page.close()
  })

  it("maps a broker refusal to AccessDenied and refuses paths off the API origin", async () => {
    const page = await openPage()
    const out = await page.evaluate(async (baseUrl) => {
      const tagOf = (e: unknown) => (e as { _tag: string })._tag
      const denied = capauth.connect(new Worker("/worker.js", { type: "module" }), {
        config: { baseUrl, brokerUrl: "/broker", brokerHeaders: { "x-test-deny": "1" } }
      })
      await denied.ready
      const refusal = await denied.fetch("/v1.1/customer/get").then((r) => r.status, tagOf)
      const elsewhere = await denied.fetch("https://example.com/steal").then((r) => r.status, tagOf)
      return { refusal, elsewhere }
    }, bench.sim.url)
    expect(out).toEqual({ refusal: "AccessDenied", elsewhere: "ConfigError" })
    await page.close()
  })

  it("takes tokens from a caller-supplied token provider in a custom worker", async () => {
    const page = await openPage()
    const before = bench.brokerRequests()
    await connectDedicated(page, "/provider-worker.js")
    const statuses = await page.evaluate(
      (path) => Promise.all([cap.fetch(path), cap.fetch(path)].map((p) => p.then((r) => r.status))),
      customerGet
    )
    expect(statuses).toEqual([200, 200])
    expect(bench.brokerRequests() - before).toBe(1)
    await page.close()
  })
})

describe("shared worker", () => {
  it("three pages open at once share one token: one broker request between them", async () => {
    const pages = await Promise.all([openPage(), openPage(), openPage()])
    const before = bench.brokerRequests()
    const query = new URLSearchParams({ baseUrl: bench.sim.url, brokerUrl: "/broker" }).toString()
    const statuses = await Promise.all(
      pages.map((page) =>
        page.evaluate(
          async ({ query, path }) => {
            const worker = new SharedWorker(`/shared-worker.js?${query}`, {
              type: "module",
              name: "capauth-test"
            })
            const connection = capauth.connect(worker)
            Object.assign(globalThis, { cap: connection })
            await connection.ready
            const all = await Promise.all([connection.fetch(path), connection.fetch(path)])
            return all.map((r) => r.status)
          },
          { query, path: customerGet }
        )
      )
    )
    expect(statuses).toEqual([
      [200, 200],
      [200, 200],
      [200, 200]
    ])
    expect(bench.brokerRequests() - before).toBe(1)
    for (const page of pages) await expectNoTokenReachedThePage(page)
    // A page that leaves does not disturb the others.
    await pages[0]!.evaluate(() => cap.close())
    expect(await pages[1]!.evaluate((path) => cap.fetch(path).then((r) => r.status), customerGet)).toBe(200)
    expect(bench.brokerRequests() - before).toBe(1)
    await Promise.all(pages.map((p) => p.close()))
  })
})
