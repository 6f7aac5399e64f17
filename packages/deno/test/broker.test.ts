/**
 * The broker contract (`@capauth/testkit/contract`) run against `TokenBroker` of `@capauth/deno` (core's
 * runtime-neutral handler), plus the one thing Deno adds: `Deno.serve` takes the handler as is.
 */
import { SAMPLE_CLIENT, startSimulator } from "@capauth/testkit"
import { brokerContract } from "@capauth/testkit/contract"
import { createCapillaryClient, TokenBroker } from "../mod.ts"

brokerContract({
  test: (name, fn) => Deno.test({ name, fn, sanitizeOps: true, sanitizeResources: true }),
  createClient: createCapillaryClient,
  makeBroker: TokenBroker.make
})

Deno.test({
  name: "broker: Deno.serve(broker.fetch) hands out the client's token with no-store",
  sanitizeOps: true,
  sanitizeResources: true,
  fn: async () => {
    const sim = await startSimulator({ port: 0 })
    const cap = createCapillaryClient({
      baseUrl: sim.url,
      credentials: { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }
    })
    const broker = TokenBroker.make({
      client: cap,
      authorize: (r) => r.headers.get("x-app-session") === "ok"
    })
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, broker.fetch)
    try {
      const url = `http://127.0.0.1:${server.addr.port}/capillary/token`
      const denied = await fetch(url)
      if (denied.status !== 403) throw new Error(`expected 403, got ${denied.status}`)
      await denied.body?.cancel()
      const response = await fetch(url, { method: "POST", headers: { "x-app-session": "ok" } })
      if (response.status !== 200) throw new Error(`expected 200, got ${response.status}`)
      if (response.headers.get("cache-control") !== "no-store") throw new Error("missing no-store")
      const body = await response.json()
      if (!sim.tokens.some((t) => t.token === body.data.accessToken))
        throw new Error("not the simulator's token")
    } finally {
      await server.shutdown()
      await cap.close()
      await sim.close()
    }
  }
})
