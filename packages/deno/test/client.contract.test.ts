/**
 * The client contract (`@capauth/testkit/contract`) run against the Deno Promise client. The scenarios live in
 * the testkit, written once for every runtime; this file only says how Deno declares a test, reads and sets an
 * environment variable, reveals a token and inspects a value. What is Deno's own (permissions, the Effect
 * layers, TestClock) is in config.test.ts, lifecycle.test.ts and permissions.test.ts.
 */
import { clientContract } from "@capauth/testkit/contract"
import * as Redacted from "effect/Redacted"
import { createCapillaryClient } from "../mod.ts"

clientContract({
  // Ops and resources are sanitized: a test that leaves a timer, a socket or an unread body open fails.
  test: (name, fn) => Deno.test({ name, fn, sanitizeOps: true, sanitizeResources: true }),
  createClient: createCapillaryClient,
  env: {
    get: (name) => Deno.env.get(name),
    set: (name, value) => (value === undefined ? Deno.env.delete(name) : Deno.env.set(name, value))
  },
  reveal: Redacted.value,
  inspect: (value) => Deno.inspect(value, { depth: 10, showHidden: true })
})
