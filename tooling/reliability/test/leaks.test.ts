/**
 * Leaks at CI counts, in a child process with --expose-gc: no growth in heap (beyond the stated bound), timers,
 * sockets or live fibers; after close() the child exits on its own.
 */
import { describe, expect, it } from "vitest"
import { ciCounts } from "../src/counts.ts"
import { leakGoals, runLeakCheck } from "../src/leaks.ts"

describe("leaks (CI counts)", () => {
  for (const facade of ["promise", "effect"] as const) {
    it(`${facade}: ${ciCounts.leakRequests} requests, ${ciCounts.leakRotations} rotations`, {
      timeout: 60_000
    }, async () => {
      const r = await runLeakCheck({
        facade,
        requests: ciCounts.leakRequests,
        rotations: ciCounts.leakRotations
      })
      expect(r.rotations).toBe(ciCounts.leakRotations)
      expect(r.tokenRequests).toBeGreaterThan(ciCounts.leakRotations)
      expect(
        leakGoals(r).filter((g) => !g.holds),
        JSON.stringify(r)
      ).toEqual([])
    })
  }
})
