/** `rotate`: the sample's credential rotation, in process (the command starts its own simulator). */
import { describe, expect, it } from "vitest"
import { run } from "../src/cli.ts"

const sink = () => {
  const chunks: string[] = []
  return { out: { write: (s: string) => void chunks.push(s), isTTY: false }, text: () => chunks.join("") }
}

describe("capauth-sample rotate", () => {
  it("switches from the deleted client to the next one: one event, no failed call, exit 0", {
    timeout: 30_000
  }, async () => {
    const stdout = sink()
    const stderr = sink()
    const code = await run(["rotate", "--wave", "8"], { stdout: stdout.out, stderr: stderr.out, env: {} })
    const text = stdout.text()
    expect(code).toBe(0)
    expect(text).toMatch(/wave 1: 8\/8 calls ok · token of old-client/)
    expect(text).toMatch(/wave 2: 8\/8 calls ok · token of new-client/)
    expect(text).toMatch(
      /event CredentialSwitched: capillary:http:\/\/127\.0\.0\.1:\d+:old-client was refused → now capillary:http:\/\/127\.0\.0\.1:\d+:new-client/
    )
    expect(text).toMatch(/failed calls\s+0/)
    expect(text).toMatch(/switch events\s+1/)
    expect(text).not.toMatch(/secret-shown-once/)
  })

  it("--wave is checked", { timeout: 30_000 }, async () => {
    const stderr = sink()
    expect(await run(["rotate", "--wave", "0"], { stdout: sink().out, stderr: stderr.out, env: {} })).toBe(2)
    expect(stderr.text()).toMatch(/--wave needs an integer/)
  })
})
