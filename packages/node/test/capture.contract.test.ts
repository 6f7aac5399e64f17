/**
 * The Capture contract (`@capauth/testkit/contract`) run against the Node Capture client: the scenarios live in
 * the testkit, written once for every runtime; this file only says how Node declares a test, reads and sets an
 * environment variable, reveals a secret and inspects a value. What is Node's own is in
 * createCaptureClient.test.ts.
 */
import { inspect } from "node:util"
import { captureContract } from "@capauth/testkit/contract"
import * as Redacted from "effect/Redacted"
import { describe, it } from "vitest"
import { createCaptureClient } from "../src/index.ts"

describe("the Capture contract (@capauth/testkit/contract)", () => {
  captureContract({
    test: (name, fn) => void it(name, fn),
    createCaptureClient,
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
