import { inspect } from "node:util"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { describe, expect, it } from "vitest"
import type { AccessToken } from "../src/AccessToken.ts"
import * as TokenCipher from "../src/TokenCipher.ts"

const k1 = TokenCipher.generateKey()
const k2 = TokenCipher.generateKey()
const cipherOf = (text: string) => Result.getOrThrow(TokenCipher.parse(text))
const run = Effect.runPromise
const failure = <A>(effect: Effect.Effect<A, TokenCipher.TokenCipherError>) =>
  Effect.runPromise(Effect.flip(effect))
const configError = (result: Result.Result<unknown, { message: string; field?: string | undefined }>) => {
  expect(Result.isFailure(result)).toBe(true)
  return (result as Result.Failure<unknown, { message: string; field?: string | undefined }>).failure
}

const token: AccessToken = {
  value: Redacted.make("header.payload-of-a-token.signature"),
  obtainedAt: 1_000,
  refreshAt: 2_000,
  staleAt: 3_000,
  expiresAt: 4_000,
  lifetimeMillis: 3_000,
  claims: undefined
}

describe("TokenCipher", () => {
  it("seal then open round-trips; each seal has its own nonce; the plaintext is nowhere in the record", async () => {
    const cipher = cipherOf(`k1:${k1}`)
    const a = await run(cipher.seal("tök€n 🔑", "store-key"))
    const b = await run(cipher.seal("tök€n 🔑", "store-key"))
    expect(a.kid).toBe("k1")
    expect(a.iv).not.toBe(b.iv)
    expect(a.data).not.toBe(b.data)
    expect(JSON.stringify(a)).not.toContain("tök€n")
    expect(await run(cipher.open(a, "store-key"))).toBe("tök€n 🔑")
    expect(await run(cipher.open(JSON.parse(JSON.stringify(b)), "store-key"))).toBe("tök€n 🔑")
  })

  it("a record is bound to its store key, its bytes and its key", async () => {
    const cipher = cipherOf(`k1:${k1}`)
    const sealed = await run(cipher.seal("value", "key-a"))
    expect((await failure(cipher.open(sealed, "key-b"))).reason).toBe("Unreadable")
    const flipped = {
      ...sealed,
      data: `${sealed.data.slice(0, -2)}${sealed.data.endsWith("A") ? "B" : "A"}A`
    }
    expect((await failure(cipher.open(flipped, "key-a"))).reason).toBe("Unreadable")
    expect((await failure(cipherOf(`k1:${k2}`).open(sealed, "key-a"))).reason).toBe("Unreadable")
    const unknown = await failure(cipherOf(`k2:${k2}`).open(sealed, "key-a"))
    expect(unknown.reason).toBe("UnknownKey")
    expect(unknown.keyId).toBe("k1")
    for (const junk of [null, 42, "text", { value: "clear" }, { ...sealed, iv: "short" }])
      expect((await failure(cipher.open(junk, "key-a"))).reason).toBe("Unreadable")
  })

  it("rotation: the first key seals, every listed key opens", async () => {
    const old = await run(cipherOf(`k1:${k1}`).seal("old", "k"))
    const rotated = cipherOf(`k2:${k2}, k1:${k1}`)
    expect(rotated.keyIds).toEqual(["k2", "k1"])
    expect(await run(rotated.open(old, "k"))).toBe("old")
    expect((await run(rotated.seal("new", "k"))).kid).toBe("k2")
  })

  it("sealToken / openToken: a token round-trips; anything that does not open is absent, never a failure", async () => {
    const cipher = cipherOf(`k1:${k1}`)
    const sealed = await run(TokenCipher.sealToken(cipher, "k", token))
    const back = await run(TokenCipher.openToken(cipher, "k", sealed))
    expect(Option.isSome(back) && Redacted.value(back.value.value)).toBe(Redacted.value(token.value))
    expect(Option.isSome(back) && back.value.expiresAt).toBe(4_000)
    expect(Option.isNone(await run(TokenCipher.openToken(cipherOf(`k9:${k2}`), "k", sealed)))).toBe(true)
    expect(Option.isNone(await run(TokenCipher.openToken(cipher, "other", sealed)))).toBe(true)
    // A clear record under a cipher, a sealed one without: absent.
    expect(
      Option.isNone(await run(TokenCipher.decodeToken(cipher, "k", { value: "clear", obtainedAt: 1 })))
    ).toBe(true)
    expect(Option.isNone(await run(TokenCipher.decodeToken(undefined, "k", sealed)))).toBe(true)
  })

  it("bad keys are ConfigErrors that say what to fix and show no key material", () => {
    const cases: ReadonlyArray<readonly [string, RegExp]> = [
      ["", /at least one key/],
      ["k1", /id:base64 pairs/],
      [":abc", /id:base64 pairs/],
      [`k1:${k1.slice(0, 20)}`, /32 bytes in base64/],
      ["k1:not base64!!", /32 bytes in base64/],
      [`k1:${k1},k1:${k2}`, /listed twice/],
      [`bad id:${k1}`, /needs an id/]
    ]
    for (const [text, message] of cases) {
      const error = configError(TokenCipher.parse(text))
      expect(error.message).toMatch(message)
      expect(error.field).toBe("CAPAUTH_TOKEN_KEYS")
      expect(`${error.message} ${inspect(error)}`).not.toContain(k1.slice(0, 20))
    }
    expect(configError(TokenCipher.fromEnv(() => undefined)).message).toMatch(/CAPAUTH_TOKEN_KEYS is not set/)
    expect(Result.isSuccess(TokenCipher.fromEnv(() => `k1:${k1}`))).toBe(true)
    // base64url and unpadded forms are accepted; bytes too.
    expect(
      Result.isSuccess(
        TokenCipher.parse(`k1:${k1.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`)
      )
    ).toBe(true)
    expect(Result.isSuccess(TokenCipher.make([{ id: "raw", key: new Uint8Array(32) }]))).toBe(true)
  })

  it("a cipher shows no key in inspect or JSON; fromConfig reads CAPAUTH_TOKEN_KEYS through the ConfigProvider", async () => {
    const cipher = cipherOf(`k1:${k1}`)
    expect(`${inspect(cipher, { depth: 10 })} ${JSON.stringify(cipher)}`).not.toContain(k1.slice(0, 20))
    const fromConfig = (env: Record<string, string>) =>
      Effect.runPromise(
        Effect.result(
          Effect.provideService(
            TokenCipher.fromConfig,
            ConfigProvider.ConfigProvider,
            ConfigProvider.fromEnv({ env })
          )
        )
      )
    const ok = await fromConfig({ CAPAUTH_TOKEN_KEYS: `k2:${k2},k1:${k1}` })
    expect(Result.isSuccess(ok) && ok.success.keyIds).toEqual(["k2", "k1"])
    const missing = await fromConfig({})
    expect(Result.isFailure(missing) && missing.failure.field).toBe("CAPAUTH_TOKEN_KEYS")
  })
})
