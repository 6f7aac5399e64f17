/**
 * Config from `Deno.env` on Deno's own terms: the Effect layer reads the same variables, and a refused
 * `--allow-env` is a ConfigError that names the flag.
 */

import assert from "node:assert/strict"
import { CapillaryClient, CapillaryConfig, ConfigError } from "@capauth/core"
import { SAMPLE_CLIENT, startSimulator } from "@capauth/testkit"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { createCapillaryClient, DenoCapillary } from "../mod.ts"
import { failureOf } from "./support.ts"

const names = Object.keys(CapillaryConfig.envVars) as Array<CapillaryConfig.EnvVar>

/** Run `body` with exactly `vars` set among the CAPILLARY_* variables, restoring them afterwards. */
const withEnv = async (vars: Partial<Record<CapillaryConfig.EnvVar, string>>, body: () => unknown) => {
  const saved = new Map(names.map((name) => [name, Deno.env.get(name)]))
  for (const name of names) {
    const value = vars[name]
    if (value === undefined) Deno.env.delete(name)
    else Deno.env.set(name, value)
  }
  try {
    await body()
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) Deno.env.delete(name)
      else Deno.env.set(name, value)
    }
  }
}

const configError = (body: () => unknown): ConfigError => {
  try {
    body()
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`)
    return error
  }
  assert.fail("expected a ConfigError")
}

// The Promise client from the environment (a working client, every missing or invalid variable named, no
// secret in the error) is the client contract's: client.contract.test.ts. Here, the Effect layer and Deno's
// permissions.

Deno.test("layerConfig reads the same CAPILLARY_* variables as the Promise client, when built", async () => {
  const sim = await startSimulator({ seed: 2 })
  try {
    await withEnv(
      {
        CAPILLARY_BASE_URL: sim.url,
        CAPILLARY_CLIENT_KEY: SAMPLE_CLIENT.key,
        CAPILLARY_CLIENT_SECRET: SAMPLE_CLIENT.secret,
        CAPILLARY_ATTRIBUTION_TYPE: "TILL",
        CAPILLARY_ATTRIBUTION_CODE: "store.till2"
      },
      async () => {
        const status = await Effect.runPromise(
          Effect.flatMap(CapillaryClient.CapillaryClient, (client) => client.get("/v2/customers/1")).pipe(
            Effect.map((r) => r.status),
            Effect.provide(DenoCapillary.layerConfig),
            Effect.scoped
          )
        )
        assert.equal(status, 200)
      }
    )
    const calls = sim.requests.filter((r) => r.path === "/v2/customers/1")
    assert.equal(calls.length, 1)
    assert.equal(calls[0]?.headers["x-cap-api-attribution-entity-code"], "store.till2")
    assert.deepEqual(sim.stats().tokenRequests, { [SAMPLE_CLIENT.key]: 1 })
  } finally {
    await sim.close()
  }
})

Deno.test("layerConfig fails with the ConfigError in the error channel, when built (not at import)", async () => {
  await withEnv({ CAPILLARY_CLUSTER: "eu" }, async () => {
    const exit = await Effect.runPromiseExit(
      Effect.scoped(Effect.provide(CapillaryClient.CapillaryClient, DenoCapillary.layerConfig))
    )
    assert.ok(Exit.isFailure(exit))
    const error = failureOf(exit)
    assert.ok(error instanceof ConfigError)
    assert.equal(error.field, "CAPILLARY_CLIENT_KEY")
  })
})

Deno.test({
  name: "without env permission the ConfigError names the --allow-env flag to add",
  permissions: { env: false },
  fn: async () => {
    const error = configError(() => createCapillaryClient())
    assert.equal(error.field, "CAPILLARY_CLIENT_KEY")
    assert.ok(error.message.includes(`--allow-env=${names.join(",")}`), error.message)
    const exit = await Effect.runPromiseExit(
      Effect.scoped(Effect.provide(CapillaryClient.CapillaryClient, DenoCapillary.layerConfig))
    )
    assert.ok(Exit.isFailure(exit) && failureOf(exit) instanceof ConfigError)
  }
})

Deno.test({
  name: "explicit options need no env permission at all",
  permissions: { env: false, net: ["127.0.0.1"] },
  fn: async () => {
    const sim = await startSimulator({ seed: 3 })
    const cap = createCapillaryClient({
      baseUrl: sim.url,
      credentials: { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }
    })
    try {
      assert.equal((await cap.fetch("/v2/customers/1")).status, 200)
    } finally {
      await cap.close()
      await sim.close()
    }
  }
})
