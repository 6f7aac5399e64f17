/** The Deno facade on the real Deno binary (packages/deno/scripts/deno.sh), against the raw server. */
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import type { Section, Settings } from "./report.ts"
import { ratio, spread, table } from "./stats.ts"

const root = fileURLToPath(new URL("../../../", import.meta.url))

export const deno = async (base: string, settings: Settings): Promise<Section> => {
  const requests = settings.smoke ? 500 : 6000
  const rounds = settings.smoke ? 1 : 5
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(
      "bash",
      [
        `${root}packages/deno/scripts/deno.sh`,
        "run",
        "--no-check",
        `--config=${root}packages/deno/deno.json`,
        "--allow-net=127.0.0.1",
        "--allow-env",
        `${root}tooling/bench/deno/warm.ts`,
        base,
        String(requests),
        String(rounds)
      ],
      { maxBuffer: 1 << 20, timeout: 240_000 },
      (error, out, err) => (error ? reject(new Error(`deno failed: ${err.slice(-500)}`)) : resolve(out))
    )
  )
  const { deno: version, runs } = JSON.parse(stdout.trim().split("\n").pop()!) as {
    deno: string
    runs: Record<string, Array<{ reqPerSec: number; cpuMicros: number }>>
  }
  const raw = runs["raw fetch"]!
  const cap = runs["capauth fetch"]!
  const rps = spread(cap.map((r, i) => r.reqPerSec / raw[i]!.reqPerSec))
  const cpu = spread(cap.map((r, i) => r.cpuMicros / raw[i]!.cpuMicros))
  return {
    title: "1b. Warm path on Deno",
    markdown: `Deno ${version} (packages/deno/scripts/deno.sh), small JSON from the raw server, ${requests} requests x 32 concurrent, ${rounds} interleaved rounds; raw fetch median ${Math.round(spread(raw.map((r) => r.reqPerSec)).median)} req/s.\n\n${table(
      ["variant", "req/s vs raw fetch", "CPU/req vs raw fetch"],
      [["capauth fetch (@capauth/deno)", ratio(rps), ratio(cpu)]]
    )}`,
    headlines: [
      {
        figure: "Deno facade req/s vs raw fetch on Deno, small JSON",
        value: ratio(rps),
        goal: ">= 1.00x",
        met: rps.median >= 1
      },
      {
        figure: "Deno facade CPU/request vs raw fetch on Deno, small JSON",
        value: ratio(cpu),
        goal: "<= 1.02x",
        met: cpu.median <= 1.02
      }
    ]
  }
}
