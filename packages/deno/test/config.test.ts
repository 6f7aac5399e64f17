/**
 * Config from `Deno.env`: the same variables as the Node adapter, errors that name the variable, and a
 * refused `--allow-env` turned into a ConfigError that names the flag.
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

Deno.test("with no options the client reads the CAPILLARY_* variables and works", async () => {
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
        const cap = createCapillaryClient()
        try {
          assert.equal((await cap.fetch("/v2/customers/1")).status, 200)
        } finally {
          await cap.close()
        }
        // The Effect layer reads the same variables.
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
    assert.equal(calls.length, 2)
    for (const call of calls) assert.equal(call.headers["x-cap-api-attribution-entity-code"], "store.till2")
  } finally {
    await sim.close()
  }
})

Deno.test("a missing or invalid variable is named in the ConfigError", async () => {
  const cases: Array<[Partial<Record<CapillaryConfig.EnvVar, string>>, CapillaryConfig.EnvVar]> = [
    [{}, "CAPILLARY_BASE_URL"],
    [{ CAPILLARY_CLUSTER: "eu" }, "CAPILLARY_CLIENT_KEY"],
    [{ CAPILLARY_CLUSTER: "eu", CAPILLARY_CLIENT_KEY: "k" }, "CAPILLARY_CLIENT_SECRET"],
    [{ CAPILLARY_CLUSTER: "eu", CAPILLARY_TILL_ID: "store.server" }, "CAPILLARY_TILL_PASSWORD"],
    [
      { CAPILLARY_CLUSTER: "mars", CAPILLARY_CLIENT_KEY: "k", CAPILLARY_CLIENT_SECRET: "s" },
      "CAPILLARY_CLUSTER"
    ],
    [
      { CAPILLARY_BASE_URL: "http://example.com", CAPILLARY_CLIENT_KEY: "k", CAPILLARY_CLIENT_SECRET: "s" },
      "CAPILLARY_BASE_URL"
    ],
    [
      {
        CAPILLARY_CLUSTER: "eu",
        CAPILLARY_CLIENT_KEY: "k",
        CAPILLARY_CLIENT_SECRET: "s",
        CAPILLARY_ATTRIBUTION_TYPE: "TILL"
      },
      "CAPILLARY_ATTRIBUTION_CODE"
    ]
  ]
  for (const [vars, blamed] of cases) {
    await withEnv(vars, () => {
      const error = configError(() => createCapillaryClient())
      assert.equal(error.field, blamed, `${JSON.stringify(vars)} -> ${error.message}`)
      assert.match(error.message, new RegExp(blamed))
    })
  }
})

Deno.test("a secret never appears in a ConfigError", async () => {
  const secret = "s3cr3t-value-that-must-not-leak"
  await withEnv({ CAPILLARY_CLUSTER: "eu", CAPILLARY_CLIENT_SECRET: secret }, () => {
    const error = configError(() => createCapillaryClient())
    assert.equal(error.field, "CAPILLARY_CLIENT_KEY")
    for (const shown of [error.message, String(error), JSON.stringify(error), Deno.inspect(error)]) {
      assert.ok(!shown.includes(secret))
    }
  })
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
