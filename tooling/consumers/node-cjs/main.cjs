// A CommonJS service: require() of capauth's ESM packages (Node >= 22.12 loads ES modules without top-level
// await synchronously; capauth has none).
const { createCapillaryClient, ConfigError } = require("@capauth/node")
const { SAMPLE_CLIENT, SAMPLE_CUSTOMER, startSimulator } = require("@capauth/testkit")

const main = async () => {
  const sim = await startSimulator({ port: 0 })
  const cap = createCapillaryClient({
    baseUrl: sim.url,
    credentials: { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }
  })
  try {
    const path = `/v1.1/customer/get?format=json&mobile=${SAMPLE_CUSTOMER.mobile}`
    for (let i = 0; i < 2; i++) {
      const response = await cap.fetch(path)
      if (response.status !== 200) throw new Error(`expected 200, got ${response.status}`)
      await response.json()
    }
    if (sim.stats().tokenRequestsTotal !== 1) throw new Error("expected 1 token request")
    let refused
    try {
      createCapillaryClient({ baseUrl: "ftp://nowhere", credentials: { key: "k", secret: "s" } })
    } catch (e) {
      refused = e
    }
    if (!(refused instanceof ConfigError)) throw new Error("expected a typed ConfigError at construction")
    console.log(`consumer node-cjs: ok (node ${process.versions.node}; require(), 2 calls, 1 token request)`)
  } finally {
    await cap.close()
    await sim.close()
  }
}
main().catch((error) => {
  console.error(error)
  process.exit(1)
})
