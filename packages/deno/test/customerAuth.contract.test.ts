/**
 * The end-customer auth contract (`@capauth/testkit/contract`) run against `createCustomerAuth` of
 * `@capauth/deno`. The scenarios live in the testkit, written once for every runtime; this file only says how
 * Deno declares a test, reveals a key and inspects a value.
 */
import { customerAuthContract } from "@capauth/testkit/contract"
import * as Redacted from "effect/Redacted"
import { createCustomerAuth } from "../mod.ts"

customerAuthContract({
  // Ops and resources are sanitized: a test that leaves a timer, a socket or an unread body open fails.
  test: (name, fn) => Deno.test({ name, fn, sanitizeOps: true, sanitizeResources: true }),
  createCustomerAuth,
  reveal: Redacted.value,
  inspect: (value) => Deno.inspect(value, { depth: 10, showHidden: true })
})
