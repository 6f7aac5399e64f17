/**
 * The Effect layers take the same transports as the Promise clients: `NodeCapillary.layer` with `proxy` or
 * `fetch`, and `layerConfig` (and `layer` without `proxy`) with the environment's proxy variables.
 */
import { CapillaryClient } from "@capauth/core"
import { SAMPLE_CLIENT, type Simulator, startSimulator } from "@capauth/testkit"
import { startProxy, type TestProxy } from "@capauth/testkit/contract"
import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest"
import { NodeCapillary } from "../src/index.ts"

const credentials = { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }
const proxyVars = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"]
const saved = new Map(proxyVars.map((name) => [name, process.env[name]]))

let sim: Simulator
let proxy: TestProxy
beforeAll(async () => {
  sim = await startSimulator({ port: 0 })
})
afterAll(async () => {
  await sim.close()
})
beforeEach(async () => {
  for (const name of proxyVars) delete process.env[name]
  proxy = await startProxy()
})
afterEach(async () => {
  await proxy.close()
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
})

const getCustomer = Effect.gen(function* () {
  const client = yield* CapillaryClient.CapillaryClient
  const response = yield* client.get("/v2/customers/1")
  return (yield* response.json) as { id: number }
})

const forwarded = () => proxy.seen.map((s) => `${s.method} ${new URL(s.target).pathname}`)
const throughProxy = ["POST /v3/oauth/token/generate", "GET /v2/customers/1"]

describe("NodeCapillary layers: transports", () => {
  it.effect("layer({ proxy }): the token request and the API call go through the proxy", () =>
    Effect.gen(function* () {
      expect((yield* getCustomer).id).toBe(1)
      expect(forwarded()).toEqual(throughProxy)
    }).pipe(
      Effect.provide(
        Layer.suspend(() => NodeCapillary.layer({ baseUrl: sim.url, credentials, proxy: proxy.url }))
      )
    )
  )

  it.effect("layer({ fetch }): the custom fetch sends both, the token request with cache: no-store", () => {
    const seen: Array<string> = []
    const fetch: typeof globalThis.fetch = (input, init) => {
      seen.push(`${init?.method ?? "GET"} ${new URL(String(input)).pathname} ${init?.cache ?? "-"}`)
      return globalThis.fetch(input, init)
    }
    return Effect.gen(function* () {
      expect((yield* getCustomer).id).toBe(1)
      expect(seen).toEqual(["POST /v3/oauth/token/generate no-store", "GET /v2/customers/1 -"])
      expect(proxy.seen).toEqual([])
    }).pipe(
      Effect.provide(Layer.suspend(() => NodeCapillary.layer({ baseUrl: sim.url, credentials, fetch })))
    )
  })

  it.effect("layerConfig: HTTP_PROXY from the environment carries both", () =>
    Effect.gen(function* () {
      expect((yield* getCustomer).id).toBe(1)
      expect(forwarded()).toEqual(throughProxy)
    }).pipe(
      Effect.provide(
        Layer.suspend(() => {
          process.env.HTTP_PROXY = proxy.url
          return NodeCapillary.layerConfig.pipe(
            Layer.provide(
              ConfigProvider.layer(
                ConfigProvider.fromEnv({
                  env: {
                    CAPILLARY_BASE_URL: sim.url,
                    CAPILLARY_CLIENT_KEY: credentials.key,
                    CAPILLARY_CLIENT_SECRET: credentials.secret
                  }
                })
              )
            )
          )
        })
      )
    )
  )

  it.effect("layer({ proxy, fetch }) fails with a ConfigError before anything is sent", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.scoped(
          Layer.build(
            NodeCapillary.layer({ baseUrl: sim.url, credentials, proxy: proxy.url, fetch: globalThis.fetch })
          )
        )
      )
      expect(error._tag).toBe("ConfigError")
      expect(error.field).toBe("proxy")
      expect(proxy.seen).toEqual([])
    })
  )
})
