// Calls the Worker (argv[2]: its origin) and checks the answers against the simulator's own counters
// (argv[3]: the simulator's JSON line, see ../shared/simulator.mjs). Prints one summary line.
const [worker, line] = process.argv.slice(2)
const sim = JSON.parse(line)
const check = (ok, message) => {
  if (!ok) throw new Error(message)
}
const control = async (path) =>
  (await fetch(sim.control + path, { method: path === "/stats" ? "GET" : "POST" })).json()
const callWorker = async () => {
  const response = await fetch(`${worker}/customer?mobile=${sim.mobile}`, {
    signal: AbortSignal.timeout(20_000)
  })
  const text = await response.text()
  check(response.status === 200, `the Worker answered ${response.status}: ${text}`)
  const answer = JSON.parse(text)
  check(answer.status === 200, `the simulator answered ${answer.status} through the Worker: ${text}`)
  check(answer.body?.response?.customers?.customer?.[0]?.mobile === sim.mobile, `unexpected answer ${text}`)
  return answer
}

const first = await callWorker()
await callWorker()
const warm = await control("/stats")
check(warm.tokenRequestsTotal === 1, `expected 1 token request, got ${warm.tokenRequestsTotal}`)
await control("/expire") // the stored token now answers 498: renewed, and the call replayed once
await callWorker()
const renewed = await control("/stats")
check(renewed.tokenRequestsTotal === 2, `expected 2 token requests, got ${renewed.tokenRequestsTotal}`)
check(
  renewed.apiRequests["GET /v1.1/customer/get -> 498"] === 1,
  `expected one 498 then a replay, got ${JSON.stringify(renewed.apiRequests)}`
)
console.log(
  `${first.runtime}: 2 calls 200 on 1 token request; an expired token renewed and replayed once in a later request`
)
