import { CapillaryClient, TokenManager } from "@capauth/core"
import { SAMPLE_CLIENT, type Simulator, startSimulator } from "@capauth/testkit"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Layer from "effect/Layer"
import { afterAll, beforeAll } from "vitest"
import { NodeCapillary } from "../src/index.ts"

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ port: 0 })
})
afterAll(async () => {
  await sim.close()
})

const getCustomer = Effect.gen(function* () {
  const client = yield* CapillaryClient.CapillaryClient
  const response = yield* client.get("/v2/customers/1")
  return (yield* response.json) as { id: number }
})

describe("NodeCapillary layers", () => {
  it.effect("layer(input): CapillaryClient over undici, one token for concurrent calls", () =>
    Effect.gen(function* () {
      const before = sim.stats().tokenRequestsTotal
      const customers = yield* Effect.all(
        Array.from({ length: 20 }, () => getCustomer),
        { concurrency: "unbounded" }
      )
      expect(customers.every((c) => c.id === 1)).toBe(true)
      expect(sim.stats().tokenRequestsTotal - before).toBe(1)
      const stats = yield* Effect.flatMap(TokenManager.TokenManager, (t) => t.stats)
      expect(stats.fetched).toBe(1)
    }).pipe(
      Effect.provide(
        NodeCapillary.layer({
          baseUrl: sim.url,
          credentials: { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }
        })
      )
    )
  )

  it.effect("layerConfig reads CAPILLARY_* through the ConfigProvider, attribution included", () =>
    Effect.gen(function* () {
      const client = yield* CapillaryClient.CapillaryClient
      const response = yield* client.execute(
        HttpClientRequest.post("/v2/customers").pipe(
          HttpClientRequest.bodyJsonUnsafe({
            profiles: [{ identifiers: [{ type: "mobile", value: "919000000200" }] }]
          })
        )
      )
      expect(response.status).toBe(200)
      expect(sim.writes.at(-1)?.attribution).toEqual({ type: "STORE_CODE", code: "store1" })
    }).pipe(
      Effect.provide(
        NodeCapillary.layerConfig.pipe(
          Layer.provide(
            ConfigProvider.layer(
              ConfigProvider.fromEnv({
                env: {
                  CAPILLARY_BASE_URL: sim.url,
                  CAPILLARY_CLIENT_KEY: SAMPLE_CLIENT.key,
                  CAPILLARY_CLIENT_SECRET: SAMPLE_CLIENT.secret,
                  CAPILLARY_ATTRIBUTION_TYPE: "STORE_CODE",
                  CAPILLARY_ATTRIBUTION_CODE: "store1"
                }
              })
            )
          )
        )
      )
    )
  )

  it.effect("layerConfig fails with a ConfigError naming the missing variable", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.scoped(
          Layer.build(
            NodeCapillary.layerConfig.pipe(
              Layer.provide(
                ConfigProvider.layer(
                  ConfigProvider.fromEnv({ env: { CAPILLARY_BASE_URL: sim.url, CAPILLARY_CLIENT_KEY: "k" } })
                )
              )
            )
          )
        )
      )
      expect(error._tag).toBe("ConfigError")
      expect(error.message).toContain("CAPILLARY_CLIENT_SECRET")
    })
  )

  it.effect("layer(input) fails with a ConfigError on bad options, before any request", () =>
    Effect.gen(function* () {
      const before = sim.stats().tokenRequestsTotal
      const error = yield* Effect.flip(
        Effect.scoped(
          Layer.build(NodeCapillary.layer({ cluster: "mars", credentials: { key: "k", secret: "s" } }))
        )
      )
      expect(error._tag).toBe("ConfigError")
      expect(error.message).toContain("mars")
      expect(sim.stats().tokenRequestsTotal).toBe(before)
    })
  )

  // Every test here passes over fetch too, so only this catches the Bun switch misfiring on Node.
  // Bun itself (fetch) is covered by the `bun` consumer fixture: `bash tooling/scripts/consumers.sh bun`.
  it("httpLayer is undici on Node (Bun's own fetch only when process.versions.bun is set)", () => {
    expect(process.versions.bun).toBeUndefined()
    expect(NodeCapillary.httpLayer).toBe(NodeHttpClient.layerUndici)
  })
})
