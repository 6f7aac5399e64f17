/**
 * Start the web demo against the simulator, click through it in headless Chromium and save a screenshot to
 * packages/browser/test/__screenshots__/web-demo.png (shown in @capauth/browser's README), or to the path given
 * as the first argument.
 * Run: pnpm --filter @capauth/sample exec tsx scripts/screenshot.ts [out.png]
 *
 * Chromium: see ./chromium.ts.
 */
import { resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { SAMPLE_CLIENT, startSimulator } from "@capauth/testkit"
import { startWebDemo } from "../src/web/server.ts"
import { launchChromium } from "./chromium.ts"

const out = process.argv[2]
const path =
  out === undefined
    ? fileURLToPath(new URL("../../../packages/browser/test/__screenshots__/web-demo.png", import.meta.url))
    : resolve(out)

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
  await page.screenshot({ path, type: "png" })
  console.log(`saved ${path}`)
} finally {
  await browser.close()
  await demo.close()
  await sim.close()
}
