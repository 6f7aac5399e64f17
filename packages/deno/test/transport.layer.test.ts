/** `DenoCapillary.layer` takes the same transports as the Promise clients: `proxy` and `fetch`. */
import assert from "node:assert/strict"
import { CapillaryClient } from "@capauth/core"
import { SAMPLE_CLIENT, startSimulator } from "@capauth/testkit"
import { startProxy } from "@capauth/testkit/contract"
import * as Effect from "effect/Effect"
import { DenoCapillary } from "../mod.ts"

const credentials = { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }

const getCustomer = Effect.gen(function* () {
  const client = yield* CapillaryClient.CapillaryClient
  const response = yield* client.get("/v2/customers/1")
  return (yield* response.json) as { id: number }
})

Deno.test({
  name: "layer({ proxy }): the token request and the API call go through the proxy; its client is closed with the layer",
  sanitizeOps: true,
  sanitizeResources: true,
  fn: async () => {
    const sim = await startSimulator({ port: 0, sharedKey: true })
    const proxy = await startProxy()
    try {
      const customer = await Effect.runPromise(
        Effect.scoped(
          Effect.provide(
            getCustomer,
            DenoCapillary.layer({ baseUrl: sim.url, credentials, proxy: proxy.url })
          )
        )
      )
      assert.equal(customer.id, 1)
      assert.deepEqual(
        proxy.seen.map((s) => `${s.method} ${new URL(s.target).pathname}`),
        ["POST /v3/oauth/token/generate", "GET /v2/customers/1"]
      )
    } finally {
      await proxy.close()
      await sim.close()
    }
  }
})

Deno.test({
  name: "layer({ fetch }): the custom fetch sends both, the token request with cache: no-store",
  sanitizeOps: true,
  sanitizeResources: true,
  fn: async () => {
    const sim = await startSimulator({ port: 0, sharedKey: true })
    const seen: Array<string> = []
    const fetch: typeof globalThis.fetch = (input, init) => {
      seen.push(`${init?.method ?? "GET"} ${new URL(String(input)).pathname} ${init?.cache ?? "-"}`)
      return globalThis.fetch(input, init)
    }
    try {
      const customer = await Effect.runPromise(
        Effect.scoped(
          Effect.provide(getCustomer, DenoCapillary.layer({ baseUrl: sim.url, credentials, fetch }))
        )
      )
      assert.equal(customer.id, 1)
      assert.deepEqual(seen, ["POST /v3/oauth/token/generate no-store", "GET /v2/customers/1 -"])
    } finally {
      await sim.close()
    }
  }
})
