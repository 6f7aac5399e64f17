/**
 * The client contract (`@capauth/testkit/contract`) run against the Node Promise client: the scenarios live in
 * the testkit, written once for every runtime; this file only says how Node declares a test, reads and sets an
 * environment variable, reveals a token and inspects a value.
 */
import { inspect } from "node:util"
import { clientContract } from "@capauth/testkit/contract"
import * as Redacted from "effect/Redacted"
import { describe, it } from "vitest"
import { createCapillaryClient } from "../src/index.ts"

describe("the client contract (@capauth/testkit/contract)", () => {
  clientContract({
    test: (name, fn) => void it(name, fn),
    createClient: createCapillaryClient,
    env: {
      get: (name) => process.env[name],
      set: (name, value) => {
        if (value === undefined) delete process.env[name]
        else process.env[name] = value
      }
    },
    reveal: Redacted.value,
    inspect: (value) => inspect(value, { depth: 10, showHidden: true })
  })
})
