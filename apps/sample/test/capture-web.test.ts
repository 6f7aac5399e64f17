/**
 * The Capture page of `sample web` in real headless Chromium, against a real simulator: the browser calls
 * `entity.create` itself with a creation token from the page's server, a second use is refused, the signed-in
 * session stays on the server, and nothing the browser received or holds contains a secret or a session token
 * (checked by the page's own audit, and independently here from everything Playwright saw on the wire).
 */
import {
  SAMPLE_CAPTURE_CLIENT,
  SAMPLE_CAPTURE_USER,
  SAMPLE_CLIENT,
  type Simulator,
  startSimulator
} from "@capauth/testkit"
import type { Browser } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { launchChromium } from "../scripts/chromium.ts"
import { startWebDemo, type WebDemo } from "../src/web/server.ts"

const captureSecret = SAMPLE_CAPTURE_CLIENT.clientSecret
const basicCredentials = btoa(`${SAMPLE_CAPTURE_CLIENT.clientId}:${captureSecret}`)

describe("Capture page in headless Chromium", { timeout: 50_000 }, () => {
  let sim: Simulator
  let demo: WebDemo
  let browser: Browser
  beforeAll(async () => {
    sim = await startSimulator({ port: 0 })
    demo = await startWebDemo({
      baseUrl: sim.url,
      credentials: { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret },
      capture: {
        baseUrl: sim.captureUrl,
        clientId: SAMPLE_CAPTURE_CLIENT.clientId,
        clientSecret: captureSecret,
        uuid: SAMPLE_CAPTURE_USER.uuid
      }
    })
    browser = await launchChromium()
  }, 30_000)
  afterAll(async () => {
    await browser?.close()
    await demo?.close()
    await sim?.close()
  })

  it("creates a record from the browser with a single-use creation token; the session stays on the server; 0 secret hits", async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    // Everything that crossed the wire to or from the page, as Playwright saw it.
    const wire: string[] = []
    page.on("request", (request) => {
      wire.push(
        `${request.method()} ${request.url()}\n${JSON.stringify(request.headers())}\n${request.postData() ?? ""}`
      )
    })
    page.on("response", async (response) => {
      const body = await response.text().catch(() => "")
      wire.push(
        `${response.status()} ${response.url()}\n${JSON.stringify(await response.allHeaders())}\n${body}`
      )
    })
    page.on("console", (message) => void wire.push(message.text()))
    const state = () => page.evaluate(() => document.body.dataset.state)
    const text = async (id: string) => (await page.locator(`#${id}`).textContent()) ?? ""
    const hits = () =>
      page.$$eval("#hits dt", (dts) =>
        dts.map((dt) => [dt.textContent, (dt.nextElementSibling as HTMLElement).dataset.hits])
      )

    const origin = new URL(demo.url).origin
    await page.goto(`${origin}/capture.html`)
    await page.waitForFunction(() => ["done", "failed"].includes(document.body.dataset.state ?? ""), null, {
      timeout: 20_000
    })
    expect(await state()).toBe("done")

    // entity.create from the browser, cross-origin to the simulator, with the creation token only.
    const uuid = /created uuid (\S+)/.exec(await text("create-result"))?.[1]
    const write = sim.capture.writes.find((w) => w.operation === "entity.create" && w.uuid === uuid)
    expect(write?.principal).toBe(`creation_token:${SAMPLE_CAPTURE_CLIENT.clientId}`)
    const sent = sim.requests.find((r) => r.path === "/capture/entity.create")
    expect(sent?.headers.origin).toBe(origin) // the browser's own request (CORS), not one relayed by the server
    expect(sent?.headers.authorization).toBeUndefined()
    expect(await text("second-use")).toContain("refused: 417 creation_token_expired")
    expect(sim.capture.stats().operations["/entity.create -> 417"]).toBe(1)
    expect(await hits()).toEqual([
      ["Capture client secret", "0"],
      ["Capillary client secret", "0"]
    ])
    expect(await text("session")).toBe("not signed in")

    // Sign in: code exchange on the server, session behind an HttpOnly cookie.
    await page.click("#sign-in")
    await page.waitForFunction(
      () =>
        document.body.dataset.state === "failed" ||
        (document.body.dataset.state === "done" &&
          (document.getElementById("session")?.textContent ?? "").startsWith("✓")),
      null,
      { timeout: 20_000 }
    )
    expect(await state()).toBe("done")
    expect(await text("profile")).toContain(
      `Sample User · sample.user@example.com · uuid ${SAMPLE_CAPTURE_USER.uuid}`
    )
    expect(await hits()).toEqual([
      ["Capture client secret", "0"],
      ["Capillary client secret", "0"],
      ["Capture access token", "0"],
      ["Capture refresh token", "0"]
    ])
    const cookie = (await context.cookies()).find((c) => c.name === "capauth_capture_session")
    expect(cookie?.httpOnly).toBe(true)
    expect(await page.evaluate(() => document.cookie)).not.toContain("capauth_capture_session")
    expect(sim.capture.stats().tokenRequests.authorization_code).toBe(1)

    // Independently: no secret and no session token anywhere the browser could have seen one.
    const held = await page.evaluate(() =>
      JSON.stringify([
        document.documentElement.outerHTML,
        document.cookie,
        Object.entries(localStorage),
        Object.entries(sessionStorage)
      ])
    )
    const everything = [...wire, held].join("\n")
    expect(wire.length).toBeGreaterThan(10)
    const needles = [
      captureSecret,
      basicCredentials,
      SAMPLE_CLIENT.secret,
      ...sim.capture.tokens.flatMap((t) => [t.accessToken, t.refreshToken])
    ]
    expect(sim.capture.tokens.length).toBeGreaterThan(0)
    for (const needle of needles) expect(everything.includes(needle), needle.slice(0, 4)).toBe(false)
    await context.close()
  })
})
