/**
 * Profiled in its own process: one variant's warm loop on small JSON against the raw server, V8's CPU profiler
 * (what `--cpu-prof` uses) started after the warm-up and stopped at the end, so start-up is not in it.
 * argv: base variant requests out.cpuprofile
 */
import { writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { measure } from "./measure.ts"
import { warmVariants } from "./variants.ts"

const [base, name, requests, out] = process.argv.slice(2) as [string, string, string, string]
const variant = warmVariants.find((v) => v.name === name)
if (variant === undefined) throw new Error(`no variant ${name}`)
const client = await variant.make(base)
const call = () => client.call("/small", "small")
await measure(Math.min(2000, Number(requests)), 32, call, 0)
const session = new Session()
session.connect()
await session.post("Profiler.enable")
await session.post("Profiler.setSamplingInterval", { interval: 100 })
await session.post("Profiler.start")
const run = await measure(Number(requests), 32, call, 0)
const { profile } = await session.post("Profiler.stop")
writeFileSync(out, JSON.stringify(profile))
await client.close()
process.send?.(run)
process.exit()
