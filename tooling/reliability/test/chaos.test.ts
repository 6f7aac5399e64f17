/**
 * Chaos at CI counts, through the Promise facade and the Effect client of @capauth/node: every write accepted
 * exactly once or reported as a typed error, none duplicated, no token sent once known expired, >= 99% accepted.
 */
import { describe, expect, it } from "vitest"
import { chaosGoals, issueFaults, runChaos } from "../src/chaos.ts"
import { chaosScenario, ciCounts } from "../src/counts.ts"
import { nodeEffect, nodePromise } from "../src/node.ts"

describe("chaos (CI counts)", () => {
  for (const [name, driver, seed] of [
    ["Promise facade", nodePromise, 11],
    ["Effect client", nodeEffect(), 12]
  ] as const) {
    it(`${name}: ${ciCounts.chaosWrites} writes under token-endpoint faults meet every goal`, {
      timeout: 120_000
    }, async () => {
      const result = await runChaos({
        ...chaosScenario(ciCounts.chaosWrites),
        seed,
        faults: issueFaults,
        driver
      })
      // The scenario did hit the token endpoint's faults and the API's expiries, or it proves nothing.
      expect(result.expiredAnswers).toBeGreaterThan(0)
      expect(Object.values(result.faultsFired).reduce((a, b) => a + b, 0)).toBeGreaterThan(0)
      // The failing goals with their figures first (what a CI log's tail shows), the whole result after.
      const failing = chaosGoals(result)
        .filter((g) => !g.holds)
        .map((g) => `${g.goal}: ${g.figure}`)
      expect(failing, JSON.stringify(result)).toEqual([])
    })
  }
})
