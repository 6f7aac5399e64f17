/**
 * Start the sample's web demo against the simulator, click through it in headless Chromium and save a
 * screenshot to test/__screenshots__/web-demo.png (for the README and a human look).
 * Run: pnpm --filter @capauth/browser exec tsx scripts/screenshot.ts
 */
import { fileURLToPath } from "node:url"
import { SAMPLE_CLIENT, startSimulator } from "@capauth/testkit"
import { startWebDemo } from "../../../apps/sample/src/web/server.ts"
import { launchChromium } from "../test/harness.ts"

const sim = await startSimulator({ port: 0, clock: "real" })
const demo = await startWebDemo({
  baseUrl: sim.url,
  credentials: { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }
})
const browser = await launchChromium()
try {
  const page = await browser.newPage({ viewport: { width: 920, height: 760 } })
  await page.goto(demo.url)
  await page.waitForFunction(() => document.getElementById("token")?.textContent?.startsWith("expires"))
  for (const id of ["get", "add", "burst"]) {
    await page.click(`#${id}`)
    await page.waitForFunction(() => !(document.getElementById("get") as HTMLButtonElement).disabled)
  }
  const log = (await page.locator("#log").textContent()) ?? ""
  const broker = await page.locator("#broker").textContent()
  console.log(`log entries: ${await page.locator("#log li").count()}, broker requests: ${broker}`)
  if (!log.includes("200") || broker !== "1") throw new Error(`unexpected demo state:\n${log}`)
  const path = fileURLToPath(new URL("../test/__screenshots__/web-demo.png", import.meta.url))
  await page.screenshot({ path, type: "png" })
  console.log(`saved ${path}`)
} finally {
  await browser.close()
  await demo.close()
  await sim.close()
}
