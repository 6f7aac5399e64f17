/**
 * The Capture contract (`@capauth/testkit/contract`) run against the Deno Capture client. The scenarios live in
 * the testkit, written once for every runtime; this file only says how Deno declares a test, reads and sets an
 * environment variable, reveals a secret and inspects a value. What is Deno's own (the error classes of mod.ts,
 * the `--allow-env` errors) is in capture.test.ts and permissions.test.ts. Needs the CAPTURE_* names in
 * `--allow-env` (scripts/test.sh).
 */
import { captureContract } from "@capauth/testkit/contract"
import * as Redacted from "effect/Redacted"
import { createCaptureClient } from "../mod.ts"

captureContract({
  // Ops and resources are sanitized: a test that leaves a timer, a socket or an unread body open fails.
  test: (name, fn) => Deno.test({ name, fn, sanitizeOps: true, sanitizeResources: true }),
  createCaptureClient,
  env: {
    get: (name) => Deno.env.get(name),
    set: (name, value) => (value === undefined ? Deno.env.delete(name) : Deno.env.set(name, value))
  },
  reveal: Redacted.value,
  inspect: (value) => Deno.inspect(value, { depth: 10, showHidden: true })
})
