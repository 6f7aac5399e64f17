/**
 * The login page of `sample web` in real headless Chromium, against a real simulator's Auth Engine: the customer
 * types the mobile number, sends the OTP, reads it back from the simulator (the stand-in for the SMS), types it,
 * sees the profile fetched through the gateway; then the tokens are expired in the simulator and the profile is
 * fetched again, the token renewed behind the scenes (one regeneration). Nothing the page logs to the console
 * contains the OTP, the password, a key or a token.
 */
import {
  SAMPLE_AUTH_ENGINE_BRAND,
  SAMPLE_AUTH_ENGINE_USER,
  SAMPLE_CLIENT,
  type Simulator,
  startSimulator
} from "@capauth/testkit"
import type { Browser } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { launchChromium } from "../scripts/chromium.ts"
import { startWebDemo, type WebDemo } from "../src/web/server.ts"

const mobile = SAMPLE_AUTH_ENGINE_USER.mobile ?? "919876543210"

describe("login page in headless Chromium", { timeout: 30_000 }, () => {
  let sim: Simulator
  let demo: WebDemo
  let browser: Browser
  beforeAll(async () => {
    sim = await startSimulator({ port: 0 })
    demo = await startWebDemo({
      baseUrl: sim.url,
      credentials: { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret },
      authEngine: {
        baseUrl: sim.authEngineUrl,
        gatewayUrl: sim.authEngineGatewayUrl,
        brand: SAMPLE_AUTH_ENGINE_BRAND.name,
        mobile,
        simulator: sim.authEngine
      }
    })
    browser = await launchChromium()
  }, 30_000)
  afterAll(async () => {
    await browser?.close()
    await demo?.close()
    await sim?.close()
  })

  it("OTP sent, read, typed; profile through the gateway; renewed behind the scenes with 1 regeneration; nothing secret logged", async () => {
    const page = await browser.newPage()
    const consoleLines: string[] = []
    page.on("console", (message) => void consoleLines.push(message.text()))
    page.on("pageerror", (error) => void consoleLines.push(String(error)))
    const text = async (id: string) => (await page.locator(`#${id}`).textContent()) ?? ""
    const waitFor = (state: string) =>
      page.waitForFunction(
        (wanted) => [wanted, "failed"].includes(document.body.dataset.state ?? ""),
        state,
        { timeout: 10_000 }
      )
    const expectState = async (state: string) => {
      await waitFor(state)
      expect(await text("error")).toBe("")
      expect(await page.evaluate(() => document.body.dataset.state)).toBe(state)
    }

    await page.goto(`${new URL(demo.url).origin}/login.html`)
    await expectState("ready")
    expect(await text("auth-engine")).toBe(sim.authEngineUrl)

    await page.fill("#mobile", mobile)
    await page.click("#send-otp")
    await expectState("otp-sent")
    expect(await text("otp-status")).toContain(mobile)
    const sessionId = sim.authEngine.requests.find((r) => r.sessionId !== undefined)?.sessionId
    expect(sessionId).toBeDefined()
    const otp = sim.authEngine.otp(sessionId as string)
    expect(otp).toMatch(/^\d+$/)

    await page.click("#read-otp")
    await expectState("otp-read")
    expect(await page.inputValue("#otp")).toBe(otp)
    // The customer types what the SMS said.
    await page.fill("#otp", "")
    await page.type("#otp", otp as string)
    await page.click("#verify")
    await expectState("signed-in")
    expect(await text("profile")).toContain(mobile)
    expect(await text("profile")).toContain(SAMPLE_AUTH_ENGINE_USER.firstname ?? "Sample")
    expect(sim.authEngine.tokens.map((t) => [t.variant, t.via])).toEqual([["web", "otp"]])
    expect(sim.authEngine.stats().gatewayCalls).toEqual({ ok: 1 })

    await page.click("#renew")
    await expectState("renewed")
    expect(await text("profile-again")).toContain(mobile)
    expect(await text("regenerations")).toBe("1")
    const stats = sim.authEngine.stats()
    expect(stats.tokensRegenerated).toBe(1)
    expect(stats.gatewayCalls).toEqual({ ok: 2, "1529": 1 })
    expect(sim.authEngine.tokens.at(-1)?.via).toBe("expiredToken")

    // Nothing secret reached the console.
    const secrets = [otp as string, SAMPLE_AUTH_ENGINE_USER.password ?? "Sample@123"]
    for (const t of sim.authEngine.tokens) {
      secrets.push(t.token)
      if (t.key !== undefined) secrets.push(t.key)
    }
    expect(secrets.length).toBeGreaterThanOrEqual(4)
    const logged = consoleLines.join("\n")
    for (const secret of secrets) expect(logged.includes(secret), "a secret was logged").toBe(false)
    await page.close()
  })
})
