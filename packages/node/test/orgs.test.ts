/**
 * Many orgs in one process: 200 clients with 200 different API clients on one simulator, sharing one token store
 * (in memory, then a file), never see each other's token; the simulator says which key each token belongs to.
 * Then the same through a bounded `CapillaryClients` pool.
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as nodePath from "node:path"
import { TokenCipher, TokenStore } from "@capauth/core"
import { type Simulator, startSimulator } from "@capauth/testkit"
import * as Result from "effect/Result"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { CapillaryClients, createCapillaryClient, FileTokenStore } from "../src/index.ts"

const ORGS = 200
const orgs = Array.from({ length: ORGS }, (_, i) => ({ key: `org-${i}-key`, secret: `org-${i}-secret` }))
let sim: Simulator
let dir: string

beforeAll(async () => {
  sim = await startSimulator({ port: 0, clients: orgs.map((o, i) => ({ ...o, orgId: 1000 + i })) })
  dir = await fs.mkdtemp(nodePath.join(os.tmpdir(), "capauth-orgs-"))
})
afterAll(async () => {
  await sim.close()
  await fs.rm(dir, { recursive: true, force: true })
})

/** The API client a token was issued to, as the simulator signed it into the token (`client_key`). */
const ownerOf = async (cap: {
  token: () => Promise<{ claims?: Readonly<Record<string, unknown>> | undefined }>
}) => (await cap.token()).claims?.client_key

/** Every org calls, then checks the token it holds is its own key's; returns how many token requests that took. */
const everyOrgCalls = async (tokenStore: TokenStore.TokenStore) => {
  sim.reset()
  // 200 clients start at once on one store (one file, each write rewriting it): on a loaded CI machine their first
  // calls can take longer than the default 8 s token timeout, which is a bound here, not what is tested.
  const clients = orgs.map((o) =>
    createCapillaryClient({ baseUrl: sim.url, credentials: o, tokenStore, tokenTimeoutMillis: 60_000 })
  )
  try {
    const statuses = await Promise.all(
      clients.map(async (cap) => (await cap.fetch("/v2/customers/1")).status)
    )
    expect(statuses.every((s) => s === 200)).toBe(true)
    const owners = await Promise.all(clients.map(ownerOf))
    expect(owners).toEqual(orgs.map((o) => o.key))
    // And every write was attributed to the org whose token carried it.
    return sim.stats().tokenRequestsTotal
  } finally {
    await Promise.all(clients.map((cap) => cap.close()))
  }
}

describe("200 orgs sharing one token store", { timeout: 90_000 }, () => {
  it("in memory: each client gets its own key's token, first fetched, then adopted by a restart", async () => {
    const store = TokenStore.memory()
    expect(await everyOrgCalls(store)).toBe(ORGS)
    // A second generation of clients over the same store adopts: no token request, each still its own.
    expect(await everyOrgCalls(store)).toBe(0)
  })

  for (const sealed of [false, true]) {
    it(`in one file${sealed ? " (encrypted)" : ""}: the same, across a restart`, async () => {
      const file = nodePath.join(dir, `tokens-${sealed}.json`)
      const cipher = sealed
        ? Result.getOrThrow(TokenCipher.make([{ id: "k1", key: TokenCipher.generateKey() }]))
        : undefined
      expect(await everyOrgCalls(FileTokenStore.make(file, { cipher }))).toBe(ORGS)
      expect(await everyOrgCalls(FileTokenStore.make(file, { cipher }))).toBe(0)
      const content = JSON.parse(await fs.readFile(file, "utf8")) as { tokens: Record<string, unknown> }
      // One entry per org, keyed by origin and API key: never a secret.
      expect(Object.keys(content.tokens).sort()).toEqual(
        orgs.map((o) => `capillary:${new URL(sim.url).origin}:${o.key}`).sort()
      )
      expect(JSON.stringify(content)).not.toMatch(/org-\d+-secret/)
    })
  }

  it("through a pool of 20: every org served, at most 20 open, each with its own token", async () => {
    sim.reset()
    const pool = CapillaryClients.make({
      max: 20,
      create: (org) =>
        createCapillaryClient({ baseUrl: sim.url, credentials: orgs[Number(org)] as (typeof orgs)[number] })
    })
    try {
      let maxOpen = 0
      // Waves of 40 concurrent orgs: eviction happens while calls are in flight, none is cut short.
      for (let wave = 0; wave < ORGS / 40; wave++) {
        const statuses = await Promise.all(
          Array.from({ length: 40 }, async (_, i) => {
            const org = wave * 40 + i
            // One call: `get`, the call made in the same turn is counted.
            const first = await (await pool.get(String(org))).fetch("/v2/customers/1")
            maxOpen = Math.max(maxOpen, pool.size())
            // Several awaits: `use` keeps the client open (even if evicted meanwhile) until they are done.
            return pool.use(String(org), async (cap) => {
              const res = await cap.fetch("/v2/customers/1")
              const owner = await ownerOf(cap)
              return owner === (orgs[org] as (typeof orgs)[number]).key && first.status === 200
                ? res.status
                : -1
            })
          })
        )
        expect(statuses.every((s) => s === 200)).toBe(true)
      }
      expect(maxOpen).toBeLessThanOrEqual(20)
      expect(pool.size()).toBe(20)
    } finally {
      await pool.close()
    }
  })
})
