/** The counts of each part: scaled down in CI (`vitest run`), the in `scripts/full.sh`. */
export interface Counts {
  readonly chaosWrites: number
  readonly fuzzRuns: number
  readonly leakRequests: number
  readonly leakRotations: number
}

/**
 * CI's counts. Chaos runs the issue's own operator run, 20,000 writes: the API-side events fail writes in
 * batches (a revocation landing on a wave of replays fails up to the 64 in flight, by the one-replay contract;
 * so does a token flight that exhausts its retries while the token is invalidated), and at 5,000 writes one
 * such batch is 1.3%, more than the 1% the goal allows, so the goal failed by the luck of the timing.
 */
export const ciCounts: Counts = {
  chaosWrites: 20_000,
  fuzzRuns: 300,
  leakRequests: 20_000,
  leakRotations: 200
}
export const fullCounts: Counts = {
  chaosWrites: 100_000,
  fuzzRuns: 10_000,
  leakRequests: 1_000_000,
  leakRotations: 10_000
}

/**
 * The chaos scenario of the issue, at `writes`: 64 concurrent, 3 s tokens, forced API expiries and revocations.
 * One forced expiry per 500 writes is about one every 0.6 s at the pace of a run here, five per token lifetime:
 * far more than a real cluster, where a token expires early only when it is revoked or the cluster is reset.
 */
export const chaosScenario = (writes: number) => ({
  writes,
  concurrency: 64,
  ttlSeconds: 3,
  expireEvery: 500,
  revokeEvery: 2000
})

/**
 * The same with API-side expiries 3.3 times as often (one per 150 writes, about one every 0.36 s; a revocation
 * per 500). It measures what a second expiry landing on a replay costs: by the replay contract (one new token,
 * one replay, then `TokenExpired` / `TokenRejected`, never a loop) that write is reported failed. A figure,
 * not a goal: these failures come from the API, not from the token endpoint.
 */
export const apiStressScenario = (writes: number) => ({
  ...chaosScenario(writes),
  expireEvery: 150,
  revokeEvery: 500
})
