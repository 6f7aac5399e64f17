/**
 * capauth's benchmarks side by side (issue #18). `pnpm bench` runs everything (bounded, under 10 minutes) and
 * writes RESULTS.md; `pnpm smoke` (`--smoke`) runs every module with small counts in well under a minute and
 * writes nothing unless `--write` is given. `--only=warm,cold` runs some modules.
 */
import { writeFileSync } from "node:fs"
import { availableParallelism, cpus, loadavg } from "node:os"
import { fileURLToPath } from "node:url"
import { fromSource, spawnChild } from "./child.ts"
import { modules } from "./modules.ts"
import type { Section } from "./report.ts"
import { table } from "./stats.ts"
import { versions } from "./versions.ts"

const args = process.argv.slice(2)
const smoke = args.includes("--smoke")
const write = args.includes("--write") || !smoke
const only = args
  .find((a) => a.startsWith("--only="))
  ?.slice("--only=".length)
  .split(",")

const started = Date.now()
const load0 = loadavg()
const raw = await spawnChild("servers/raw.ts")
const base = `http://127.0.0.1:${(raw.ready as { port: number }).port}`

const sections: Array<Section> = []
const failures: Array<string> = []
try {
  for (const m of modules) {
    if (only !== undefined && !only.includes(m.name)) continue
    const t = Date.now()
    process.stdout.write(`[bench] ${m.name}...\n`)
    try {
      const section = await m.run({ base, raw, settings: { smoke } })
      sections.push(section)
      console.log(
        `\n### ${section.title}  (${((Date.now() - t) / 1000).toFixed(1)} s)\n\n${section.markdown}\n`
      )
    } catch (e) {
      failures.push(`${m.name}: ${String((e as Error)?.stack ?? e)}`)
      console.error(`[bench] ${m.name} failed:`, e)
    }
  }
} finally {
  await raw.stop()
}

const load1 = loadavg()
const seconds = (Date.now() - started) / 1000
const headlines = sections.flatMap((s) => s.headlines)
const summary = table(
  ["figure", "this run", "goal", "met"],
  headlines.map((h) => [h.figure, h.value, h.goal, h.met === undefined ? "" : h.met ? "yes" : "**no**"])
)
console.log(`\n## Summary (${seconds.toFixed(0)} s)\n\n${summary}\n`)

if (write) {
  const v = await versions()
  const cpu = cpus()[0]?.model ?? "unknown"
  const machine = `${availableParallelism()} cores (${cpu}), ${process.platform} ${process.arch}`
  const md = [
    "# capauth benchmarks",
    "",
    `Written by \`pnpm bench\` (tooling/bench) on ${new Date().toISOString()}${smoke ? " — **smoke mode: small counts, not figures to quote**" : ""}.`,
    "",
    `- Machine: ${machine}; load average ${load0.map((l) => l.toFixed(2)).join(" / ")} (1/5/15 min) at the start, ${load1.map((l) => l.toFixed(2)).join(" / ")} at the end; the run took ${seconds.toFixed(0)} s.`,
    `- Versions: ${v}.`,
    `- capauth: ${fromSource ? "its TypeScript sources through tsx (the `@capauth/source` condition), not the figures of record" : "its built `dist/` (what a consumer installs), built by `pnpm bench` first"}.`,
    '- Method: servers (the raw API server, the testkit simulator) each run in their own process on 127.0.0.1; the clients run in the bench process, whose own CPU (user + system) is what "CPU" means. Each figure is a ratio or a count from this one run; where rounds repeat, they are interleaved (every variant once per round, order rotated) and the median is given with the range of the rounds in brackets.',
    "",
    "## Summary",
    "",
    summary,
    "",
    ...sections.flatMap((s) => [`## ${s.title}`, "", s.markdown, ""]),
    ...(failures.length > 0
      ? ["## Modules that failed", "", ...failures.map((f) => `- ${f.split("\n")[0]}`), ""]
      : [])
  ].join("\n")
  const out = fileURLToPath(new URL("../RESULTS.md", import.meta.url))
  writeFileSync(out, md)
  console.log(`wrote ${out}`)
}
// Counts that do not depend on load (one token request, no failures) fail the run; ratios only inform.
const broken = headlines.filter((h) => h.hard === true && h.met === false)
for (const h of broken) console.error(`[bench] not met: ${h.figure}: ${h.value} (goal ${h.goal})`)
if (failures.length > 0 || broken.length > 0) process.exitCode = 1
// Peers keep timers (token refresh schedules, keep-alive sockets): the run is over.
process.exit()
