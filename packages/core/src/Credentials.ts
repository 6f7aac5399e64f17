/**
 * The two ways to authenticate against Capillary: an OAuth API client (key + secret, server to server) and a
 * POS till (Basic auth with the md5 of the till password). Secrets are `Redacted` from the moment they enter.
 *
 * @example
 * ```ts
 * import { Credentials } from "@capauth/core"
 * import { Redacted, Result } from "effect"
 *
 * const client = Credentials.oauthClient({ key: "k", secret: Redacted.make("s") })
 * const till = Credentials.till({ id: "store.server", password: Redacted.make("server123") })
 * Result.isSuccess(till) // true
 * ```
 * @module
 * @since 0.1.0
 */
import { md5 } from "@noble/hashes/legacy.js"
import { bytesToHex } from "@noble/hashes/utils.js"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { ConfigError } from "./AuthError.ts"

/**
 * An OAuth API client of an org (created by an org admin; the secret is shown once).
 *
 * @since 0.1.0
 * @category models
 */
export interface OAuthClient {
  readonly _tag: "OAuthClient"
  readonly key: string
  readonly secret: Redacted.Redacted<string>
}

/**
 * A POS till. Only the md5 of the password is kept; the plain password is dropped at construction.
 *
 * @since 0.1.0
 * @category models
 */
export interface Till {
  readonly _tag: "Till"
  readonly id: string
  readonly passwordMd5: Redacted.Redacted<string>
}

/**
 * Any credentials capauth can use.
 *
 * @since 0.1.0
 * @category models
 */
export type Credentials = OAuthClient | Till

type Secret = string | Redacted.Redacted<string>

/**
 * What users may pass: plain objects, with secrets as strings or `Redacted`.
 *
 * @since 0.1.0
 * @category models
 */
export type CredentialsInput =
  | { readonly key: string; readonly secret: Secret }
  | { readonly till: string; readonly password: Secret }
  | { readonly till: string; readonly passwordMd5: Secret }

const reveal = (s: Secret): string => (Redacted.isRedacted(s) ? Redacted.value(s) : s)

/**
 * A non-blank string, taken as is: surrounding whitespace (a common `.env` or copy-paste mistake) is refused,
 * never trimmed, since the server would refuse it anyway and the cause would be hard to see.
 */
const required = (value: unknown, field: string): Result.Result<string, ConfigError> =>
  typeof value !== "string" || value.trim() === ""
    ? Result.fail(new ConfigError({ field, message: `${field} is required and must be a non-empty string` }))
    : value !== value.trim()
      ? Result.fail(
          new ConfigError({
            field,
            message: `${field} has leading or trailing whitespace (a space, tab or newline): remove it`
          })
        )
      : Result.succeed(value)

/**
 * An OAuth client; fails with a ConfigError naming the missing field.
 *
 * @since 0.1.0
 * @category constructors
 */
export const oauthClient = (input: {
  readonly key: string
  readonly secret: Secret
}): Result.Result<OAuthClient, ConfigError> =>
  Result.gen(function* () {
    const key = yield* required(input.key, "key")
    const secret = yield* required(input.secret === undefined ? undefined : reveal(input.secret), "secret")
    return { _tag: "OAuthClient", key, secret: Redacted.make(secret) } as const
  })

/**
 * Lowercase hex md5 of a password, as Capillary's Basic scheme wants it.
 *
 * @since 0.1.0
 * @category utils
 */
export const md5Hex = (password: string): string => bytesToHex(md5(new TextEncoder().encode(password)))

const md5Pattern = /^[0-9a-f]{32}$/i

/**
 * A till from its id and either the plain password or its md5 (32 hex characters).
 *
 * @since 0.1.0
 * @category constructors
 */
