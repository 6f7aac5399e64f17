/** One measured run: `requests` calls by `concurrency` callers; throughput, latency percentiles, client CPU. */
import { quantile } from "./stats.ts"

export interface Run {
  readonly reqPerSec: number
  /** Client CPU (user + system of this process) per request, µs. */
  readonly cpuMicros: number
  readonly p50: number
  readonly p99: number
  readonly failures: number
}

export const measure = async (
  requests: number,
  concurrency: number,
  call: () => Promise<unknown>,
  warmup = Math.min(500, requests)
): Promise<Run> => {
  for (let i = 0; i < warmup; i++) await call()
  const latencies = new Float64Array(requests)
  let next = 0
  let failures = 0
  const worker = async () => {
    for (let i = next++; i < requests; i = next++) {
      const t = performance.now()
      try {
        await call()
      } catch {
        failures++
      }
      latencies[i] = performance.now() - t
    }
  }
  const cpu = process.cpuUsage()
  const start = performance.now()
  await Promise.all(Array.from({ length: concurrency }, worker))
  const seconds = (performance.now() - start) / 1000
  const used = process.cpuUsage(cpu)
  latencies.sort()
  return {
    reqPerSec: requests / seconds,
    cpuMicros: (used.user + used.system) / requests,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    failures
  }
}
