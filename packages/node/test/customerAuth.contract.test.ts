/**
 * The end-customer auth contract (`@capauth/testkit/contract`) run against `createCustomerAuth` of
 * `@capauth/node`: the scenarios live in the testkit, written once for every runtime; this file only says how
 * Node declares a test, reveals a key and inspects a value.
 */
import { inspect } from "node:util"
import { customerAuthContract } from "@capauth/testkit/contract"
import * as Redacted from "effect/Redacted"
import { describe, it } from "vitest"
import { createCustomerAuth } from "../src/index.ts"

describe("the end-customer auth contract (@capauth/testkit/contract)", () => {
  customerAuthContract({
    test: (name, fn) => void it(name, fn),
    createCustomerAuth,
    reveal: Redacted.value,
    inspect: (value) => inspect(value, { depth: 10, showHidden: true })
  })
})
