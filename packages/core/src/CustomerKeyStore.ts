/**
 * Where a mobile customer session keeps its Auth Engine `key`: the long-lived secret (claim `rol` AUTH, no `exp`)
 * that `token/regenerate` trades for a new token. A session writes the key here when the customer logs in and
 * reads it back at each renewal; capauth keeps no other copy (unless a write fails: then in memory only, with a
 * warning). Pick a store that protects its data (the platform's keychain, an encrypted file); the default keeps
 * it in memory for the life of the process. Values are `Redacted` on both sides of the port.
 *
 * @example
 * ```ts
 * import { CustomerKeyStore } from "@capauth/core"
 *
 * declare const keychain: { read(name: string): Promise<string | null>; write(name: string, value: string): Promise<void> }
 *
 * const inMemory = CustomerKeyStore.memory() // the default
 * const secure = CustomerKeyStore.fromPromise({
 *   get: (id) => keychain.read(id),
 *   set: (id, key) => keychain.write(id, key)
 * })
 * ```
 * @module
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { TokenStoreError } from "./TokenStore.ts"

/**
 * A key store: read and write the key of a session id (not secret: Auth Engine host, brand and device).
 *
 * @since 0.1.0
 * @category models
 */
export interface CustomerKeyStore {
  readonly get: (id: string) => Effect.Effect<Option.Option<Redacted.Redacted<string>>, TokenStoreError>
  readonly set: (id: string, key: Redacted.Redacted<string>) => Effect.Effect<void, TokenStoreError>
}

/**
 * An in-memory store (the default): a key lives as long as the process.
 *
 * @since 0.1.0
 * @category constructors
 */
export const memory = (): CustomerKeyStore => {
  const entries = new Map<string, Redacted.Redacted<string>>()
  return {
    get: (id) => Effect.sync(() => Option.fromUndefinedOr(entries.get(id))),
    set: (id, key) => Effect.sync(() => void entries.set(id, key))
  }
}

/**
 * A store over Promise-returning functions (a keychain, a database, a file), for code without Effect. The key is
 * handed over in clear: only a medium that protects its data should hold it. A rejection becomes a
 * `TokenStoreError` (logged by the session; a failed read fails the renewal with `ServiceUnavailable`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromPromise = (medium: {
  readonly get: (id: string) => Promise<string | undefined | null>
  readonly set: (id: string, key: string) => Promise<void>
}): CustomerKeyStore => ({
  get: (id) =>
    Effect.map(
      Effect.tryPromise({
        try: () => medium.get(id),
        catch: (cause) => new TokenStoreError({ message: "customer key store read failed", cause })
      }),
      (value) =>
        typeof value === "string" && value !== "" ? Option.some(Redacted.make(value)) : Option.none()
    ),
  set: (id, key) =>
    Effect.tryPromise({
      try: () => medium.set(id, Redacted.value(key)),
      catch: (cause) => new TokenStoreError({ message: "customer key store write failed", cause })
    })
})

/**
 * Whether a value has the shape of a `CustomerKeyStore` (for config validation).
 *
 * @since 0.1.0
 * @category guards
 */
export const isCustomerKeyStore = (u: unknown): u is CustomerKeyStore =>
  typeof u === "object" &&
  u !== null &&
  typeof (u as { get?: unknown }).get === "function" &&
  typeof (u as { set?: unknown }).set === "function"