export const till = (
  input:
    | { readonly id: string; readonly password: Secret }
    | { readonly id: string; readonly passwordMd5: Secret }
): Result.Result<Till, ConfigError> =>
  Result.gen(function* () {
    const id = yield* required(input.id, "till")
    if (id.includes(":")) {
      return yield* Result.fail(new ConfigError({ field: "till", message: "till must not contain ':'" }))
    }
    if ("passwordMd5" in input && input.passwordMd5 !== undefined) {
      const hash = yield* required(reveal(input.passwordMd5), "passwordMd5")
      if (!md5Pattern.test(hash)) {
        return yield* Result.fail(
          new ConfigError({
            field: "passwordMd5",
            message: "passwordMd5 must be the md5 of the till password as 32 hexadecimal characters"
          })
        )
      }
      return { _tag: "Till", id, passwordMd5: Redacted.make(hash.toLowerCase()) } as const
    }
    const password = yield* required("password" in input ? reveal(input.password) : undefined, "password")
    return { _tag: "Till", id, passwordMd5: Redacted.make(md5Hex(password)) } as const
  })

/**
 * Credentials from the user-facing input shape (`{key, secret}`, `{till, password}` or `{till, passwordMd5}`).
 * A `ConfigError` names the field to fix: a missing or blank value, whitespace around a key, secret, till id or
 * password (refused, never trimmed), or OAuth and till credentials given together.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromInput = (input: CredentialsInput | undefined): Result.Result<Credentials, ConfigError> => {
  if (input === undefined || input === null || typeof input !== "object") {
    return Result.fail(
      new ConfigError({
        field: "credentials",
        message: "credentials are required: { key, secret } or { till, password } or { till, passwordMd5 }"
      })
    )
  }
  const given = input as Record<string, unknown>
  const oauth = given.key !== undefined || given.secret !== undefined
  if (
    oauth &&
    (given.till !== undefined || given.password !== undefined || given.passwordMd5 !== undefined)
  ) {
    return Result.fail(
      new ConfigError({
        field: "credentials",
        message:
          "credentials holds both an OAuth client (key, secret) and a till (till, password or passwordMd5): pass one of them"
      })
    )
  }
  if ("key" in input || "secret" in input) return oauthClient(input as { key: string; secret: Secret })
  if ("till" in input) {
    return "passwordMd5" in input
      ? till({ id: input.till, passwordMd5: input.passwordMd5 })
      : till({ id: input.till, password: (input as { password: Secret }).password })
  }
  return Result.fail(
    new ConfigError({
      field: "credentials",
      message: "credentials must be { key, secret } or { till, password } or { till, passwordMd5 }"
    })
  )
}

/**
 * Credentials in order of preference: one (`{key, secret}`, a till) or an ordered list of OAuth clients (a
 * rotation: the first that works is used, the next when one is refused, see `TokenSource.fallback`). A list must
 * be non-empty, hold only OAuth clients (a till has no token endpoint to try it against), and no key twice. A
 * `ConfigError` names the entry, e.g. `credentials[1].secret`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromInputList = (
  input: CredentialsInput | ReadonlyArray<CredentialsInput> | undefined
): Result.Result<readonly [Credentials, ...Array<OAuthClient>], ConfigError> => {
  if (!Array.isArray(input)) return Result.map(fromInput(input as CredentialsInput | undefined), (c) => [c])
  const list = input as ReadonlyArray<CredentialsInput>
  if (list.length === 0) {
    return Result.fail(
      new ConfigError({
        field: "credentials",
        message: "credentials is an empty list: give at least { key, secret }"
      })
    )
  }
  const clients: Array<OAuthClient> = []
  for (const [i, item] of list.entries()) {
    const field = `credentials[${i}]`
    const parsed = fromInput(item)
    if (Result.isFailure(parsed)) {
      const inner = parsed.failure
      const at =
        inner.field === undefined || inner.field === "credentials" ? field : `${field}.${inner.field}`
      return Result.fail(new ConfigError({ field: at, message: `${field}: ${inner.message}` }))
    }
    const credentials = parsed.success
    if (credentials._tag !== "OAuthClient") {
      return Result.fail(
        new ConfigError({
          field,
          message: `${field} is a till: a credential list holds OAuth clients ({ key, secret }) only`
        })
      )
    }
    if (clients.some((c) => c.key === credentials.key)) {
      return Result.fail(
        new ConfigError({ field: `${field}.key`, message: `${field}.key is listed twice: each client once` })
      )
    }
    clients.push(credentials)
  }
  const [first, ...rest] = clients
  return Result.succeed([first as OAuthClient, ...rest])
}
