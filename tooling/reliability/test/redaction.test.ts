/** Redaction at CI counts: no secret or token in any log line, error, event or inspected client. */
import { inspect } from "node:util"
import { describe, expect, it } from "vitest"
import { nodeEffect, nodePromise } from "../src/node.ts"
import { runRedaction } from "../src/redaction.ts"

const show = (value: unknown) => inspect(value, { depth: 10, showHidden: true })

describe("redaction", () => {
  it("the chaos scenario through both clients, everything rendered: 0 hits of any secret or token", {
    timeout: 60_000
  }, async () => {
    for (const r of [
      await runRedaction({
        label: "Effect client (debug logs)",
        seed: 21,
        writes: 600,
        make: nodeEffect,
        inspect: show
      }),
      await runRedaction({
        label: "Promise facade",
        seed: 22,
        writes: 600,
        make: () => nodePromise,
        inspect: show
      })
    ]) {
      // The scan saw tokens and texts to search, or it proves nothing.
      expect(r.needles).toBeGreaterThan(2)
      expect(r.texts).toBeGreaterThan(10)
      expect(r.events).toBeGreaterThan(0)
      if (r.label.startsWith("Effect")) expect(r.logLines).toBeGreaterThan(0)
      expect({ label: r.label, hits: r.hits, samples: r.hitSamples }).toEqual({
        label: r.label,
        hits: 0,
        samples: []
      })
    }
  })
})
