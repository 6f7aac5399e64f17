/** Fuzzing at CI counts: generated token-endpoint and API responses end typed (or valid), never a defect. */
import { createCapillaryClient, NodeCapillary } from "@capauth/node"
import { describe, expect, it } from "vitest"
import { ciCounts } from "../src/counts.ts"
import { fuzzApi, fuzzGoals, fuzzTokenEndpoint } from "../src/fuzz.ts"
import { serveNode } from "../src/node.ts"

describe("fuzzing (CI counts)", () => {
  it(`${ciCounts.fuzzRuns} generated token responses: typed errors or valid tokens, as the case says`, {
    timeout: 60_000
  }, async () => {
    const result = await fuzzTokenEndpoint({
      seed: 17,
      runs: ciCounts.fuzzRuns,
      serve: serveNode,
      httpLayer: NodeCapillary.httpLayer
    })
    expect(result.outcomes.accepted ?? 0).toBeGreaterThan(0)
    expect(
      fuzzGoals(result).filter((g) => !g.holds),
      JSON.stringify(result)
    ).toEqual([])
  })

  it(`${ciCounts.fuzzRuns} generated API responses: a Response or a typed rejection`, {
    timeout: 60_000
  }, async () => {
    const result = await fuzzApi({
      seed: 18,
      runs: ciCounts.fuzzRuns,
      serve: serveNode,
      create: createCapillaryClient
    })
    expect(result.outcomes["typed:TokenExpired"] ?? 0).toBeGreaterThan(0)
    expect(
      fuzzGoals(result).filter((g) => !g.holds),
      JSON.stringify(result)
    ).toEqual([])
  })
})
