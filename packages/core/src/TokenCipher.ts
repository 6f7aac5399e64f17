/**
 * Tokens encrypted at rest: AES-256-GCM through WebCrypto (`globalThis.crypto.subtle`, in Node, Deno, browsers and
 * workers), for the stores that keep tokens outside memory (the Node file store, Deno KV, Redis). Each record is
 * sealed under the first key and names it by key id; reads accept any listed key id, so keys rotate by adding a
 * new key first and dropping the old one once its records have expired. The store key is bound to the record
 * (GCM additional data): a record copied under another key does not open. A record that does not open (unknown
 * key id, wrong key, altered bytes, a clear record) reads as absent: the manager then fetches a fresh token.
 *
 * Keys come from config: `CAPAUTH_TOKEN_KEYS` holds `id:base64` pairs separated by commas, the first used for new
 * writes, each key 32 random bytes in base64 (`openssl rand -base64 32`), e.g.
 * `CAPAUTH_TOKEN_KEYS=k2:Bq4…=,k1:9Zt…=`.
 *
 * @example
 * ```ts
 * import { TokenCipher } from "@capauth/core"
 * import { Effect, Result } from "effect"
 *
 * const cipher = Result.getOrThrow(TokenCipher.make([{ id: "k1", key: TokenCipher.generateKey() }]))
 * const program = Effect.gen(function* () {
 *   const sealed = yield* cipher.seal("secret text", "store-key")
 *   return yield* cipher.open(sealed, "store-key") // "secret text"
 * })
 * ```
 * @module
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import type { AccessToken } from "./AccessToken.ts"
import { ConfigError } from "./AuthError.ts"
import * as TokenStore from "./TokenStore.ts"

/**
 * A record could not be sealed or opened. `UnknownKey`: sealed under a key id this cipher does not hold;
 * `Unreadable`: not a sealed record, or it fails authentication (wrong key, altered bytes, another store key);
 * `Crypto`: WebCrypto itself failed. Carries no plaintext and no key.
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenCipherError extends Data.TaggedError("TokenCipherError")<{
  readonly reason: "UnknownKey" | "Unreadable" | "Crypto"
  readonly message: string
  readonly keyId?: string | undefined
}> {}

/**
 * A sealed record as stores keep it: JSON-safe, the key id in clear, the rest base64url.
 *
 * @since 0.1.0
 * @category models
 */
export interface Sealed {
  readonly sealed: "A256GCM"
  /** The id of the key it was sealed under. */
  readonly kid: string
  /** The 12-byte nonce, unique per seal. */
  readonly iv: string
  /** Ciphertext and tag. */
  readonly data: string
}

/**
 * A cipher over one or more keys: `seal` uses the first, `open` any of them.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenCipher {
  /** The key ids, the write key first. */
  readonly keyIds: ReadonlyArray<string>
  /** Encrypt `plaintext`, bound to `context` (the store key). */
  readonly seal: (plaintext: string, context: string) => Effect.Effect<Sealed, TokenCipherError>
  /** Decrypt a record sealed with `context`. */
  readonly open: (record: unknown, context: string) => Effect.Effect<string, TokenCipherError>
}

/**
 * One key: its id and 32 bytes (base64 or base64url text, or the bytes).
 *
 * @since 0.1.0
 * @category models
 */
export interface KeyInput {
  readonly id: string
  readonly key: string | Redacted.Redacted<string> | Uint8Array
}

/**
 * The environment variable `fromEnv` and `fromConfig` read.
 *
 * @since 0.1.0
 * @category environment
 */
export const envVar = "CAPAUTH_TOKEN_KEYS"

const idPattern = /^[A-Za-z0-9._-]{1,64}$/

const toBase64Url = (bytes: Uint8Array): string => {
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
}

/** Standard or URL alphabet, padded or not; `undefined` when it is not base64. */
const fromBase64 = (text: string): Uint8Array<ArrayBuffer> | undefined => {
  const normal = text.trim().replace(/-/g, "+").replace(/_/g, "/")
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normal)) return undefined
  try {
    const binary = atob(normal.padEnd(Math.ceil(normal.length / 4) * 4, "="))
    const bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
    return bytes
  } catch {
    return undefined
  }
}

/**
 * 32 random bytes as base64: a new key.
 *
 * @since 0.1.0
 * @category utils
 */
export const generateKey = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  return toBase64Url(bytes).replace(/-/g, "+").replace(/_/g, "/").padEnd(44, "=")
}

/**
 * Whether `u` has the shape of a sealed record (not whether it opens).
 *
 * @since 0.1.0
 * @category guards
 */
