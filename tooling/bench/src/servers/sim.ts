/**
 * The testkit simulator in a child process, driven over IPC: stats, expiring every token, signal modes, faults.
 */
import { startSimulator } from "@capauth/testkit"
import { serveIpc } from "../child.ts"

const ttlSeconds = Number(process.argv[2] ?? 3600)
const sim = await startSimulator({
  clients: [{ key: "bench-key", secret: "bench-secret", ttlSeconds }],
  maxLogEntries: 1000,
  sharedKey: true
})
serveIpc((m) => {
  switch (m.type) {
    case "stats": {
      const s = sim.stats()
      return { tokenRequests: s.tokenRequestsTotal }
    }
    case "expireAll":
      return sim.expireAllTokens()
    case "expirySignal":
      return sim.setExpirySignal(m.mode as "http-498")
    case "tokenLatency":
      sim.faults.clear()
      if (Number(m.ms) > 0)
        sim.faults.add({ path: "/v3/oauth/token/generate", fault: { kind: "latency", ms: Number(m.ms) } })
      return undefined
    default:
      throw new Error(`unknown message ${String(m.type)}`)
  }
})
process.send?.({ url: sim.url })
