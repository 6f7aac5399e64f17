/**
 * 4. Rollover under steady load: short-lived tokens from the simulator (its token endpoint slowed by a fixed
 * latency), steady concurrent load through the facade across several refreshes. A request that waited on a
 * token fetch takes at least that latency; the rollover window is the time around each token fetch.
 */
import { createCapillaryClient } from "@capauth/node"
import { spawnChild } from "./child.ts"
import type { Section, Settings } from "./report.ts"
import { quantile, table } from "./stats.ts"
import { credentials } from "./variants.ts"

export const rollover = async (settings: Settings): Promise<Section> => {
  // The soft window (refresh-ahead to stale: at least 10 % of the lifetime) must outlast the token fetch.
  const ttlSeconds = settings.smoke ? 4 : 5
  const seconds = settings.smoke ? 4 : 16
  const tokenLatency = settings.smoke ? 150 : 300
  const concurrency = 16
  const sim = await spawnChild("servers/sim.ts", [String(ttlSeconds)])
  const url = (sim.ready as { url: string }).url
  try {
    await sim.call({ type: "tokenLatency", ms: tokenLatency })
    const cap = createCapillaryClient({
      baseUrl: url,
      credentials,
      attribution: { type: "TILL", code: "store.till1" }
    })
    const fetches: Array<{ at: number; ahead: boolean }> = []
    cap.onEvent((e) => {
      if (e._tag === "Fetched") fetches.push({ at: performance.now(), ahead: e.ahead })
    })
    await (await cap.fetch("/v2/customers/1")).json()
    const samples: Array<[number, number]> = [] // [start, latency]
    let failures = 0
    const end = performance.now() + seconds * 1000
    const worker = async () => {
      while (performance.now() < end) {
        const t = performance.now()
        try {
          const r = await cap.fetch("/v2/customers/1")
          await r.json()
        } catch {
          failures++
        }
        samples.push([t, performance.now() - t])
      }
    }
    const started = performance.now()
    await Promise.all(Array.from({ length: concurrency }, worker))
    await cap.close()
    const during = fetches.filter((f) => f.at >= started)
    // A flight starts about `tokenLatency` before its Fetched event; the window runs to 50 ms after it.
    const inWindow = ([t, l]: [number, number]) =>
      during.some((f) => t + l >= f.at - tokenLatency - 50 && t <= f.at + 50)
    const windowed = samples
      .filter(inWindow)
      .map((s) => s[1])
      .sort((a, b) => a - b)
    const steady = samples
      .filter((s) => !inWindow(s))
      .map((s) => s[1])
      .sort((a, b) => a - b)
    const waited = samples.filter(([, l]) => l >= tokenLatency).length
    const p99w = quantile(windowed, 0.99)
    const p99s = quantile(steady, 0.99)
    const md = [
      `Tokens of ${ttlSeconds} s from the simulator, its token endpoint slowed by ${tokenLatency} ms; ${concurrency} callers in a loop for ${seconds} s through \`cap.fetch\`. A request that waited on a token fetch took at least ${tokenLatency} ms. The rollover window is each token fetch (${tokenLatency} ms before its \`Fetched\` event to 50 ms after it).`,
      "",
      table(
        ["figure", "value"],
        [
          ["requests", String(samples.length)],
          ["failed", String(failures)],
          [
            "token fetches during the load (ahead of expiry)",
            `${during.length} (${during.filter((f) => f.ahead).length})`
          ],
          [`requests that waited on a token fetch (latency >= ${tokenLatency} ms)`, String(waited)],
          ["requests in a rollover window", String(windowed.length)],
          [
            "p99 in the rollover windows / steady",
            `${p99w.toFixed(1)} ms / ${p99s.toFixed(1)} ms (${(p99w / p99s).toFixed(2)}x)`
          ]
        ]
      )
    ].join("\n")
    return {
      title: "4. Rollover under steady load",
      markdown: md,
      headlines: [
        {
          figure: "rollover: requests that waited on a token fetch",
          value: `${waited} of ${samples.length} (${during.length} refreshes)`,
          goal: "0",
          met: waited === 0 && during.length > 0
        },
        {
          figure: "rollover: p99 in the rollover window vs steady",
          value: `${(p99w / p99s).toFixed(2)}x`,
          goal: "",
          met: undefined
        }
      ]
    }
  } finally {
    await sim.stop()
  }
}
