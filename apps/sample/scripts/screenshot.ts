/**
 * Start the web demo against the simulator, click through it in headless Chromium and save a screenshot to
 * packages/browser/test/__screenshots__/web-demo.png (shown in @capauth/browser's README), or to the path given
 * as the first argument.
 * Run: pnpm --filter @capauth/sample exec tsx scripts/screenshot.ts [out.png]
 *
 * Chromium is found as the browser tests find it (packages/browser/test/harness.ts): `$CHROMIUM_PATH`, else
 * Debian's /usr/bin/chromium (packages/browser/scripts/ensure-chromium.sh installs it), driven by
 * playwright-core, which never downloads a browser.
 */
import { resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { SAMPLE_CLIENT, startSimulator } from "@capauth/testkit"
import { chromium } from "playwright-core"
import { startWebDemo } from "../src/web/server.ts"

const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic"
]

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
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: chromiumArgs
})
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
