/**
 * Heap growth of the facade, in its own process run with `--expose-gc`. Requests: after a warm-up (a quarter of
 * the run), `chunks` chunks of requests (32 concurrent), a full GC after each and `heapUsed` sampled; the growth
 * is the least-squares slope of heap after GC against requests, times the count asked for, and the last sample
 * minus the first.
 * Rotations: the same with each step being a token rotation (invalidate the current token, then a request,
 * which fetches a new one).  argv: base requests rotations
 */
import { createCapillaryClient } from "@capauth/node"
import { credentials } from "./variants.ts"

const [base, requestsArg, rotationsArg] = process.argv.slice(2) as [string, string, string]
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run with --expose-gc")

const heapAfterGc = () => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

const slope = (points: ReadonlyArray<[number, number]>) => {
  const n = points.length
  const mx = points.reduce((s, p) => s + p[0], 0) / n
  const my = points.reduce((s, p) => s + p[1], 0) / n
  let num = 0
  let den = 0
  for (const [x, y] of points) {
    num += (x - mx) * (y - my)
    den += (x - mx) ** 2
  }
  return num / den
}

const cap = createCapillaryClient({
  baseUrl: base,
  credentials,
  attribution: { type: "TILL", code: "store.till1" }
})
const request = async () => {
  const r = await cap.fetch("/small")
  await r.json()
}

/** `n` steps by `concurrency` callers. */
const pool = async (n: number, step: () => Promise<void>, concurrency: number) => {
  let next = 0
  const worker = async () => {
    while (next++ < n) await step()
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

const series = async (total: number, chunks: number, step: () => Promise<void>, concurrency: number) => {
  const per = Math.ceil(total / chunks)
  // Warm-up: a quarter of the run (at least one chunk), so caches, JIT code and pools are at their working size.
  // With one chunk only, V8's own warm-up (about 1 MB over the first few thousand rotations, flat after) read as
  // growth; checked by hand over 30k rotations and 240k requests, which level off.
  await pool(Math.max(per, Math.ceil(total / 4)), step, concurrency)
  const points: Array<[number, number]> = [[0, heapAfterGc()]]
  let done = 0
  const start = performance.now()
  while (done < total) {
    await pool(per, step, concurrency)
    done += per
    points.push([done, heapAfterGc()])
  }
  return {
    count: done,
    seconds: (performance.now() - start) / 1000,
    slopeBytes: slope(points),
    deltaBytes: points[points.length - 1]![1] - points[0]![1],
    firstMb: points[0]![1] / 2 ** 20
  }
}

const requests = await series(Number(requestsArg), 20, request, 32)
const rotate = async () => {
  const t = await cap.token()
  await cap.invalidate(t.value)
  await request()
}
const rotations = await series(Number(rotationsArg), 10, rotate, 1)
const stats = await cap.stats()
await cap.close()
process.send?.({ requests, rotations, fetched: stats.fetched })
process.exit()
