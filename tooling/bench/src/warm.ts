/**
 * 1. Warm throughput: every variant against the raw API server (its own process), token already cached.
 * Rounds are interleaved (each round runs every variant once, in a rotated order) and each round's figures are
 * divided by the baseline's in that same round; the table gives the median ratio and the range over rounds.
 */
import { measure, type Run } from "./measure.ts"
import type { Section, Settings } from "./report.ts"
import { ratio, ratioAgainst, type Spread, spread, table } from "./stats.ts"
import { type Client, type Shape, shapeLabel, shapes, warmVariants } from "./variants.ts"

interface Plan {
  readonly requests: number
  readonly concurrency: number
}

const plans = (smoke: boolean): Record<Shape, Plan> =>
  smoke
    ? {
        small: { requests: 200, concurrency: 32 },
        big: { requests: 8, concurrency: 8 },
        ndjson: { requests: 32, concurrency: 16 }
      }
    : {
        small: { requests: 3000, concurrency: 32 },
        big: { requests: 150, concurrency: 8 },
        ndjson: { requests: 600, concurrency: 16 }
      }

const paths: Record<Shape, string> = { small: "/small", big: "/big", ndjson: "/ndjson" }

interface WarmFigures {
  readonly rps: Spread
  readonly cpu: Spread
  readonly p50: Spread
  readonly p99: Spread
  readonly failures: number
}

/** Ratios per round of `runs[name]` to `runs[base]`. */
const ratios = (runs: Map<string, Array<Run>>, name: string, base: string): WarmFigures => {
  const a = runs.get(name) ?? []
  const b = runs.get(base) ?? []
  const per = (f: (r: Run) => number) => spread(a.map((r, i) => f(r) / f(b[i]!)))
  return {
    rps: per((r) => r.reqPerSec),
    cpu: per((r) => r.cpuMicros),
    p50: per((r) => r.p50),
    p99: per((r) => r.p99),
    failures: a.reduce((n, r) => n + r.failures, 0)
  }
}

const runWarmShape = async (
  clients: ReadonlyArray<[string, Client]>,
  shape: Shape,
  rounds: number,
  plan: Plan
): Promise<Map<string, Array<Run>>> => {
  const runs = new Map<string, Array<Run>>(clients.map(([name]) => [name, []]))
  const path = paths[shape]
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < clients.length; k++) {
      const [name, client] = clients[(k + round) % clients.length]!
      const warmup = Math.max(8, Math.min(300, plan.requests >> 3))
      runs
        .get(name)!
        .push(await measure(plan.requests, plan.concurrency, () => client.call(path, shape), warmup))
    }
  }
  return runs
}

/** A summary row: a ratio's median against its goal's bound. */
const againstGoal = (figure: string, s: Spread, op: ">=" | "<=", bound: number) => ({
  figure,
  value: ratioAgainst(s, bound),
  goal: `${op} ${bound.toFixed(2)}x`,
  met: op === ">=" ? s.median >= bound : s.median <= bound
})

export const warm = async (base: string, settings: Settings): Promise<Section> => {
  // Ten shorter rounds rather than six longer ones: on a shared 2-core machine a run's neighbours come and go,
  // and the median of more rounds moves less from one bench run to the next.
  const rounds = settings.smoke ? 1 : 10
  const plan = plans(settings.smoke)
  const parts: Array<string> = []
  const headlines: Section["headlines"][number][] = []
  const clients: Array<[string, Client]> = []
  for (const v of warmVariants) clients.push([v.name, await v.make(base)])
  for (const shape of shapes) {
    const p = plan[shape]
    const runs = await runWarmShape(clients, shape, rounds, p)
    const raw = runs.get("raw fetch")!
    const rows = warmVariants.map((v) => {
      const f = ratios(runs, v.name, "raw fetch")
      const vsEffect = v.name === "capauth Effect" ? ratio(ratios(runs, v.name, "Effect HttpClient").rps) : ""
      const cpuVsEffect =
        v.name === "capauth Effect" ? ratio(ratios(runs, v.name, "Effect HttpClient").cpu) : ""
      return [
        v.name,
        ratio(f.rps),
        ratio(f.cpu),
        ratio(f.p50),
        ratio(f.p99),
        vsEffect,
        cpuVsEffect,
        String(f.failures)
      ]
    })
    const rawRps = raw.map((r) => r.reqPerSec)
    const rawCpu = raw.map((r) => r.cpuMicros)
    parts.push(
      `#### ${shapeLabel[shape]} (${p.requests} requests x ${p.concurrency} concurrent, ${rounds} interleaved rounds; raw fetch: median ${Math.round(spread(rawRps).median)} req/s, ${spread(rawCpu).median.toFixed(0)} µs CPU/request)\n\n` +
        table(
          [
            "variant",
            "req/s vs raw fetch",
            "CPU/req vs raw",
            "p50 vs raw",
            "p99 vs raw",
            "req/s vs Effect HttpClient",
            "CPU vs Effect HttpClient",
            "failed"
          ],
          rows
        )
    )
    const fetchF = ratios(runs, "capauth fetch", "raw fetch")
    const effectF = ratios(runs, "capauth Effect", "Effect HttpClient")
    headlines.push(
      againstGoal(`facade (cap.fetch) req/s vs raw fetch, ${shapeLabel[shape]}`, fetchF.rps, ">=", 1.0),
      againstGoal(
        `facade (cap.fetch) CPU/request vs raw fetch, ${shapeLabel[shape]}`,
        fetchF.cpu,
        "<=",
        1.02
      ),
      againstGoal(
        `Effect middleware req/s vs bare Effect HttpClient, ${shapeLabel[shape]}`,
        effectF.rps,
        ">=",
        0.98
      )
    )
  }
  for (const [, c] of clients) await c.close()
  return {
    title: "1. Warm path",
    markdown: `Every figure is a ratio to raw \`fetch\` with a static header in the same round (median and range of the rounds). CPU is the client process's user + system time per request (the server runs in its own process). The 498-in-body check is on for every JSON answer of the facades.\n\n${parts.join("\n\n")}`,
    headlines
  }
}
