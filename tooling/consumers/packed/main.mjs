// The packed tarballs, installed with npm into an empty folder outside the workspace: what a team gets from the
// registry. Plain node, no TypeScript, nothing past the packages' public exports.
import { createCapillaryClient, TokenBroker, TokenExpired } from "@capauth/node"
import { SAMPLE_CLIENT, SAMPLE_CUSTOMER, startSimulator } from "@capauth/testkit"
import { brokerContract } from "@capauth/testkit/contract"

if (typeof brokerContract !== "function") throw new Error("@capauth/testkit/contract is not exported")
const sim = await startSimulator({ port: 0 })
const cap = createCapillaryClient({
  baseUrl: sim.url,
  credentials: { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }
})
try {
  const path = `/v1.1/customer/get?format=json&mobile=${SAMPLE_CUSTOMER.mobile}`
  const responses = await Promise.all(Array.from({ length: 20 }, () => cap.fetch(path)))
  if (!responses.every((r) => r.status === 200)) throw new Error("expected 20 x 200")
  if (sim.stats().tokenRequestsTotal !== 1) throw new Error("expected one token request for 20 cold calls")
  const broker = TokenBroker.make({ client: cap, authorize: () => true })
  const handed = await broker.fetch(new Request("http://app.local/token"))
  if (handed.status !== 200 || handed.headers.get("cache-control") !== "no-store") throw new Error("broker")
  if (typeof TokenExpired !== "function") throw new Error("error classes are not exported")
  console.log(`node ${process.versions.node}: 20 calls, 1 token request, broker 200 no-store`)
} finally {
  await cap.close()
  await sim.close()
}
