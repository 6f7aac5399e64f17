import { SAMPLE_CLIENT, type Simulator, startSimulator } from "@capauth/testkit"
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest"
import { createCapillaryClient } from "../src/index.ts"

const vars = [
  "CAPILLARY_BASE_URL",
  "CAPILLARY_CLUSTER",
  "CAPILLARY_CLIENT_KEY",
  "CAPILLARY_CLIENT_SECRET",
  "CAPILLARY_TILL_ID",
  "CAPILLARY_TILL_PASSWORD",
  "CAPILLARY_TILL_PASSWORD_MD5",
  "CAPILLARY_ATTRIBUTION_TYPE",
  "CAPILLARY_ATTRIBUTION_CODE"
] as const

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ port: 0 })
})
afterAll(async () => {
  await sim.close()
})
afterEach(() => {
  vi.unstubAllEnvs()
})

/** Replace the whole CAPILLARY_* environment with `env`. */
const setEnv = (env: Partial<Record<(typeof vars)[number], string>>) => {
  for (const name of vars) vi.stubEnv(name, env[name])
}

const configError = (env: Partial<Record<(typeof vars)[number], string>>) => {
  setEnv(env)
  try {
    createCapillaryClient()
  } catch (error) {
    return error as { _tag: string; message: string; field?: string }
  }
  throw new Error("expected a ConfigError")
}

const key = { CAPILLARY_CLIENT_KEY: "k", CAPILLARY_CLIENT_SECRET: "sekr3t-value" }

describe("createCapillaryClient() from the environment", () => {
  const cases: Array<[string, Partial<Record<(typeof vars)[number], string>>, (typeof vars)[number]]> = [
    ["nothing set", {}, "CAPILLARY_BASE_URL"],
    ["no credentials", { CAPILLARY_CLUSTER: "eu" }, "CAPILLARY_CLIENT_KEY"],
    ["key without secret", { CAPILLARY_CLUSTER: "eu", CAPILLARY_CLIENT_KEY: "k" }, "CAPILLARY_CLIENT_SECRET"],
    ["secret without key", { CAPILLARY_CLUSTER: "eu", CAPILLARY_CLIENT_SECRET: "s" }, "CAPILLARY_CLIENT_KEY"],
    ["till without password", { CAPILLARY_CLUSTER: "eu", CAPILLARY_TILL_ID: "t" }, "CAPILLARY_TILL_PASSWORD"],
    ["unknown cluster", { CAPILLARY_CLUSTER: "mars", ...key }, "CAPILLARY_CLUSTER"],
    ["base URL not a URL", { CAPILLARY_BASE_URL: "not a url", ...key }, "CAPILLARY_BASE_URL"],
    [
      "plain http to a remote host",
      { CAPILLARY_BASE_URL: "http://eu.api.capillarytech.com", ...key },
      "CAPILLARY_BASE_URL"
    ],
    [
      "password md5 not hex",
      { CAPILLARY_CLUSTER: "eu", CAPILLARY_TILL_ID: "t", CAPILLARY_TILL_PASSWORD_MD5: "xyz" },
      "CAPILLARY_TILL_PASSWORD_MD5"
    ],
    [
      "unknown attribution type",
      {
        CAPILLARY_CLUSTER: "eu",
        ...key,
        CAPILLARY_ATTRIBUTION_TYPE: "SHOP",
        CAPILLARY_ATTRIBUTION_CODE: "x"
      },
      "CAPILLARY_ATTRIBUTION_TYPE"
    ],
    [
      "attribution type without code",
      { CAPILLARY_CLUSTER: "eu", ...key, CAPILLARY_ATTRIBUTION_TYPE: "TILL" },
      "CAPILLARY_ATTRIBUTION_CODE"
    ]
  ]
  for (const [title, env, named] of cases) {
    it(`${title}: ConfigError naming ${named}`, () => {
      const error = configError(env)
      expect(error._tag).toBe("ConfigError")
      expect(error).toBeInstanceOf(Error)
      expect(error.message).toContain(named)
      expect(error.message).not.toContain("sekr3t-value")
    })
  }

  it("a complete environment gives a working client, attributed as the environment says", async () => {
    setEnv({
      CAPILLARY_BASE_URL: sim.url,
      CAPILLARY_CLIENT_KEY: SAMPLE_CLIENT.key,
      CAPILLARY_CLIENT_SECRET: SAMPLE_CLIENT.secret,
      CAPILLARY_ATTRIBUTION_TYPE: "STORE_CODE",
      CAPILLARY_ATTRIBUTION_CODE: "store2"
    })
    const cap = createCapillaryClient()
    try {
      const response = await cap.fetch("/v1.1/customer/add?format=json", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ root: { customer: [{ mobile: "919000000100" }] } })
      })
      expect(response.status).toBe(200)
      expect(sim.writes.at(-1)?.attribution).toEqual({ type: "STORE_CODE", code: "store2" })
    } finally {
      await cap.close()
    }
  })

  it("till credentials from the environment (CAPILLARY_TILL_ID + CAPILLARY_TILL_PASSWORD_MD5)", async () => {
    setEnv({
      CAPILLARY_BASE_URL: sim.url,
      CAPILLARY_TILL_ID: "store.server",
      CAPILLARY_TILL_PASSWORD_MD5: "8a16a6b70505eb1f1ff7cdc0cd5559a7"
    })
    const cap = createCapillaryClient()
    try {
      expect((await cap.fetch("/v2/customers/1")).status).toBe(200)
    } finally {
      await cap.close()
    }
  })
})
