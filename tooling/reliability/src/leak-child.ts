/**
 * The child process of the leak check (run by leaks.ts with --expose-gc): many requests through one client
 * against the parent's simulator, a rotation (the parent expires every token) every `requests / rotations`
 * requests; heap, active resources and (Effect client) live fibers measured after a warm-up and at the end;
 * then `close()`, and nothing more: the process must exit on its own.
 *
 * argv: <simUrl> <promise|effect> <requests> <rotations>
 */
import { CapillaryClient, CapillaryConfig } from "@capauth/core"
import { createCapillaryClient, NodeCapillary } from "@capauth/node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Metric from "effect/Metric"

const [url, facade, requestsArg, rotationsArg] = process.argv.slice(2)
const requests = Number(requestsArg)
const rotations = Number(rotationsArg)
const credentials = { key: "leak-key", secret: "leak-secret" }
const gc = (globalThis as { gc?: () => void }).gc
if (url === undefined || gc === undefined)
  throw new Error("usage: node --expose-gc leak-child.ts <url> <facade> <n> <r>")

let liveFibers = 0
let startedFibers = 0
const fiberMetrics: Metric.FiberRuntimeMetricsService = {
  recordFiberStart: () => {
    liveFibers++
    startedFibers++
  },
  recordFiberEnd: () => void liveFibers--
}

const makeClient = (): { get: () => Promise<number>; close: () => Promise<void> } => {
  if (facade === "promise") {
    const cap = createCapillaryClient({ baseUrl: url, credentials })
    return {
      get: async () => {
        const res = await cap.fetch("/v2/customers/1")
        await res.arrayBuffer()
        return res.status
      },
      close: () => cap.close()
    }
  }
  const runtime = ManagedRuntime.make(
    CapillaryClient.layer.pipe(
      Layer.provide(CapillaryConfig.layer({ baseUrl: url, credentials })),
      Layer.provide(NodeCapillary.httpLayer),
      Layer.provideMerge(Layer.succeed(Metric.FiberRuntimeMetrics, fiberMetrics))
    )
  )
  const get = Effect.gen(function* () {
    const client = yield* CapillaryClient.CapillaryClient
    const res = yield* client.get("/v2/customers/1")
    yield* res.arrayBuffer
    return res.status
  })
  return { get: () => runtime.runPromise(get), close: () => runtime.dispose() }
}

const rotate = () =>
  new Promise<void>((resolve) => {
    process.once("message", () => resolve())
    process.send?.({ rotate: true })
  })

const resources = () => {
  const counts: Record<string, number> = {}
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1
  return counts
}

const snapshot = () => {
  for (let i = 0; i < 4; i++) gc()
  return {
    heapUsed: process.memoryUsage().heapUsed,
    resources: resources(),
    fibers: facade === "effect" ? liveFibers : null,
    fibersStarted: startedFibers
  }
}

const client = makeClient()
const every = Math.max(1, Math.floor(requests / (rotations + 1)))
let done = 0
let failed = 0
let rotated = 0
const concurrency = 16 // leaks.ts: leakConcurrency
const run = async (until: number) => {
  const worker = async () => {
    while (done < until) {
      const i = done++
      if (i > 0 && i % every === 0 && rotated < rotations) {
        rotated++
        await rotate()
      }
      try {
        if ((await client.get()) !== 200) failed++
      } catch {
        failed++
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

// At least 10k: V8 and the pools settle over the first several thousand requests (a shorter warm-up read up to
// 9 MB of settling as growth at CI counts, where 100k requests grow 0.9 MB).
const warmup = Math.max(Math.floor(requests / 10), Math.min(requests, 10_000))
await run(warmup)
const before = snapshot()
const started = performance.now()
await run(requests)
const millis = performance.now() - started
const after = snapshot()
await client.close()
process.disconnect?.()
const closed = { resources: resources() }
process.stdout.write(
  `${JSON.stringify({ facade, requests, rotations: rotated, failed, warmup, millis: Math.round(millis), before, after, closed })}\n`
)
// Nothing else: no process.exit. The parent checks that the process ends on its own.
