/**
 * Headless Chromium for the sample's browser runs (the screenshot script, the Capture page test), found as the
 * browser tests find it (packages/browser/test/harness.ts): `$CHROMIUM_PATH`, else Debian's /usr/bin/chromium
 * (packages/browser/scripts/ensure-chromium.sh installs it), driven by playwright-core, which never downloads a
 * browser.
 */
import { type Browser, chromium } from "playwright-core"

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

export const chromiumPath = (): string => process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs })
