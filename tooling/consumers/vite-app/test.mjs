// The built app (dist/) served with the Node TokenBroker over the testkit simulator, in headless Chromium:
// a tab on the dedicated worker, then two tabs sharing the SharedWorker. Each must get a real 200 from the
// simulator's API, the two shared tabs with one broker request between them, and no page may ever see a token.
// Run after `vite build`: node test.mjs
import { readFile } from "node:fs/promises"
import { createServer } from "node:http"
import { extname } from "node:path"
import { createCapillaryClient, TokenBroker } from "@capauth/node"
import { SAMPLE_CLIENT, SAMPLE_CUSTOMER, startSimulator } from "@capauth/testkit"
import { chromium } from "playwright-core"

const watchdog = setTimeout(() => {
  console.error("vite-app: timed out after 90 s")
  process.exit(1)
}, 90_000)
watchdog.unref()

const failures = []
const check = (ok, what) => {
  if (!ok) failures.push(what)
}

const sim = await startSimulator({ port: 0, clock: "real" })
const cap = createCapillaryClient({
  baseUrl: sim.url,
  credentials: { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }
})
// The app's session check: the cookie its index.html set (HttpOnly, so the page's scripts cannot read it).
const session = "session=vite-app-fixture"
const broker = TokenBroker.make({
  client: cap,
  authorize: (request) => request.headers.get("cookie")?.includes(session) ?? false
})

const dist = new URL("./dist/", import.meta.url)
const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css" }
let brokerRequests = 0
const server = createServer(async (req, res) => {
  const path = new URL(req.url ?? "/", "http://x").pathname
  if (path === "/capillary/token") {
    brokerRequests++
    return broker.node(req, res)
  }
  const file = path === "/" ? "index.html" : path.slice(1)
  if (file.includes("..") || !(file === "index.html" || file.startsWith("assets/"))) {
    return res.writeHead(404).end()
  }
  try {
    const body = await readFile(new URL(file, dist))
    const headers = {
      "content-type": types[extname(file)] ?? "application/octet-stream",
      "cache-control": "no-store"
    }
    if (file === "index.html") headers["set-cookie"] = `${session}; Path=/; HttpOnly; SameSite=Strict`
    res.writeHead(200, headers).end(body)
  } catch {
    res.writeHead(404).end()
  }
})
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))
const origin = `http://127.0.0.1:${server.address().port}`

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic"
  ]
})
const context = await browser.newContext() // one context: its tabs share the SharedWorker, as a user's do
// Before the app's code: record every message any worker sends the page, as text (bodies decoded).
await context.addInitScript(() => {
  const received = []
  for (const proto of [Worker.prototype, MessagePort.prototype]) {
    const original = proto.addEventListener
    proto.addEventListener = function (type, listener, options) {
      if (type !== "message" || typeof listener !== "function")
        return original.call(this, type, listener, options)
      return original.call(
        this,
        type,
        function (event) {
          received.push(event.data)
          return listener.call(this, event)
        },
        options
      )
    }
  }
  globalThis.__received = () =>
    JSON.stringify(received, (_key, value) =>
      value instanceof ArrayBuffer ? new TextDecoder().decode(value) : value
    )
})

const pageErrors = []
const openTab = async (worker) => {
  const page = await context.newPage()
  page.on("pageerror", (error) => pageErrors.push(`${worker}: ${error.message}`))
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(`${worker}: console: ${message.text()}`)
  })
  const query = new URLSearchParams({ worker, api: sim.url, mobile: SAMPLE_CUSTOMER.mobile })
  await page.goto(`${origin}/?${query}`)
  await page.waitForFunction(() => globalThis.app !== undefined, undefined, { timeout: 30_000 })
  // What the page holds: the app's own result, the DOM, its storage and cookies, every worker message.
  const seen = await page.evaluate(() => ({
    app: globalThis.app,
    received: globalThis.__received(),
    everything: JSON.stringify({
      app: globalThis.app,
      received: globalThis.__received(),
      html: document.documentElement.outerHTML,
      cookie: document.cookie,
      local: { ...localStorage },
      session: { ...sessionStorage }
    })
  }))
  return { page, ...seen }
}

const customerCalls = () =>
  sim.requests.filter(
    (r) => r.path === "/v1.1/customer/get" && r.headers.origin === origin && r.status === 200
  ).length

let summary = ""
try {
  // 1. A tab on the dedicated worker.
  const dedicated = await openTab("dedicated")
  check(dedicated.app.error === undefined, `dedicated: the page got an error: ${dedicated.app.error}`)
  check(dedicated.app.status === 200, `dedicated: status ${dedicated.app.status}, expected 200`)
  check(dedicated.app.body?.includes(SAMPLE_CUSTOMER.mobile), "dedicated: the body lacks the sample customer")
  check(brokerRequests === 1, `dedicated: ${brokerRequests} broker requests, expected 1`)
  check(
    customerCalls() === 1,
    `dedicated: ${customerCalls()} customer/get calls from the page's origin, expected 1`
  )
  const afterDedicated = brokerRequests

  // 2. Two tabs at once on the SharedWorker: one token manager, one broker request.
  const shared = await Promise.all([openTab("shared"), openTab("shared")])
  shared.forEach(({ app }, i) => {
    check(app.error === undefined, `shared tab ${i + 1}: the page got an error: ${app.error}`)
    check(app.status === 200, `shared tab ${i + 1}: status ${app.status}, expected 200`)
    check(
      app.body?.includes(SAMPLE_CUSTOMER.mobile),
      `shared tab ${i + 1}: the body lacks the sample customer`
    )
  })
  const sharedBroker = brokerRequests - afterDedicated
  check(sharedBroker === 1, `shared: ${sharedBroker} broker requests for two tabs, expected 1`)
  check(
    shared[0].app.info?.obtainedAt === shared[1].app.info?.obtainedAt,
    "shared: the two tabs report different tokens (obtainedAt differs)"
  )
  check(
    customerCalls() === 3,
    `shared: ${customerCalls()} customer/get calls from the page's origin, expected 3`
  )

  // 3. No page ever saw a token: not in its result, DOM, storage, cookies or any worker message.
  const tokens = sim.tokens.map((t) => t.token)
  check(tokens.length > 0, "the simulator issued no token")
  for (const [name, tab] of [
    ["dedicated", dedicated],
    ["shared 1", shared[0]],
    ["shared 2", shared[1]]
  ]) {
    check(tab.received.includes(SAMPLE_CUSTOMER.mobile), `${name}: the message spy saw no response`)
    for (const token of tokens) check(!tab.everything.includes(token), `${name}: a token reached the page`)
  }

  // 4. The broker refuses a caller without the app's session.
  const refused = await fetch(`${origin}/capillary/token`, { method: "POST" })
  check(refused.status === 403, `broker without a session: ${refused.status}, expected 403`)

  check(pageErrors.length === 0, `errors in the pages: ${pageErrors.join(" | ")}`)
  summary = `dedicated worker 200 (1 broker request), SharedWorker 2 tabs 200 (${sharedBroker} broker request), no token in any page`
} catch (error) {
  failures.push(`${error?.stack ?? error}`)
  if (pageErrors.length > 0) failures.push(`errors in the pages: ${pageErrors.join(" | ")}`)
} finally {
  await browser.close()
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  await cap.close()
  await sim.close()
}

if (failures.length > 0) {
  for (const failure of failures) console.error(`vite-app: ${failure}`)
  process.exit(1)
}
console.log(summary)
