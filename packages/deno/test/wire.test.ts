/**
 * The wire contract (`@capauth/testkit/contract`) run against the Deno Promise client, its web-standard
 * handlers served by `Deno.serve` on 127.0.0.1. The scenarios live in the testkit, written once for every
 * runtime; this file only says how Deno declares a test, serves a handler and inspects a value.
 */
import { wireContract } from "@capauth/testkit/contract"
import { createCapillaryClient } from "../mod.ts"

wireContract({
  // Ops and resources are sanitized: a test that leaves a timer, a socket or an unread body open fails.
  test: (name, fn) => Deno.test({ name, fn, sanitizeOps: true, sanitizeResources: true }),
  serve: (handler) => {
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler)
    return Promise.resolve({ url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() })
  },
  createClient: createCapillaryClient,
  inspect: (value) => Deno.inspect(value, { depth: 10 })
})
