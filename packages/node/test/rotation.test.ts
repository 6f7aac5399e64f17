/**
 * Rotation without downtime: `credentials` as an ordered list, against the simulator. The API client in use is
 * deleted (or disabled) mid-run; the next one takes over in the same flight, one `CredentialSwitched` event says
 * so, and no caller fails.
 */
import { type TokenManager, TokenStore } from "@capauth/core"
import { type Simulator, startSimulator } from "@capauth/testkit"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { createCapillaryClient } from "../src/index.ts"

let sim: Simulator
let n = 0
let oldClient: { key: string; secret: string }
let newClient: { key: string; secret: string }

beforeEach(async () => {
  n++
  oldClient = { key: `old-client-${n}`, secret: `old-secret-${n}` }
  newClient = { key: `new-client-${n}`, secret: `new-secret-${n}` }
  sim = await startSimulator({ port: 0, clients: [oldClient, newClient] })
})
afterEach(async () => {
  await sim.close()
})

const ownerOf = (token: string) => sim.tokens.find((t) => t.token === token)?.clientKey
const id = (key: string) => `capillary:${new URL(sim.url).origin}:${key}`

describe("credentials as an ordered list", () => {
  for (const [how, remove] of [
    ["deleted", (key: string) => sim.deleteClient(key)],
    ["disabled", (key: string) => sim.disableClient(key)]
  ] as const) {
    it(`the client in use ${how} mid-run: the next takes over at once, one warning event, no caller fails`, async () => {
      const store = TokenStore.memory()
      const cap = createCapillaryClient({
        baseUrl: sim.url,
        credentials: [oldClient, newClient],
        tokenStore: store
      })
      const events: Array<TokenManager.TokenEvent> = []
      const stop = cap.onEvent((event) => events.push(event))
      try {
        const burst = async (count: number) =>
          (await Promise.all(Array.from({ length: count }, () => cap.fetch("/v2/customers/1")))).map(
            (r) => r.status
          )
        expect(await burst(20)).toEqual(Array(20).fill(200))
        expect(ownerOf(Redacted.value((await cap.token()).value))).toBe(oldClient.key)
        remove(oldClient.key)
        // The old client's token now answers 401: every caller is replayed with a token of the new client.
        expect(await burst(20)).toEqual(Array(20).fill(200))
        expect(ownerOf(Redacted.value((await cap.token()).value))).toBe(newClient.key)
        expect(await burst(5)).toEqual(Array(5).fill(200))
        await new Promise((resolve) => setImmediate(resolve))
        const switched = events.filter((e) => e._tag === "CredentialSwitched")
        expect(switched).toEqual([
          { _tag: "CredentialSwitched", from: id(oldClient.key), to: id(newClient.key) }
        ])
        expect(events.some((e) => e._tag === "Failed")).toBe(false)
        // One rejected request for the old client, then one for the new: no cooldown, no retry storm.
        expect(sim.stats().tokenRequests).toEqual({ [oldClient.key]: 2, [newClient.key]: 1 })
        // The store key follows the credential in use: the new client's token is under the new client's id.
        const stored = await Effect.runPromise(store.get(id(newClient.key)))
        expect(Option.isSome(stored) && ownerOf(Redacted.value(stored.value.value))).toBe(newClient.key)
        expect(Option.isNone(await Effect.runPromise(store.get(id(oldClient.key))))).toBe(true)
        // No secret in any event.
        expect(JSON.stringify(events)).not.toMatch(/secret-/)
      } finally {
        stop()
        await cap.close()
      }
    })
  }

  it("the first client already gone at start: the second serves the first call", async () => {
    sim.deleteClient(oldClient.key)
    const cap = createCapillaryClient({ baseUrl: sim.url, credentials: [oldClient, newClient] })
    try {
      expect((await cap.fetch("/v2/customers/1")).status).toBe(200)
      expect(ownerOf(Redacted.value((await cap.token()).value))).toBe(newClient.key)
    } finally {
      await cap.close()
    }
  })

  it("every client refused: the caller gets InvalidCredentials, and no secret in it", async () => {
    sim.deleteClient(oldClient.key)
    sim.deleteClient(newClient.key)
    const cap = createCapillaryClient({ baseUrl: sim.url, credentials: [oldClient, newClient] })
    try {
      const error = (await cap.fetch("/v2/customers/1").catch((e: unknown) => e)) as Error & { _tag: string }
      expect(error._tag).toBe("InvalidCredentials")
      expect(`${error.message} ${JSON.stringify(error)}`).not.toMatch(/secret-/)
      expect(sim.stats().tokenRequests).toEqual({ [oldClient.key]: 1, [newClient.key]: 1 })
    } finally {
      await cap.close()
    }
  })

  it("a transient failure is no reason to switch: the client in use is retried", async () => {
    sim.faults.add({ path: "/v3/oauth/token/generate", fault: { kind: "status", status: 503 }, times: 1 })
    const cap = createCapillaryClient({ baseUrl: sim.url, credentials: [oldClient, newClient] })
    try {
      expect((await cap.fetch("/v2/customers/1")).status).toBe(200)
      expect(ownerOf(Redacted.value((await cap.token()).value))).toBe(oldClient.key)
      expect(sim.stats().tokenRequests).toEqual({ [oldClient.key]: 2 })
    } finally {
      await cap.close()
    }
  })

  it("CAPILLARY_CLIENT_KEY_2 / CAPILLARY_CLIENT_SECRET_2 give the second client", async () => {
    const saved = { ...process.env }
    Object.assign(process.env, {
      CAPILLARY_BASE_URL: sim.url,
      CAPILLARY_CLIENT_KEY: oldClient.key,
      CAPILLARY_CLIENT_SECRET: oldClient.secret,
      CAPILLARY_CLIENT_KEY_2: newClient.key,
      CAPILLARY_CLIENT_SECRET_2: newClient.secret
    })
    try {
      sim.deleteClient(oldClient.key)
      const cap = createCapillaryClient()
      try {
        expect((await cap.fetch("/v2/customers/1")).status).toBe(200)
        expect(ownerOf(Redacted.value((await cap.token()).value))).toBe(newClient.key)
      } finally {
        await cap.close()
      }
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
      Object.assign(process.env, saved)
    }
  })
})
