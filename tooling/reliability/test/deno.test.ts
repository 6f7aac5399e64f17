/**
 * The Deno part at CI counts, on the real Deno binary (scripts/deno.sh runs deno/reliability.ts): chaos through
 * the Deno facade, the Effect client and the Deno KV store, fuzzing, redaction and clock skew. Every goal it
 * reports must hold.
 */
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

describe("Deno", () => {
  it("the suite's Deno part at CI counts: every goal holds", { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "capauth-reliability-"))
    const out = join(dir, "deno.json")
    try {
      await new Promise<void>((resolve, reject) =>
        execFile(
          "bash",
          [fileURLToPath(new URL("../scripts/deno.sh", import.meta.url))],
          { env: { ...process.env, RELIABILITY_SCALE: "ci", RELIABILITY_OUT: out }, timeout: 170_000 },
          (error, _stdout, stderr) =>
            error ? reject(new Error(`${error.message}\n${stderr.slice(-3000)}`)) : resolve()
        )
      )
      const result = JSON.parse(readFileSync(out, "utf8")) as {
        goals: Array<{ goal: string; holds: boolean; figure: string }>
      }
      expect(result.goals.length).toBeGreaterThan(20)
      expect(result.goals.filter((g) => !g.holds)).toEqual([])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
