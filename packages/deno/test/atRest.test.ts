/**
 * Deno KV at rest with the facade: with a cipher the database holds no token; another key rotation order reads
 * the old entries; a database sealed under keys this process lacks reads as absent (a fresh token, no failure).
 * The KV directory comes from scripts/test.sh (`-- <dir>`).
 */
import assert from "node:assert/strict"
import { SAMPLE_CLIENT, startSimulator } from "@capauth/testkit"
import * as Result from "effect/Result"
import { createCapillaryClient, DenoKvTokenStore, TokenCipher } from "../mod.ts"

const dir = Deno.args[0]
if (dir === undefined)
  throw new Error("atRest.test.ts needs the KV directory: deno test ... -- <dir> (see scripts/test.sh)")
let files = 0
const kvPath = () => `${dir}/at-rest-${++files}.sqlite`
const credentials = { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }
const k1 = TokenCipher.generateKey()
const k2 = TokenCipher.generateKey()
const cipher = (text: string) => Result.getOrThrow(TokenCipher.parse(text))

Deno.test("Deno KV sealed: no token in the database, rotation reads old entries, unknown keys mean a fresh token", async () => {
  const sim = await startSimulator({ seed: 7 })
  const path = kvPath()
  /** One call through a client over the database with `keys`; returns how many tokens it fetched. */
  const callWith = async (keys: string) => {
    const store = await DenoKvTokenStore.open(path, { cipher: cipher(keys) })
    const cap = createCapillaryClient({ baseUrl: sim.url, credentials, tokenStore: store })
    try {
      assert.equal((await cap.fetch("/v2/customers/1")).status, 200)
      return (await cap.stats()).fetched
    } finally {
      await cap.close()
      store.close()
    }
  }
  try {
    assert.equal(await callWith(`k1:${k1}`), 1)
    // The dump: every entry of the database.
    const kv = await Deno.openKv(path)
    const lines: Array<string> = []
    for await (const entry of kv.list({ prefix: [] })) lines.push(JSON.stringify([entry.key, entry.value]))
    kv.close()
    const dump = lines.join("\n")
    const token = sim.tokens.at(-1)?.token ?? ""
    assert.ok(token.length > 0)
    for (const part of token.split("."))
      assert.ok(!dump.includes(part), "a part of the token shows in the dump")
    assert.ok(dump.includes('"kid":"k1"'))
    // A rotation (a new key first, the old one listed): the old entry is adopted.
    assert.equal(await callWith(`k2:${k2},k1:${k1}`), 0)
    // Keys that do not open it: absent, a fresh token, never an error.
    assert.equal(await callWith(`k9:${k2}`), 1)
    assert.equal(sim.stats().tokenRequestsTotal, 2)
  } finally {
    await sim.close()
  }
})
