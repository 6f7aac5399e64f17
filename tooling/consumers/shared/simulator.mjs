// The testkit simulator for fixtures whose runtime does not run it (a Bun script, a workerd Worker): run by plain
// node from $CAPAUTH_WORK, so `@capauth/testkit` is the packed tarball. Prints one JSON line
// {url, control, key, secret, mobile}, then serves until SIGTERM. The control server (127.0.0.1, port 0) lets the
// fixture assert on the simulator's own counters: GET /stats -> sim.stats(); POST /expire -> sim.expireAllTokens()
// (every token issued so far now answers 498), then the stats.
import { createServer } from "node:http"
import { SAMPLE_CLIENT, SAMPLE_CUSTOMER, startSimulator } from "@capauth/testkit"

const sim = await startSimulator({ port: 0 })
const control = createServer((request, response) => {
  if (request.method === "POST" && request.url === "/expire") sim.expireAllTokens()
  else if (request.method !== "GET" || request.url !== "/stats") return void response.writeHead(404).end()
  response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(sim.stats()))
})
await new Promise((resolve) => control.listen(0, "127.0.0.1", resolve))
const { port } = /** @type {import("node:net").AddressInfo} */ (control.address())
console.log(
  JSON.stringify({
    url: sim.url,
    control: `http://127.0.0.1:${port}`,
    key: SAMPLE_CLIENT.key,
    secret: SAMPLE_CLIENT.secret,
    mobile: SAMPLE_CUSTOMER.mobile
  })
)
const stop = () => {
  control.close()
  sim.close().then(
    () => process.exit(0),
    () => process.exit(1)
  )
}
process.once("SIGTERM", stop)
process.once("SIGINT", stop)
