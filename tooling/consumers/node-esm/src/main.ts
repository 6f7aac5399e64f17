// A team's service in the workspace: `"@capauth/node": "workspace:*"`, compiled by tsc, run by plain node.
// It sees capauth's built dist/ (no source condition) exactly as a published install would.
import { type CapillaryPromiseClient, createCapillaryClient, InvalidCredentials } from "@capauth/node"
import { SAMPLE_CLIENT, SAMPLE_CUSTOMER, startSimulator } from "@capauth/testkit"

const sim = await startSimulator({ port: 0 })
const cap: CapillaryPromiseClient = createCapillaryClient({
  baseUrl: sim.url,
  credentials: { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }
})
try {
  const path = `/v1.1/customer/get?format=json&mobile=${SAMPLE_CUSTOMER.mobile}`
  const [a, b] = await Promise.all([cap.fetch(path), cap.ky.get(path.slice(1)).json<{ response: unknown }>()])
  if (a.status !== 200) throw new Error(`expected 200, got ${a.status}`)
  if (b.response === undefined) throw new Error("ky: no envelope")
  const tokenRequests = sim.stats().tokenRequestsTotal
  if (tokenRequests !== 1) throw new Error(`expected 1 token request, got ${tokenRequests}`)
  const wrong = createCapillaryClient({
    baseUrl: sim.url,
    credentials: { key: SAMPLE_CLIENT.key, secret: "wrong" }
  })
  const error = await wrong.fetch(path).catch((e: unknown) => e)
  await wrong.close()
  if (!(error instanceof InvalidCredentials)) throw new Error("expected a typed InvalidCredentials")
  console.log(`consumer node-esm: ok (node ${process.versions.node}; 2 calls, 1 token request, typed error)`)
} finally {
  await cap.close()
  await sim.close()
}
