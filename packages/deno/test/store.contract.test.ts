/**
 * The store contract (`@capauth/testkit/contract`) run against `DenoKvTokenStore`: each test gets a KV database
 * of its own in the directory scripts/test.sh passes (`-- <dir>`); `reopen` opens another handle on the same
 * database, as another process would. What is KV-specific (an interleaved write caught by the atomic check,
 * the prefix option, permissions, `scoped`, clients sharing a database) is in kv.test.ts.
 */
import { TokenCipher, type TokenStore } from "@capauth/core"
import { type ContractTokenStore, storeContract } from "@capauth/testkit/contract"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { DenoKvTokenStore } from "../mod.ts"

const dir = Deno.args[0]
if (dir === undefined)
  throw new Error(
    "store.contract.test.ts needs the KV directory: deno test ... -- <dir> (see scripts/test.sh)"
  )
let files = 0
const kvPath = () => `${dir}/contract-${++files}.sqlite`

/** The port's Effects as Promises, `get`'s Option as `undefined`. */
const promised = (store: TokenStore.TokenStore): ContractTokenStore<Redacted.Redacted<string>> => ({
  get: (key) => Effect.runPromise(Effect.map(store.get(key), Option.getOrUndefined)),
  set: (key, token) => Effect.runPromise(store.set(key, token)),
  remove: (key, value) => Effect.runPromise(store.remove(key, value))
})

const keys: Record<string, string> = {
  k1: TokenCipher.generateKey(),
  k2: TokenCipher.generateKey(),
  other: TokenCipher.generateKey()
}
const cipherOf = (...ids: ReadonlyArray<string>) =>
  Result.getOrThrow(TokenCipher.make(ids.map((id) => ({ id, key: keys[id] as string }))))
// The same key id with other bytes, and another id: neither opens k1's records.
const foreignCipher = Result.getOrThrow(
  TokenCipher.make([
    { id: "k1", key: keys.other as string },
    { id: "other", key: keys.other as string }
  ])
)

interface Sut {
  readonly path: string
  readonly handles: Array<DenoKvTokenStore.OwnedStore>
  readonly kv: Deno.Kv
}

// Once in clear, once sealed (the at-rest scenarios): the same contract either way.
for (const cipher of [undefined, cipherOf("k1")]) {
  const label = cipher === undefined ? "DenoKvTokenStore" : "DenoKvTokenStore (encrypted)"
  const another = async ({ path, handles }: Sut, with_ = cipher) => {
    const again = await DenoKvTokenStore.open(path, { cipher: with_ })
    handles.push(again)
    return promised(again)
  }
  storeContract({
    // Ops and resources are sanitized: a test that leaves a KV handle open fails.
    test: (name, fn) =>
      Deno.test({ name: `${label}: ${name}`, fn, sanitizeOps: true, sanitizeResources: true }),
    makeStore: async () => {
      const path = kvPath()
      const first = await DenoKvTokenStore.open(path, { cipher })
      const handles = [first]
      return {
        path,
        handles,
        kv: first.kv,
        store: promised(first),
        close: async () => {
          for (const handle of handles) handle.close()
        }
      }
    },
    reopen: (sut) => another(sut),
    // Something that is not a stored token under the store's own key.
    corrupt: async ({ kv }, key) => void (await kv.set(["capauth", "token", key], { value: 42 })),
    // A closed handle: every operation fails.
    broken: async () => {
      const store = await DenoKvTokenStore.open(kvPath(), { cipher })
      store.close()
      return { store: promised(store) }
    },
    redacted: Redacted,
    writeOrder: "newest-wins",
    inspect: (value) => Deno.inspect(value, { depth: 10 }),
    sealed:
      cipher === undefined
        ? undefined
        : {
            // Every entry of the database, keys and values, as a dump would show them.
            dump: async ({ kv }) => {
              const lines: Array<string> = []
              for await (const entry of kv.list({ prefix: [] }))
                lines.push(JSON.stringify([entry.key, entry.value]))
              return lines.join("\n")
            },
            rotated: (sut) => another(sut, cipherOf("k2", "k1")),
            foreign: (sut) => another(sut, foreignCipher)
          }
  })
}
