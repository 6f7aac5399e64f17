/**
 * The transport contract (`@capauth/testkit/contract`) run against the Deno clients: `proxy` (a
 * `Deno.createHttpClient` per client) and `fetch`, against a real forward proxy on 127.0.0.1. Deno's fetch reads
 * the proxy variables once per process, so they are checked in a child process (proxy-env.test.ts).
 */
import { transportContract } from "@capauth/testkit/contract"
import { createCapillaryClient, createCaptureClient, createCustomerAuth } from "../mod.ts"

transportContract({
  // Ops and resources are sanitized: a test that leaves a client, a socket or an unread body open fails.
  test: (name, fn) => Deno.test({ name, fn, sanitizeOps: true, sanitizeResources: true }),
  createClient: createCapillaryClient,
  createCaptureClient,
  createCustomerAuth,
  env: {
    get: (name) => Deno.env.get(name),
    set: (name, value) => (value === undefined ? Deno.env.delete(name) : Deno.env.set(name, value))
  },
  envAtRuntime: false,
  inspect: (value) => Deno.inspect(value, { depth: 10, showHidden: true })
})