export const isSealed = (u: unknown): u is Sealed => {
  if (typeof u !== "object" || u === null) return false
  const r = u as Partial<Sealed>
  return (
    r.sealed === "A256GCM" &&
    typeof r.kid === "string" &&
    typeof r.iv === "string" &&
    typeof r.data === "string"
  )
}

const invalid = (field: string, message: string) => Result.fail(new ConfigError({ field, message }))

const encoder = new TextEncoder()
const decoder = new TextDecoder("utf-8", { fatal: true })

/**
 * A cipher over `keys` (the first seals). Fails with a `ConfigError` for no key, a bad or repeated id, or a key
 * that is not 32 bytes of base64. The keys are imported into WebCrypto (non-extractable) on first use.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  keys: ReadonlyArray<KeyInput>,
  field = "keys"
): Result.Result<TokenCipher, ConfigError> =>
  Result.gen(function* () {
    if (!Array.isArray(keys) || keys.length === 0) {
      return yield* invalid(field, `${field} needs at least one key: id:base64 of 32 random bytes`)
    }
    const raw = new Map<string, Uint8Array<ArrayBuffer>>()
    for (const [i, input] of keys.entries()) {
      const id = (input as Partial<KeyInput> | undefined)?.id
      if (typeof id !== "string" || !idPattern.test(id)) {
        return yield* invalid(
          field,
          `${field}: key ${i + 1} needs an id of 1-64 letters, digits, '.', '_' or '-'`
        )
      }
      if (raw.has(id)) return yield* invalid(field, `${field}: the key id "${id}" is listed twice`)
      const key = input.key
      const bytes =
        key instanceof Uint8Array
          ? new Uint8Array(key)
          : fromBase64(
              Redacted.isRedacted(key) ? Redacted.value(key as Redacted.Redacted<string>) : String(key)
            )
      if (bytes === undefined || bytes.length !== 32) {
        return yield* invalid(
          field,
          `${field}: the key "${id}" must be 32 bytes in base64 (44 characters; e.g. openssl rand -base64 32)`
        )
      }
      raw.set(id, bytes)
    }
    return makeFrom(raw)
  })

const makeFrom = (raw: Map<string, Uint8Array<ArrayBuffer>>): TokenCipher => {
  const keyIds = [...raw.keys()]
  const writeId = keyIds[0] as string
  const imported = new Map<string, Promise<CryptoKey>>()
  const cryptoKey = (id: string): Promise<CryptoKey> => {
    let key = imported.get(id)
    if (key === undefined) {
      key = crypto.subtle.importKey("raw", raw.get(id) as Uint8Array<ArrayBuffer>, "AES-GCM", false, [
        "encrypt",
        "decrypt"
      ])
      imported.set(id, key)
    }
    return key
  }
  const cryptoFailed = (what: string, keyId: string) => (cause: unknown) =>
    new TokenCipherError({
      reason: "Crypto",
      keyId,
      message: `WebCrypto could not ${what} (${cause instanceof Error ? cause.name : "error"})`
    })

  const seal = (plaintext: string, context: string): Effect.Effect<Sealed, TokenCipherError> =>
    Effect.tryPromise({
      try: async () => {
        const iv = crypto.getRandomValues(new Uint8Array(12))
        const data = await crypto.subtle.encrypt(
          { name: "AES-GCM", iv, additionalData: encoder.encode(context) },
          await cryptoKey(writeId),
          encoder.encode(plaintext)
        )
        return {
          sealed: "A256GCM",
          kid: writeId,
          iv: toBase64Url(iv),
          data: toBase64Url(new Uint8Array(data))
        } as const
      },
      catch: cryptoFailed("encrypt", writeId)
    })

  const open = (record: unknown, context: string): Effect.Effect<string, TokenCipherError> =>
    Effect.suspend(() => {
      if (!isSealed(record)) {
        return Effect.fail(new TokenCipherError({ reason: "Unreadable", message: "not a sealed record" }))
      }
      const { kid } = record
      if (!raw.has(kid)) {
        return Effect.fail(
          new TokenCipherError({
            reason: "UnknownKey",
            keyId: kid,
            message: `the record is sealed under key id "${kid.slice(0, 64)}", which is not configured`
          })
        )
      }
      const iv = fromBase64(record.iv)
      const data = fromBase64(record.data)
      if (iv === undefined || iv.length !== 12 || data === undefined) {
        return Effect.fail(
          new TokenCipherError({
            reason: "Unreadable",
            keyId: kid,
            message: "the sealed record is malformed"
          })
        )
      }
      return Effect.tryPromise({
        try: async () =>
          decoder.decode(
            await crypto.subtle.decrypt(
              { name: "AES-GCM", iv, additionalData: encoder.encode(context) },
              await cryptoKey(kid),
              data
            )
          ),
        catch: () =>
          new TokenCipherError({
            reason: "Unreadable",
            keyId: kid,
            message: `the record does not open with key "${kid}" (another key, another store key, or altered)`
          })
      })
    })

  return { keyIds, seal, open }
}

/**
 * A cipher from `id:base64` pairs separated by commas (the `CAPAUTH_TOKEN_KEYS` form), the first sealing.
 *
 * @since 0.1.0
 * @category constructors
 */
