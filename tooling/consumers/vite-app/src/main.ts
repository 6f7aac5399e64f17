/**
 * The app: Capillary calls through a token worker, the way packages/browser/README.md tells a Vite user to.
 * `?worker=shared` uses the SharedWorker (every tab shares one token), otherwise a dedicated worker.
 * `?api=` and `?mobile=` come from the fixture's test server (the simulator's URL, its sample customer).
 */
import { connect } from "@capauth/browser/Connection"

const params = new URLSearchParams(location.search)
const config = {
  baseUrl: params.get("api") ?? "https://eu.api.capillarytech.com",
  brokerUrl: "/capillary/token" // your server's TokenBroker (@capauth/node)
}

const worker =
  params.get("worker") === "shared"
    ? new SharedWorker(new URL("./capauth-shared-worker.ts", import.meta.url), {
        type: "module",
        name: "capauth"
      })
    : new Worker(new URL("./capauth-worker.ts", import.meta.url), { type: "module" })
const cap = connect(worker, { config })

const events: Array<string> = []
cap.onEvent((event) => events.push(event._tag))

const out = document.getElementById("out")!
try {
  const res = await cap.fetch(`/v1.1/customer/get?format=json&mobile=${params.get("mobile") ?? ""}`)
  const body = await res.text()
  const info = await cap.tokenInfo()
  out.textContent = `${res.status}\n${body}`
  Object.assign(globalThis, {
    app: { status: res.status, body, headers: [...res.headers], info, events, error: undefined }
  })
} catch (error) {
  out.textContent = String(error)
  Object.assign(globalThis, { app: { error: String(error), events } })
}
