// Runs the testkit simulator on plain node (the packed @capauth/testkit) and one Deno program against it, then
// checks the simulator's own counters:
//   node sim.mjs <deno binary> <deno args...>   (the program gets: <simulator url> <key> <secret> <mobile>)
// The program must exit 0 within a minute; then the sample client must have asked for exactly one token and
// GET /v1.1/customer/get must have answered 200 exactly twice.
import { spawn } from "node:child_process"
import { SAMPLE_CLIENT, SAMPLE_CUSTOMER, startSimulator } from "@capauth/testkit"

const [deno, ...args] = process.argv.slice(2)
if (deno === undefined) throw new Error("usage: node sim.mjs <deno> <args...>")
const sim = await startSimulator({ port: 0 })
try {
  const program = [...args, sim.url, SAMPLE_CLIENT.key, SAMPLE_CLIENT.secret, SAMPLE_CUSTOMER.mobile]
  const child = spawn(deno, program, { stdio: ["ignore", "inherit", "inherit"] })
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000)
  const [code, signal] = await new Promise((resolve) => child.on("exit", (c, s) => resolve([c, s])))
  clearTimeout(timer)
  if (code !== 0) throw new Error(`the Deno program failed (${code ?? signal})`)
  const stats = sim.stats()
  const tokens = stats.tokenRequests[SAMPLE_CLIENT.key] ?? 0
  const calls = stats.apiRequests["GET /v1.1/customer/get -> 200"] ?? 0
  if (tokens !== 1) throw new Error(`expected 1 token request by the sample client, got ${tokens}`)
  if (calls !== 2)
    throw new Error(`expected 2 customer/get answered 200, got ${calls}: ${JSON.stringify(stats)}`)
  console.log(`simulator: ${calls} calls answered 200, ${tokens} token request`)
} finally {
  await sim.close()
}
