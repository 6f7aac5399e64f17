import { Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { AccessToken, InvalidCredentials } from "../src/index.ts"
import { backoffMillis, decide, type State } from "../src/internal/lifecycle.ts"

const token = AccessToken.make({ value: Redacted.make("t"), sentAt: 0, ttlSeconds: 100 }, undefined, 0)
const flight = { id: "flight" }
const state = (s: Partial<State<typeof flight>>): State<typeof flight> => ({
  token: undefined,
  flight: undefined,
  failure: undefined,
  ...s
})
const failure = { error: new InvalidCredentials({ message: "m" }), until: 50_000 }

describe("lifecycle.decide (the rules as a table)", () => {
  it.each([
    ["empty, nothing running", state({}), 0, "StartAndJoin"],
    ["empty, a flight running", state({ flight }), 0, "Join"],
    ["empty, failure cooling down", state({ failure }), 10_000, "Fail"],
    ["empty, failure cooled down", state({ failure }), 50_000, "StartAndJoin"],
    ["fresh", state({ token }), token.refreshAt - 1, "Serve"],
    ["fresh, even during a cooldown", state({ token, failure }), 0, "Serve"],
    ["refresh-ahead", state({ token }), token.refreshAt, "ServeAndRefresh"],
    ["refresh-ahead, flight running", state({ token, flight }), token.refreshAt, "Serve"],
    [
      "refresh-ahead, cooling down",
      state({ token, failure: { ...failure, until: 95_000 } }),
      token.refreshAt,
      "Serve"
    ],
    ["stale", state({ token }), token.staleAt, "StartAndJoin"],
    ["stale, flight running", state({ token, flight }), token.staleAt, "Join"],
    ["stale, cooling down", state({ token, failure: { ...failure, until: 200_000 } }), token.staleAt, "Fail"]
  ])("%s", (_name, s, now, expected) => {
    expect(decide(s, now)._tag).toBe(expected)
  })

  it("backoff doubles, is capped, and jitters within the upper half", () => {
    expect(backoffMillis(1, 100, 10_000, 0)).toBe(50)
    expect(backoffMillis(1, 100, 10_000, 1)).toBe(100)
    expect(backoffMillis(3, 100, 10_000, 1)).toBe(400)
    expect(backoffMillis(30, 100, 10_000, 1)).toBe(10_000)
  })
})
