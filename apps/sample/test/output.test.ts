/** Terminal rendering and error lines, in process: what a TTY, a pipe and NO_COLOR each get. */
import { ConfigError, InvalidCredentials, TransportError } from "@capauth/core"
import { describe, expect, it } from "vitest"
import { describe as describeFailure, UsageError } from "../src/Failure.ts"
import * as Terminal from "../src/Terminal.ts"

const sink = (isTTY: boolean) => {
  const chunks: string[] = []
  return { out: { write: (s: string) => void chunks.push(s), isTTY }, text: () => chunks.join("") }
}

describe("Terminal", () => {
  it("a TTY gets colour and an in-place progress line that log lines do not break", () => {
    const { out, text } = sink(true)
    const t = Terminal.make(out, {})
    t.progress("3/10", false)
    t.line(t.green("event"))
    t.progress("4/10", false)
    t.endProgress()
    t.line("done")
    expect(t.color).toBe(true)
    // The live line is erased before a log line and redrawn after it; nothing of it stays.
    expect(text()).toBe("3/10\r\u001b[2K\u001b[32mevent\u001b[39m\n3/10\r\u001b[2K4/10\r\u001b[2Kdone\n")
  })

  it("a pipe gets plain milestone lines and no ANSI; NO_COLOR turns colour off on a TTY", () => {
    const pipe = sink(false)
    const t = Terminal.make(pipe.out, {})
    t.progress("1/10", false)
    t.progress("5/10", true)
    t.line(t.bold("x"))
    expect(pipe.text()).toBe("5/10\nx\n")
    const tty = sink(true)
    expect(Terminal.make(tty.out, { NO_COLOR: "1" }).red("x")).toBe("x")
  })

  it("tables align on visible width, ignoring ANSI escapes", () => {
    const t = Terminal.make(sink(true).out, {})
    const lines = Terminal.table([
      [t.bold("a"), "1"],
      ["longer", "22"]
    ])
    expect(lines.map((l) => l.replaceAll("\u001b[1m", "").replaceAll("\u001b[22m", ""))).toEqual([
      "  ┌────────┬────┐",
      "  │ a      │ 1  │",
      "  │ longer │ 22 │",
      "  └────────┴────┘"
    ])
  })

  it("durations read as people say them", () => {
    expect(Terminal.duration(850)).toBe("850 ms")
    expect(Terminal.duration(2_340)).toBe("2.3 s")
    expect(Terminal.duration(3_599_000)).toBe("59m 59s")
    expect(Terminal.duration(3_720_000)).toBe("1h 02m")
  })
})

describe("error lines and exit codes", () => {
  it("config and usage errors exit 2; runtime failures exit 1; each is one line with the action", () => {
    const config = describeFailure(
      new ConfigError({ field: "CAPILLARY_CLUSTER", message: 'CAPILLARY_CLUSTER: Unknown cluster "mars"' }),
      "capauth-sample"
    )
    expect(config).toEqual({
      line: 'ConfigError: CAPILLARY_CLUSTER: Unknown cluster "mars" → Fix the named setting and restart.',
      exitCode: 2
    })
    const refused = describeFailure(
      new InvalidCredentials({
        code: 320001,
        requestId: "r-1",
        message: "token request refused (code 320001)"
      }),
      "capauth-sample"
    )
    expect(refused.exitCode).toBe(1)
    expect(refused.line).toMatch(
      /^InvalidCredentials: token request refused \(code 320001\) \[request id r-1\] → Check/
    )
    const network = describeFailure(
      new TransportError({ reason: "Network", message: "a\nb" }),
      "capauth-sample"
    )
    expect(network.line).not.toContain("\n")
    expect(describeFailure(new UsageError("bad flag", "call"), "capauth-sample")).toEqual({
      line: "capauth-sample: bad flag (see capauth-sample call --help)",
      exitCode: 2
    })
    expect(describeFailure(new Error("boom"), "capauth-sample").exitCode).toBe(1)
  })
})
