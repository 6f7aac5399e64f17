/**
 * Tokens at rest in the file store with the facade: what a copy of the file shows with and without a cipher,
 * a restart that rotated keys, and a file sealed under keys the process does not hold.
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as nodePath from "node:path"
import { TokenCipher } from "@capauth/core"
import { SAMPLE_CLIENT, type Simulator, startSimulator } from "@capauth/testkit"
import * as Result from "effect/Result"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { createCapillaryClient, FileTokenStore } from "../src/index.ts"

let dir: string
let file: string
let n = 0
let sim: Simulator

beforeAll(async () => {
  dir = await fs.mkdtemp(nodePath.join(os.tmpdir(), "capauth-at-rest-"))
  sim = await startSimulator({ port: 0 })
})
afterAll(async () => {
  await sim.close()
  await fs.rm(dir, { recursive: true, force: true })
})
beforeEach(() => {
  file = nodePath.join(dir, `sub-${++n}`, "tokens.json")
  sim.reset()
})

const k1 = TokenCipher.generateKey()
const k2 = TokenCipher.generateKey()
const cipher = (text: string) => Result.getOrThrow(TokenCipher.parse(text))

/** One call through a client over the file with `tokenCipher` (or none); returns its manager's stats. */
const callWith = async (tokenCipher: TokenCipher.TokenCipher | undefined) => {
  const cap = createCapillaryClient({
    baseUrl: sim.url,
    credentials: { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret },
    tokenStore: FileTokenStore.make(file, { cipher: tokenCipher })
  })
  try {
    expect((await cap.fetch("/v2/customers/1")).status).toBe(200)
    return await cap.stats()
  } finally {
    await cap.close()
  }
}

const issued = () => sim.tokens.map((t) => t.token)

describe("FileTokenStore at rest", () => {
  it("without a cipher, a copy of the file holds the token itself (what a leak exposes)", async () => {
    await callWith(undefined)
    const dump = await fs.readFile(file, "utf8")
    expect(issued()).toHaveLength(1)
    expect(dump).toContain(issued()[0])
  })

  it("with a cipher, the file holds no token, claim or secret; a restart with the key adopts it", async () => {
    await callWith(cipher(`k1:${k1}`))
    const dump = await fs.readFile(file, "utf8")
    const [token] = issued()
    expect(token).toBeDefined()
    for (const part of (token as string).split(".")) expect(dump).not.toContain(part)
    expect(dump).not.toContain(SAMPLE_CLIENT.secret)
    expect(dump).not.toContain(k1)
    expect(dump).toContain('"kid":"k1"')
    const stats = await callWith(cipher(`k1:${k1}`))
    expect(stats.fetched).toBe(0) // adopted from the file
    expect(sim.stats().tokenRequestsTotal).toBe(1)
  })

  it("after a key rotation (a new first key, the old one still listed) the old record is read; new writes use the new key", async () => {
    await callWith(cipher(`k1:${k1}`))
    const stats = await callWith(cipher(`k2:${k2},k1:${k1}`))
    expect(stats.fetched).toBe(0)
    expect(sim.stats().tokenRequestsTotal).toBe(1)
    // The next token written is sealed under k2.
    sim.expireAllTokens()
    await callWith(cipher(`k2:${k2},k1:${k1}`))
    expect(await fs.readFile(file, "utf8")).toContain('"kid":"k2"')
  })

  it("a file sealed under keys this process lacks reads as absent: a fresh token, no failure", async () => {
    await callWith(cipher(`k1:${k1}`))
    // Same key id, other bytes: authentication fails. Then an unknown key id.
    for (const keys of [`k1:${k2}`, `k9:${k2}`]) {
      const stats = await callWith(cipher(keys))
      expect(stats.fetched).toBe(1)
    }
    expect(sim.stats().tokenRequestsTotal).toBe(3)
    // And a clear file under a cipher, or a sealed one without: absent as well.
    await callWith(undefined)
    expect(sim.stats().tokenRequestsTotal).toBe(4)
    expect((await callWith(cipher(`k9:${k2}`))).fetched).toBe(1)
  })
})
