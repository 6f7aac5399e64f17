// A Bun service using @capauth/node's Promise facade, as published: bun runs this TypeScript file as is (no build
// step) over the packed tarballs in $CAPAUTH_WORK. argv[2] is the simulator's JSON line (../shared/simulator.mjs).
import { createCapillaryClient } from "@capauth/node"
import { startProxy } from "@capauth/testkit/contract"

interface Sim {
  readonly url: string
  readonly control: string
  readonly key: string
  readonly secret: string
  readonly mobile: string
}
interface Stats {
  readonly tokenRequestsTotal: number
  readonly apiRequests: Readonly<Record<string, number>>
}
interface CustomerGet {
  readonly response: { readonly customers: { readonly customer: ReadonlyArray<{ readonly mobile: string }> } }
}

const check = (ok: boolean, message: string) => {
  if (!ok) throw new Error(message)
}
check(typeof process.versions.bun === "string", "this fixture must run on Bun")
const sim = JSON.parse(process.argv[2] ?? "null") as Sim
const control = async (path: "/stats" | "/expire"): Promise<Stats> =>
  (await fetch(sim.control + path, { method: path === "/stats" ? "GET" : "POST" })).json() as Promise<Stats>

const cap = createCapillaryClient({ baseUrl: sim.url, credentials: { key: sim.key, secret: sim.secret } })
const getCustomer = async () => {
  const response = await cap.fetch(`/v1.1/customer/get?format=json&mobile=${sim.mobile}`)
  check(response.status === 200, `expected 200, got ${response.status}`)
  const body = (await response.json()) as CustomerGet
  check(
    body.response.customers.customer[0]?.mobile === sim.mobile,
    `unexpected answer ${JSON.stringify(body)}`
  )
}
try {
  await getCustomer()
  await getCustomer()
  const warm = await control("/stats")
  check(warm.tokenRequestsTotal === 1, `expected 1 token request, got ${warm.tokenRequestsTotal}`)
  await control("/expire") // the cached token now answers 498: renewed, and the call replayed once
  await getCustomer()
  const renewed = await control("/stats")
  const expired = renewed.apiRequests["GET /v1.1/customer/get -> 498"] ?? 0
  check(renewed.tokenRequestsTotal === 2, `expected 2 token requests, got ${renewed.tokenRequestsTotal}`)
  check(expired === 1, `expected one 498 then a replay, got ${JSON.stringify(renewed.apiRequests)}`)
} finally {
  await cap.close()
}

// `proxy`: Bun's fetch with its `proxy` option carries the token request and the API call.
const proxy = await startProxy()
const viaProxy = createCapillaryClient({
  baseUrl: sim.url,
  credentials: { key: sim.key, secret: sim.secret },
  proxy: proxy.url
})
try {
  const response = await viaProxy.fetch(`/v1.1/customer/get?format=json&mobile=${sim.mobile}`)
  check(response.status === 200, `through the proxy: expected 200, got ${response.status}`)
  await response.arrayBuffer()
} finally {
  await viaProxy.close()
  await proxy.close()
}
const proxied = proxy.seen.map((s) => `${s.method} ${new URL(s.target).pathname}`)
check(
  JSON.stringify(proxied) === JSON.stringify(["POST /v3/oauth/token/generate", "GET /v1.1/customer/get"]),
  `through the proxy: it saw ${JSON.stringify(proxied)}`
)
console.log(
  `bun ${process.versions.bun}: 2 calls 200 on 1 token request; an expired token renewed and replayed once; ` +
    "the token request and a call through a proxy"
)