export const parse = (
  text: string | Redacted.Redacted<string>,
  field: string = envVar
): Result.Result<TokenCipher, ConfigError> => {
  const value = Redacted.isRedacted(text) ? Redacted.value(text) : text
  const pairs = value
    .split(",")
    .map((pair) => pair.trim())
    .filter((pair) => pair !== "")
  const keys: Array<KeyInput> = []
  for (const pair of pairs) {
    const at = pair.indexOf(":")
    if (at <= 0)
      return invalid(field, `${field} must be id:base64 pairs separated by commas, e.g. k1:<44 chars>`)
    keys.push({ id: pair.slice(0, at), key: Redacted.make(pair.slice(at + 1)) })
  }
  return make(keys, field)
}

/**
 * A cipher from `CAPAUTH_TOKEN_KEYS`, read through `lookup` (`(name) => process.env[name]`, `Deno.env.get`).
 * A missing variable is a `ConfigError` naming it.
 *
 * @since 0.1.0
 * @category environment
 */
export const fromEnv = (
  lookup: (name: typeof envVar) => string | undefined
): Result.Result<TokenCipher, ConfigError> => {
  const text = lookup(envVar)?.trim()
  return text === undefined || text === ""
    ? invalid(
        envVar,
        `${envVar} is not set: give id:base64 pairs, e.g. ${envVar}=k1:$(openssl rand -base64 32)`
      )
    : parse(text)
}

/**
 * A cipher from `CAPAUTH_TOKEN_KEYS` through Effect's current `ConfigProvider` (read as `Config.Redacted`).
 *
 * @since 0.1.0
 * @category environment
 */
export const fromConfig: Effect.Effect<TokenCipher, ConfigError> = /* @__PURE__ */ Effect.suspend(() =>
  Config.Redacted(envVar).pipe(
    Effect.mapError(
      (error) =>
        new ConfigError({ field: envVar, message: `${envVar} could not be read: ${error.cause.message}` })
    ),
    Effect.flatMap((text) => Effect.fromResult(parse(text)))
  )
)

/**
 * Seal a token for a store under `key` (the store key, bound to the record).
 *
 * @since 0.1.0
 * @category codecs
 */
export const sealToken = (
  cipher: TokenCipher,
  key: string,
  token: AccessToken
): Effect.Effect<Sealed, TokenCipherError> => cipher.seal(JSON.stringify(TokenStore.encode(token)), key)

/**
 * Open a stored record: the token, or none when it does not open (unknown key id, wrong key, a clear or corrupt
 * record). Never fails: an unreadable record is an absent one, and the manager fetches a fresh token.
 *
 * @since 0.1.0
 * @category codecs
 */
export const openToken = (
  cipher: TokenCipher,
  key: string,
  record: unknown
): Effect.Effect<Option.Option<AccessToken>> =>
  cipher.open(record, key).pipe(
    Effect.map((text) => {
      try {
        return TokenStore.decode(JSON.parse(text))
      } catch {
        return Option.none<AccessToken>()
      }
    }),
    Effect.catch((error) =>
      Effect.as(
        Effect.logDebug("capauth: a stored token record does not open; treated as absent", error.message),
        Option.none()
      )
    )
  )

/**
 * What a store writes for `token`: sealed with `cipher`, or the clear `StoredToken` without one.
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeToken = (
  cipher: TokenCipher | undefined,
  key: string,
  token: AccessToken
): Effect.Effect<Sealed | TokenStore.StoredToken, TokenCipherError> =>
  cipher === undefined ? Effect.succeed(TokenStore.encode(token)) : sealToken(cipher, key, token)

/**
 * What a store reads back: with `cipher`, only a record sealed under one of its keys; without, only a clear one.
 * Anything else is absent.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeToken = (
  cipher: TokenCipher | undefined,
  key: string,
  record: unknown
): Effect.Effect<Option.Option<AccessToken>> =>
  cipher === undefined ? Effect.succeed(TokenStore.decode(record)) : openToken(cipher, key, record)
