/**
 * The store contract (`@capauth/testkit/contract`) run against `FileTokenStore`: each test gets a file of its
 * own in a temp directory; `reopen` is another store over the same file (a restart, another process).
 * What is file-specific (mode 0600, atomic writes under SIGKILL, the facade over a file) is in
 * FileTokenStore.test.ts.
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as nodePath from "node:path"
import { inspect } from "node:util"
import { TokenCipher, type TokenStore } from "@capauth/core"
import { type ContractTokenStore, storeContract } from "@capauth/testkit/contract"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { afterAll, beforeAll, describe, it } from "vitest"
import { FileTokenStore } from "../src/index.ts"

/** The port's Effects as Promises, `get`'s Option as `undefined`. */
const promised = (store: TokenStore.TokenStore): ContractTokenStore<Redacted.Redacted<string>> => ({
  get: (key) => Effect.runPromise(Effect.map(store.get(key), Option.getOrUndefined)),
  set: (key, token) => Effect.runPromise(store.set(key, token)),
  remove: (key, value) => Effect.runPromise(store.remove(key, value))
})

let dir: string
let n = 0
beforeAll(async () => {
  dir = await fs.mkdtemp(nodePath.join(os.tmpdir(), "capauth-store-contract-"))
})
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true })
})

const cipherOf = (...ids: ReadonlyArray<string>) =>
  Result.getOrThrow(TokenCipher.make(ids.map((id) => ({ id, key: keys[id] as string }))))
const keys: Record<string, string> = {
  k1: TokenCipher.generateKey(),
  k2: TokenCipher.generateKey(),
  other: TokenCipher.generateKey()
}

// Once in clear, once sealed (the at-rest scenarios): the same contract either way.
for (const cipher of [undefined, cipherOf("k1")]) {
  const open = (file: string, with_ = cipher) => FileTokenStore.make(file, { cipher: with_ })
  describe(`FileTokenStore${cipher === undefined ? "" : " (encrypted)"}: the store contract`, () => {
    storeContract({
      test: (name, fn) => void it(name, fn),
      makeStore: async () => {
        const file = nodePath.join(dir, `store-${++n}`, "tokens.json")
        return { file, store: promised(open(file)) }
      },
      reopen: async ({ file }) => promised(open(file)),
      // An entry that is not a token (a number where the value should be), the file's other entries intact.
      corrupt: async ({ file }, key) => {
        const text = await fs.readFile(file, "utf8").catch(() => '{"version":1,"tokens":{}}')
        const content = JSON.parse(text) as { tokens: Record<string, unknown> }
        Object.defineProperty(content.tokens, key, { value: { value: 42 }, enumerable: true })
        await fs.writeFile(file, JSON.stringify(content), { mode: 0o600 })
      },
      // A directory where the file should be: every read and write fails.
      broken: async () => {
        const file = nodePath.join(dir, `broken-${++n}`, "tokens.json")
        await fs.mkdir(file, { recursive: true })
        return { store: promised(open(file)) }
      },
      redacted: Redacted,
      writeOrder: "last-write-wins",
      inspect: (value) => inspect(value, { depth: 10 }),
      sealed:
        cipher === undefined
          ? undefined
          : {
              dump: ({ file }) => fs.readFile(file, "utf8"),
              rotated: async ({ file }) => promised(open(file, cipherOf("k2", "k1"))),
              // The same key id with other bytes, and another id: neither opens k1's records.
              foreign: async ({ file }) =>
                promised(
                  open(
                    file,
                    Result.getOrThrow(
                      TokenCipher.make([
                        { id: "k1", key: keys.other as string },
                        { id: "other", key: keys.other as string }
                      ])
                    )
                  )
                )
            }
    })
  })
}
