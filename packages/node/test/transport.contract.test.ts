/**
 * The transport contract (`@capauth/testkit/contract`) run against the Node clients: `proxy`, `fetch` and the
 * proxy environment variables (read when a client is made), against a real forward proxy on 127.0.0.1.
 */
import { inspect } from "node:util"
import { transportContract } from "@capauth/testkit/contract"
import { describe, it } from "vitest"
import { createCapillaryClient, createCaptureClient, createCustomerAuth } from "../src/index.ts"

describe("the transport contract (@capauth/testkit/contract)", () => {
  transportContract({
    test: (name, fn) => void it(name, fn),
    createClient: createCapillaryClient,
    createCaptureClient,
    createCustomerAuth,
    env: {
      get: (name) => process.env[name],
      set: (name, value) => {
        if (value === undefined) delete process.env[name]
        else process.env[name] = value
      }
    },
    envAtRuntime: true,
    inspect: (value) => inspect(value, { depth: 10, showHidden: true })
  })
})
