/** The counts of each part: scaled down in CI (`vitest run`), the in `scripts/full.sh`. */
export interface Counts {
  readonly chaosWrites: number
  readonly fuzzRuns: number
  readonly leakRequests: number
  readonly leakRotations: number
}

export const ciCounts: Counts = { chaosWrites: 2000, fuzzRuns: 300, leakRequests: 20_000, leakRotations: 200 }
export const fullCounts: Counts = {
  chaosWrites: 100_000,
  fuzzRuns: 10_000,
  leakRequests: 1_000_000,
  leakRotations: 10_000
}

/** The chaos scenario of the issue, at `writes`: 64 concurrent, 3 s tokens, forced expiries and revocations. */
export const chaosScenario = (writes: number) => ({
  writes,
  concurrency: 64,
  ttlSeconds: 3,
  expireEvery: 150,
  revokeEvery: 500
})
