/**
 * Bad credentials: `callers` callers over `seconds` simulated seconds (Effect's TestClock drives the client's
 * time; the HTTP is real, to the simulator) -> at most one token request per cooldown, every caller a typed
 * `InvalidCredentials`.
 */
import { CapillaryClient, CapillaryConfig } from "@capauth/core"
import { startSimulator } from "@capauth/testkit"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/testing/TestClock"
import { outcomeOfExit } from "./drivers.ts"
import { keyOf, Tally } from "./outcome.ts"

export interface BadCredentialsResult {
  readonly callers: number
  readonly simulatedSeconds: number
  readonly cooldownMillis: number
  readonly tokenRequests: number
  /** At most one per cooldown: floor(span / cooldown) + 1. */
  readonly bound: number
  readonly outcomes: Record<string, number>
}

export const runBadCredentials = async (options: {
  readonly callers: number
  readonly seconds: number
  /** The permanent-failure cooldown the client uses (its default: 30 s). */
  readonly cooldownMillis: number
  readonly httpLayer: Layer.Layer<HttpClient.HttpClient>
  readonly batch?: number
  /** E.g. `{ tokenCooldownMillis }`: the cooldown as the facade's option. */
  readonly clientOptions?: Partial<CapillaryConfig.Input>
}): Promise<BadCredentialsResult> => {
  const sim = await startSimulator({
    sharedKey: true,
    clients: [{ key: "bad-cred-key", secret: "the-right-secret" }]
  })
  const outcomes = new Tally()
  const batch = options.batch ?? 10
  const step = (options.seconds * 1000) / (options.callers / batch)
  try {
    const live = CapillaryClient.layer.pipe(
      Layer.provide(
        CapillaryConfig.layer({
          baseUrl: sim.url,
          credentials: { key: "bad-cred-key", secret: "a-wrong-secret" },
          ...options.clientOptions
        })
      ),
      Layer.provide(options.httpLayer)
    )
    const program = Effect.gen(function* () {
      const client = yield* CapillaryClient.CapillaryClient
      for (let i = 0; i < options.callers; i += batch) {
        // A batch of callers at once; each settles (real HTTP) before simulated time moves on.
        const fibers = yield* Effect.forEach(
          Array.from({ length: Math.min(batch, options.callers - i) }),
          () => Effect.forkChild(Effect.exit(client.get("/v2/customers/1")))
        )
        for (const f of fibers) {
          const exit = yield* Fiber.join(f)
          outcomes.add(
            keyOf(outcomeOfExit(exit as Exit.Exit<unknown, unknown>, () => ({ kind: "accepted" })))
          )
        }
        yield* TestClock.adjust(step)
      }
    })
    await Effect.runPromise(
      Effect.scoped(program.pipe(Effect.provide(live), Effect.provide(TestClock.layer())))
    )
    const span = options.seconds * 1000
    return {
      callers: options.callers,
      simulatedSeconds: options.seconds,
      cooldownMillis: options.cooldownMillis,
      tokenRequests: sim.stats().tokenRequestsTotal,
      bound: Math.floor(span / options.cooldownMillis) + 1,
      outcomes: outcomes.toJSON()
    }
  } finally {
    await sim.close()
  }
}
