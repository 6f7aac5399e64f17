/**
 * A `TokenStore` in a local file, so a token survives restarts (CLIs, cron jobs, serverless warm starts) and is
 * shared by processes of one machine. Opt-in: the file holds the token in clear, protected by file mode
 * `0600` (owner only), unless a `cipher` is given: then each entry is sealed with AES-256-GCM (see
 * `TokenCipher`) and a copy of the file alone exposes no token. Writes are atomic: the new content goes to a temp file in the same directory
 * (`<file>.<pid>.<random>.tmp`, mode `0600`, fsynced) which is then renamed over the file, so a crash
 * mid-write leaves the old file or the new one, never a partial one. An unreadable or corrupt file reads as
 * empty (the manager then asks Capillary).
 *
 * Several processes writing at once: last writer wins per file; the manager re-reads before fetching, so
 * the worst case is one extra token request. Within a process, writes are serialised.
 *
 * @example
 * ```ts
 * import { createCapillaryClient, FileTokenStore } from "@capauth/node"
 *
 * const cap = createCapillaryClient({
 *   cluster: "eu",
 *   credentials: { key: process.env.CAPILLARY_CLIENT_KEY!, secret: process.env.CAPILLARY_CLIENT_SECRET! },
 *   tokenStore: FileTokenStore.make(`${process.env.HOME}/.cache/capauth/tokens.json`)
 * })
 * ```
 * @module
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs/promises"
import * as nodePath from "node:path"
import { TokenCipher, TokenStore } from "@capauth/core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

/** An entry: a clear `StoredToken`, or a sealed record when the store has a cipher. */
type Entry = TokenStore.StoredToken | TokenCipher.Sealed

interface FileShape {
  readonly version: 1
  readonly tokens: Record<string, Entry>
}

/**
 * The entries, keyed by source id, in an object with no prototype: an id such as `__proto__` or `constructor`
 * is an entry like any other, never an inherited property (JSON.parse and JSON.stringify keep it as such).
 */
const entries = (from: object = {}): Record<string, Entry> =>
  Object.assign(Object.create(null) as Record<string, Entry>, from)

const empty = (): FileShape => ({ version: 1, tokens: entries() })

const isMissing = (error: unknown) => (error as { code?: unknown } | null)?.code === "ENOENT"

/**
 * Parse the file's text; anything unexpected reads as empty.
 *
 * @since 0.1.0
 * @category codecs
 */
export const parse = (text: string): FileShape => {
  try {
    const json = JSON.parse(text) as Partial<FileShape> | null
    if (json === null || typeof json !== "object" || json.version !== 1) return empty()
    const tokens = json.tokens
    return tokens !== null && typeof tokens === "object" ? { version: 1, tokens: entries(tokens) } : empty()
  } catch {
    return empty()
  }
}

/**
 * The temp file name used for an atomic write of `path` (same directory, so `rename` is atomic).
 *
 * @since 0.1.0
 * @category utils
 */
export const tempPath = (path: string): string =>
  `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`

const fail = (what: string, path: string) => (cause: unknown) =>
  new TokenStore.TokenStoreError({
    message: `token file ${what} failed (${path}): ${(cause as { code?: string })?.code ?? "error"}`,
    cause
  })

/**
 * Options of a file store.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * Seal every entry (AES-256-GCM, see `TokenCipher`). Entries that do not open with it (sealed under an unknown
   * key id, or written in clear) read as absent and are replaced by the next write.
   */
  readonly cipher?: TokenCipher.TokenCipher | undefined
}

/**
 * A token store in the file at `path` (created with its directory on first write).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (path: string, options: Options = {}): TokenStore.TokenStore => {
  const file = nodePath.resolve(path)
  const { cipher } = options
  // Serialise this process's read-modify-write cycles so none overwrites another's entry.
  let queue: Promise<unknown> = Promise.resolve()
  const serial = <A>(task: () => Promise<A>): Promise<A> => {
    const next = queue.then(task, task)
    queue = next.catch(() => undefined)
    return next
  }

  const read = async (): Promise<FileShape> => {
    try {
      return parse(await fs.readFile(file, "utf8"))
    } catch (error) {
      if (isMissing(error)) return empty()
      throw error
    }
  }

  const write = async (content: FileShape): Promise<void> => {
    await fs.mkdir(nodePath.dirname(file), { recursive: true, mode: 0o700 })
    const temp = tempPath(file)
    const handle = await fs.open(temp, "wx", 0o600)
    try {
      await handle.writeFile(JSON.stringify(content), "utf8")
      await handle.sync()
    } finally {
      await handle.close()
    }
    try {
      await fs.rename(temp, file)
    } catch (error) {
      await fs.rm(temp, { force: true })
      throw error
    }
  }

  const update = (mutate: (content: FileShape) => boolean) =>
    serial(async () => {
      const content = await read()
      if (mutate(content)) await write(content)
    })

  const entry = (key: string) =>
    Effect.tryPromise({ try: async () => (await read()).tokens[key], catch: fail("read", file) })

  return {
    get: (key) =>
      Effect.flatMap(entry(key), (stored) =>
        stored === undefined ? Effect.succeedNone : TokenCipher.decodeToken(cipher, key, stored)
      ),
    set: (key, token) =>
      TokenCipher.encodeToken(cipher, key, token).pipe(
        Effect.mapError(fail("write", file)),
        Effect.flatMap((record) =>
          Effect.tryPromise({
            try: () =>
              update((content) => {
                content.tokens[key] = record
                return true
              }),
            catch: fail("write", file)
          })
        )
      ),
    remove: (key, value) =>
      Effect.gen(function* () {
        const stored = yield* entry(key)
        if (stored === undefined) return
        const current = yield* TokenCipher.decodeToken(cipher, key, stored)
        if (Option.isNone(current) || Redacted.value(current.value.value) !== Redacted.value(value)) return
        yield* Effect.tryPromise({
          try: () =>
            update((content) => {
              // Compare-and-delete: only if the entry is still the very record read above (each seal has
              // its own nonce, each clear entry its own value), so a newer token written since stays.
              if (!sameRecord(content.tokens[key], stored)) return false
              delete content.tokens[key]
              return true
            }),
          catch: fail("delete", file)
        })
      })
  }
}

const sameRecord = (a: Entry | undefined, b: Entry): boolean => {
  if (a === undefined) return false
  if (TokenCipher.isSealed(a) || TokenCipher.isSealed(b))
    return TokenCipher.isSealed(a) && TokenCipher.isSealed(b) && a.iv === b.iv && a.data === b.data
  return a.value === b.value
}
