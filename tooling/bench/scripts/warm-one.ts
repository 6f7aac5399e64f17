/**
 * Some warm-path variants on one answer shape, for a quick look while working:
 *   tsx --conditions=@capauth/source scripts/warm-one.ts <small|big|ndjson> <requests> <rounds> [variant,...]
 */
import { spawnChild } from "../src/child.ts"
import { measure, type Run } from "../src/measure.ts"
import { ratio, spread } from "../src/stats.ts"
import { type Shape, warmVariants } from "../src/variants.ts"

const [shape, requests, rounds, names] = process.argv.slice(2) as [Shape, string, string, string | undefined]
const chosen =
  names === undefined
    ? warmVariants
    : warmVariants.filter((v) => v.name === "raw fetch" || names.split(",").includes(v.name))
const raw = await spawnChild("servers/raw.ts")
const base = `http://127.0.0.1:${(raw.ready as { port: number }).port}`
const clients = await Promise.all(chosen.map(async (v) => [v.name, await v.make(base)] as const))
const runs = new Map<string, Array<Run>>(clients.map(([n]) => [n, []]))
const path = shape === "small" ? "/small" : shape === "big" ? "/big" : "/ndjson"
for (let round = 0; round < Number(rounds); round++)
  for (let k = 0; k < clients.length; k++) {
    const [name, client] = clients[(k + round) % clients.length]!
    runs
      .get(name)!
      .push(await measure(Number(requests), shape === "big" ? 8 : 32, () => client.call(path, shape), 100))
  }
const base0 = runs.get("raw fetch")!
for (const [name, rs] of runs)
  console.log(
    name.padEnd(34),
    "req/s",
    ratio(spread(rs.map((r, i) => r.reqPerSec / base0[i]!.reqPerSec))),
    "cpu",
    ratio(spread(rs.map((r, i) => r.cpuMicros / base0[i]!.cpuMicros))),
    `${Math.round(spread(rs.map((r) => r.cpuMicros)).median)} µs`
  )
await raw.stop()
process.exit()
