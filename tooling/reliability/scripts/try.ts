import { CapillaryClient, CapillaryConfig } from "@capauth/core"
import { NodeCapillary } from "@capauth/node"
import { startSimulator } from "@capauth/testkit"
import { Clock, Effect, Fiber, Layer } from "effect"
import * as TestClock from "effect/testing/TestClock"

const sim = await startSimulator({ clients: [{ key: "k", secret: "s" }] })
const live = CapillaryClient.layer.pipe(
  Layer.provide(
    CapillaryConfig.layer({
      baseUrl: sim.url,
      credentials: { key: "k", secret: "bad" },
      tokenCooldownMillis: 10_000
    })
  ),
  Layer.provide(NodeCapillary.httpLayer)
)
const step = Number(process.argv[2])
await Effect.runPromise(
  Effect.scoped(
    Effect.gen(function* () {
      const client = yield* CapillaryClient.CapillaryClient
      let last = 0
      for (let i = 0; i < 60000 / step; i++) {
        const f = yield* Effect.forkChild(Effect.exit(client.get("/v2/customers/1")))
        yield* Fiber.join(f)
        const now = yield* Clock.currentTimeMillis
        if (sim.stats().tokenRequestsTotal !== last) {
          last = sim.stats().tokenRequestsTotal
          console.log("request", last, "at", now)
        }
        yield* TestClock.adjust(step)
      }
    }).pipe(Effect.provide(live), Effect.provide(TestClock.layer()))
  )
)
await sim.close()
