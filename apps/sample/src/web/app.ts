/** The demo page: buttons that call the API through the SharedWorker, and a log of what came back. */
import { connect } from "@capauth/browser/Connection"

interface DemoSettings {
  readonly baseUrl: string
  readonly mobile: string
}

const $ = (id: string) => document.getElementById(id) as HTMLElement
const settings = (await (await fetch("/demo/settings")).json()) as DemoSettings
$("api").textContent = settings.baseUrl

const worker = new SharedWorker("/capauth-shared-worker.js", { type: "module", name: "capauth-demo" })
const cap = connect(worker, { config: { baseUrl: settings.baseUrl, brokerUrl: "/capillary/token" } })

const log = (html: string) => {
  const li = document.createElement("li")
  li.innerHTML = html
  $("log").prepend(li)
}
const esc = (s: string) => s.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c] ?? c)
const time = (ms: number) => new Date(ms).toLocaleTimeString()

const showToken = async () => {
  const info = await cap.tokenInfo()
  const left = Math.round((info.expiresAt - Date.now()) / 1000)
  $("token").textContent =
    `expires ${time(info.expiresAt)} (in ${left} s), refresh from ${time(info.refreshAt)}`
  const stats = (await (await fetch("/demo/stats")).json()) as { brokerRequests: number }
  $("broker").textContent = String(stats.brokerRequests)
}

const call = async (label: string, path: string, init?: Parameters<typeof cap.fetch>[1]) => {
  try {
    const res = await cap.fetch(path, init)
    const body = await res.text()
    const cls = res.ok ? "ok" : "bad"
    log(
      `<span class="status ${cls}">${res.status}</span> ${esc(label)}\n${esc(body.length > 180 ? `${body.slice(0, 180)}…` : body)}`
    )
  } catch (error) {
    const e = error as { _tag?: string; message: string }
    log(`<span class="status bad">${esc(e._tag ?? "Error")}</span> ${esc(label)}: ${esc(e.message)}`)
  }
}

cap.onEvent((event) => {
  const detail =
    event._tag === "Fetched"
      ? ` expires ${time(event.expiresAt)}${event.ahead ? " (refreshed ahead)" : ""}`
      : ""
  log(`<span class="event">token ${event._tag}${detail}</span>`)
})

const buttons = ["get", "add", "burst"].map($) as Array<HTMLButtonElement>
const busy = async (work: () => Promise<unknown>) => {
  for (const b of buttons) b.disabled = true
  try {
    await work()
    await showToken()
  } finally {
    for (const b of buttons) b.disabled = false
  }
}

$("get").onclick = () =>
  busy(() => call("GET customer", `/v1.1/customer/get?format=json&mobile=${settings.mobile}`))
$("add").onclick = () =>
  busy(() => {
    const mobile = `9190${String(Date.now()).slice(-8)}`
    return call(`POST add customer ${mobile}`, "/v1.1/customer/add?format=json", {
      method: "POST",
      body: JSON.stringify({ root: { customer: [{ mobile, firstname: "Web", lastname: "Demo" }] } })
    })
  })
$("burst").onclick = () =>
  busy(() =>
    Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(`burst #${i + 1}`, `/v1.1/customer/get?format=json&mobile=${settings.mobile}`)
      )
    )
  )
$("clear").onclick = () => {
  $("log").replaceChildren()
}

cap.ready.then(showToken, (error: Error) => log(`<span class="status bad">init</span> ${esc(error.message)}`))
