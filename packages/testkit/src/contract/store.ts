/**
 * The contract of a capauth `TokenStore` (`TokenStore.memory`, `TokenStore.fromKeyValue`, the Node file store,
 * Deno KV, Redis later), written once and run by a thin runner per store: what `get`, `set` and
 * compare-and-delete `remove` must do, alone, concurrently and (where the store has one) across a restart.
 *
 * The suite imports neither `@capauth/core` nor `effect`: a runner hands it the store with Promise-returning
 * operations (`Effect.runPromise` over the port's Effects, `Option.getOrUndefined` over `get`) and the
 * `Redacted` functions of its runtime. Tokens are plain values built here (the shape of core's `AccessToken`);
 * time is nothing but those values: no test sleeps or reads a clock.
 *
 * @example
 * // vitest, over @capauth/core
 * const promised = (store: TokenStore.TokenStore): ContractTokenStore<Redacted.Redacted<string>> => ({
 *   get: (key) => Effect.runPromise(Effect.map(store.get(key), Option.getOrUndefined)),
 *   set: (key, token) => Effect.runPromise(store.set(key, token)),
 *   remove: (key, value) => Effect.runPromise(store.remove(key, value))
 * })
 * describe("TokenStore.memory", () => {
 *   storeContract({
 *     test: (name, fn) => void it(name, fn),
 *     makeStore: async () => ({ store: promised(TokenStore.memory()) }),
 *     redacted: Redacted,
 *     writeOrder: "last-write-wins"
 *   })
 * })
 * // A persistent store adds `reopen` (another instance over the same backing), and may add `corrupt`, `broken`;
 * // a store with a `TokenCipher` adds `sealed` (a dump of its backing, stores over it with other keys).
 * @module
 * @since 0.1.0
 */
import assert from "node:assert/strict"

// ---------------------------------------------------------------------------------------------------------
// What a runner supplies.

/**
 * A token as a store holds it: the fields of `AccessToken` of `@capauth/core`, its value opaque (`Redacted`).
 *
 * @since 0.1.0
 * @category models
 */
export interface StoreToken<Value> {
  readonly value: Value
  readonly obtainedAt: number
  readonly refreshAt: number
  readonly staleAt: number
  readonly expiresAt: number
  readonly lifetimeMillis: number
  readonly claims: Readonly<Record<string, unknown>> | undefined
}

/**
 * The `TokenStore` port with Promises: `get` resolves `undefined` for an absent entry; failures reject.
 *
 * @since 0.1.0
 * @category models
 */
export interface ContractTokenStore<Value> {
  readonly get: (key: string) => Promise<StoreToken<Value> | undefined>
  readonly set: (key: string, token: StoreToken<Value>) => Promise<void>
  /** Compare-and-delete: removes the entry only if it still holds `value`. */
  readonly remove: (key: string, value: Value) => Promise<void>
}

/**
 * The runtime's `Redacted` (pass `Redacted` of `effect/Redacted` as is).
 *
 * @since 0.1.0
 * @category models
 */
export interface RedactedFunctions<Value> {
  readonly make: (value: string) => Value
  readonly value: (redacted: Value) => string
  readonly isRedacted: (u: unknown) => boolean
}

/**
 * One store under test, over a backing of its own (a fresh file, KV database, map).
 *
 * @since 0.1.0
 * @category models
 */
export interface StoreUnderTest<Value> {
  readonly store: ContractTokenStore<Value>
  /** Releases the backing (handles, temp files, whatever `reopen` opened). Called once, when the test ends. */
  readonly close?: (() => Promise<void>) | undefined
}

/**
 * A runner of the store contract. `Sut` is what `makeStore` gives, handed back to the hooks.
 *
 * @since 0.1.0
 * @category models
 */
export interface StoreRunner<Value, Sut extends StoreUnderTest<Value> = StoreUnderTest<Value>> {
  /** Declares one test (`it` of vitest, `Deno.test`, ...). Tests must run one at a time, in order. */
  readonly test: (name: string, fn: () => Promise<void>) => void
  /** A fresh, empty store over a backing of its own. */
  readonly makeStore: () => Promise<Sut & StoreUnderTest<Value>>
  readonly redacted: RedactedFunctions<NoInfer<Value>>
  /**
   * What a `set` of a token older (by `obtainedAt`) than the stored one does: `"newest-wins"` keeps the stored
   * one (Deno KV's guarded write), `"last-write-wins"` replaces it. Either way a newer token replaces an older.
   */
  readonly writeOrder: "newest-wins" | "last-write-wins"
  /**
   * Another store instance over `sut`'s backing, as a restart or another process would open it. Give it for
   * stores that persist or share: the persistence scenarios are declared only then. `sut.close` closes it.
   */
  readonly reopen?: ((sut: Sut) => Promise<ContractTokenStore<NoInfer<Value>>>) | undefined
  /** Put something that is not a token at `key` in `sut`'s backing (the corrupt-entry scenario, only then). */
  readonly corrupt?: ((sut: Sut, key: string) => Promise<void>) | undefined
  /**
   * A store whose backing fails every operation (a closed handle, an unusable path), and how to release it
   * (the failure scenario, only then). Its failures must be `TokenStoreError`s.
   */
  readonly broken?:
    | (() => Promise<{
        readonly store: ContractTokenStore<NoInfer<Value>>
        readonly close?: () => Promise<void>
      }>)
    | undefined
  /** Renders a value as the runtime's console would (`util.inspect`, `Deno.inspect`). */
  readonly inspect?: ((value: unknown) => string) | undefined
  /** The store seals its entries with a `TokenCipher` (the at-rest scenarios, only then). */
  readonly sealed?: SealedHooks<NoInfer<Value>, Sut> | undefined
}

/**
 * What a runner of a sealing store gives: a dump of the backing and stores over it with other keys.
 *
 * @since 0.1.0
 * @category models
 */
export interface SealedHooks<Value, Sut> {
  /** Everything `sut`'s backing holds, as text (the file, every KV entry): what a leaked copy shows. */
  readonly dump: (sut: Sut) => Promise<string>
  /** Another store over `sut`'s backing whose cipher seals with a new key and still lists the old one. */
  readonly rotated: (sut: Sut) => Promise<ContractTokenStore<Value>>
  /** Another store over `sut`'s backing whose cipher lists none of the keys it was written with. */
  readonly foreign: (sut: Sut) => Promise<ContractTokenStore<Value>>
}

// ---------------------------------------------------------------------------------------------------------
// Tokens as plain values.

const HOUR = 3_600_000
/** An instant with milliseconds, so a store that keeps seconds (or floats) shows. */
const EPOCH = 1_767_225_600_123

const base64url = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")

/** A JWT-shaped value (unsigned) whose payload is `claims`: stores that re-read claims from it get the same. */
const jwt = (claims: Record<string, unknown>) =>
  `${base64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: "k1" }))}.${base64url(JSON.stringify(claims))}.c2lnbmF0dXJl`

/** The `sub` of tokens made here: none of the unusual values below is a JWT, so claims stay undefined for them. */
const SUBJECT = "contract-client"

/** Values no serialisation should bend: quotes, escapes, separators, non-ASCII, line separators, NUL, length. */
const UNUSUAL: ReadonlyArray<{ readonly name: string; readonly value: string }> = [
  { name: "JSON syntax", value: `{"value":"x","obtainedAt":1}` },
  { name: "quotes and backslashes", value: `a"b\\"c\\\\d'e\`f` },
  { name: "control characters", value: "line1\nline2\r\n\ttab\u0000nul\u0007bell" },
  { name: "non-ASCII", value: "tök€n-ключ-密钥-🔑-\u00e9\u0301" },
  { name: "line and paragraph separators", value: "a\u2028b\u2029c" },
  { name: "URL and base64 alphabets", value: "a+b/c=d%2Fe&f=g?h#i:j@k" },
  { name: "leading and trailing spaces", value: "  padded  " },
  { name: "a lone surrogate-free astral run", value: "\u{1F600}\u{1F4A9}\u{10FFFF}" },
  { name: "8192 characters", value: `long-${"x".repeat(8187)}` }
]

/** Keys (source ids) a store must keep apart, including ones that look like object properties or paths. */
const KEYS = [
  "capillary:eu.api.capillarytech.com:client-a",
  "capillary:eu.api.capillarytech.com:client-a2",
  "capillary:eu.api.capillarytech.com:Client-A",
  "capillary:eu.api.capillarytech.com:client-a ",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "a/b",
  "../escape",
  'ключ 🔑 "quoted"'
]

// ---------------------------------------------------------------------------------------------------------

/**
 * Declares the store contract's tests with `runner.test`, in order.
 *
 * @since 0.1.0
 * @category testing
 */
export const storeContract = <Value, Sut extends StoreUnderTest<Value>>(
  runner: StoreRunner<Value, Sut>
): void => {
  const { redacted } = runner
  /** A token whose every instant differs from its siblings' (`at` ms after EPOCH). */
  const token = (value: string, at = 0, lifetime = HOUR): StoreToken<Value> => {
    const obtainedAt = EPOCH + at
    return {
      value: redacted.make(value),
      obtainedAt,
      refreshAt: obtainedAt + Math.floor(lifetime * 0.8) - 17,
      staleAt: obtainedAt + lifetime - 30_001,
      expiresAt: obtainedAt + lifetime,
      lifetimeMillis: lifetime,
      claims: undefined
    }
  }

  /** A JWT token whose claims are its payload, issued at `at` ms after EPOCH. */
  const jwtToken = (jti: string, at = 0): StoreToken<Value> => {
    const iat = Math.floor((EPOCH + at) / 1000)
    const claims = { iss: "capillary", sub: SUBJECT, jti, iat, exp: iat + 3600, scope: ["read", "write"] }
    return { ...token(jwt(claims), at), claims }
  }

  const reveal = (value: Value) => redacted.value(value)

  /** `actual` is `expected` in every field, its value still Redacted. */
  const assertSame = (actual: StoreToken<Value> | undefined, expected: StoreToken<Value>, where: string) => {
    assert.ok(actual !== undefined, `${where}: expected a token, got none`)
    assert.ok(redacted.isRedacted(actual.value), `${where}: the value read back is not Redacted`)
    assert.equal(reveal(actual.value), reveal(expected.value), `${where}: value`)
    for (const field of ["obtainedAt", "refreshAt", "staleAt", "expiresAt", "lifetimeMillis"] as const) {
      assert.equal(actual[field], expected[field], `${where}: ${field}`)
    }
    assert.deepEqual(actual.claims, expected.claims, `${where}: claims`)
  }

  /** The raw value held at `key`, or undefined. */
  const held = async (store: ContractTokenStore<Value>, key: string) => {
    const got = await store.get(key)
    return got === undefined ? undefined : reveal(got.value)
  }

  const test = (name: string, body: (sut: Sut) => Promise<void>) =>
    runner.test(name, async () => {
      const sut = await runner.makeStore()
      try {
        await body(sut)
      } finally {
        await sut.close?.()
      }
    })

  const KEY = KEYS[0] as string

  // -------------------------------------------------------------------------------------------------------
  // 1. Reading and writing.

  test("1a. get on an empty store is absent, for every key (property-like ones too)", async ({ store }) => {
    for (const key of KEYS) assert.equal(await store.get(key), undefined, `get(${JSON.stringify(key)})`)
  })

  test("1b. set then get round-trips every field: a JWT value (Redacted), its claims, every instant", async ({
    store
  }) => {
    const t = jwtToken("jti-1b", 123_456)
    await store.set(KEY, t)
    assertSame(await store.get(KEY), t, "1b")
    // Read again: a get does not consume or alter the entry.
    assertSame(await store.get(KEY), t, "1b second read")
  })

  test("1c. an opaque value round-trips with no claims", async ({ store }) => {
    const t = token("opaque-token-1c", 7)
    await store.set(KEY, t)
    const got = await store.get(KEY)
    assertSame(got, t, "1c")
    assert.equal(got?.claims, undefined)
  })

  test("1d. the value read back never shows in String, JSON or inspect", async ({ store }) => {
    const t = jwtToken("jti-1d")
    const raw = reveal(t.value)
    await store.set(KEY, t)
    const got = await store.get(KEY)
    assert.ok(got !== undefined)
    const shown = [String(got.value), JSON.stringify(got), runner.inspect?.(got) ?? ""]
    for (const text of shown) assert.ok(!text.includes(raw), `the token shows in ${text.slice(0, 200)}`)
  })

  test("1e. a token past all its instants is handed back as is: the store never judges freshness", async ({
    store
  }) => {
    // Obtained in 1970, a second long: long expired by any clock. The manager decides; the store keeps.
    const ancient = {
      ...token("ancient-1e", 0, 1_000),
      obtainedAt: 1_000,
      refreshAt: 1_800,
      staleAt: 1_900,
      expiresAt: 2_000
    }
    await store.set(KEY, ancient)
    assertSame(await store.get(KEY), ancient, "1e")
  })

  test("1f. values with unusual characters survive, and compare-and-delete still matches them", async ({
    store
  }) => {
    for (const [i, { name, value }] of UNUSUAL.entries()) {
      const key = `${KEY}:${i}`
      const t = token(value, i * 1000)
      await store.set(key, t)
      assertSame(await store.get(key), t, name)
      // A value one character off does not match ...
      await store.remove(key, redacted.make(`${value}x`))
      assert.equal(await held(store, key), value, `${name}: removed by a different value`)
      // ... the value itself does.
      await store.remove(key, redacted.make(value))
      assert.equal(await store.get(key), undefined, `${name}: not removed by its own value`)
    }
  })

  // -------------------------------------------------------------------------------------------------------
  // 2. Keys are isolated.

  test("2a. two source ids never see each other's token", async ({ store }) => {
    const [a, b] = [KEYS[0] as string, KEYS[1] as string]
    const ta = token("token-of-a", 1_000)
    const tb = token("token-of-b", 2_000)
    await store.set(a, ta)
    assert.equal(await store.get(b), undefined, "b sees a's token")
    await store.set(b, tb)
    assertSame(await store.get(a), ta, "a")
    assertSame(await store.get(b), tb, "b")
    // Overwriting one leaves the other.
    const ta2 = token("token-of-a-2", 3_000)
    await store.set(a, ta2)
    assertSame(await store.get(b), tb, "b after a's overwrite")
    // Removing one leaves the other.
    await store.remove(a, ta2.value)
    assert.equal(await store.get(a), undefined)
    assertSame(await store.get(b), tb, "b after a's removal")
  })

  test("2b. every key holds its own token, property-like and path-like keys included", async ({ store }) => {
    const tokens = KEYS.map((key, i) => [key, token(`token-${i}-of-${key}`, i * 100)] as const)
    for (const [key, t] of tokens) await store.set(key, t)
    for (const [key, t] of tokens) assertSame(await store.get(key), t, `get(${JSON.stringify(key)})`)
    // Removing each with its own value empties exactly that one.
    for (const [i, [key, t]] of tokens.entries()) {
      await store.remove(key, t.value)
      assert.equal(await store.get(key), undefined, `${JSON.stringify(key)} not removed`)
      for (const [other, o] of tokens.slice(i + 1)) {
        assertSame(
          await store.get(other),
          o,
          `${JSON.stringify(other)} after removing ${JSON.stringify(key)}`
        )
      }
    }
  })

  test("2c. remove with another key's value changes neither key", async ({ store }) => {
    const [a, b] = [KEYS[0] as string, KEYS[1] as string]
    const ta = token("only-a", 1_000)
    const tb = token("only-b", 2_000)
    await store.set(a, ta)
    await store.set(b, tb)
    await store.remove(a, tb.value)
    await store.remove(b, ta.value)
    assertSame(await store.get(a), ta, "a")
    assertSame(await store.get(b), tb, "b")
  })

  // -------------------------------------------------------------------------------------------------------
  // 3. remove is compare-and-delete.

  test("3a. remove(key, value) removes the entry that holds that value", async ({ store }) => {
    const t = jwtToken("jti-3a")
    await store.set(KEY, t)
    await store.remove(KEY, redacted.make(reveal(t.value))) // an equal value, not the same object
    assert.equal(await store.get(KEY), undefined)
  })

  test("3b. remove with a stale value (or one a prefix, suffix or case away) leaves the entry", async ({
    store
  }) => {
    const t = token("Current-Token-3b", 5_000)
    await store.set(KEY, t)
    for (const stale of ["older-token-3b", "Current-Token-3", "Current-Token-3bb", "current-token-3b", ""]) {
      await store.remove(KEY, redacted.make(stale))
      assertSame(await store.get(KEY), t, `after remove(${JSON.stringify(stale)})`)
    }
  })

  test("3c. a stale remove after an overwrite leaves the newer token", async ({ store }) => {
    const older = token("token-3c-old", 1_000)
    const newer = token("token-3c-new", 2_000)
    await store.set(KEY, older)
    await store.set(KEY, newer)
    // The caller that held `older` saw it refused and drops it: the newer one, written since, stays.
    await store.remove(KEY, older.value)
    assertSame(await store.get(KEY), newer, "3c")
  })

  test("3d. remove on an absent key does nothing and does not fail; a set fills the key again", async ({
    store
  }) => {
    await store.remove(KEY, redacted.make("never-stored-3d"))
    assert.equal(await store.get(KEY), undefined)
    const t = token("token-3d", 1_000)
    await store.set(KEY, t)
    await store.remove(KEY, t.value)
    await store.remove(KEY, t.value) // twice: still nothing to do
    assert.equal(await store.get(KEY), undefined)
    const again = token("token-3d-again", 2_000)
    await store.set(KEY, again)
    assertSame(await store.get(KEY), again, "3d refill")
  })

  // -------------------------------------------------------------------------------------------------------
  // 4. Overwrites.

  test("4a. a newer token replaces the stored one, every field", async ({ store }) => {
    const older = jwtToken("jti-4a-1", 1_000)
    const newer = token("token-4a-2", 61_000, 2 * HOUR)
    await store.set(KEY, older)
    await store.set(KEY, newer)
    assertSame(await store.get(KEY), newer, "4a")
  })

  const olderLast =
    runner.writeOrder === "newest-wins"
      ? "4b. an older token written after a newer one is refused: the newer stays (newest-wins)"
      : "4b. an older token written after a newer one replaces it (last-write-wins)"
  test(olderLast, async ({ store }) => {
    const newer = token("token-4b-newer", 9_000)
    const older = token("token-4b-older", 1_000)
    await store.set(KEY, newer)
    await store.set(KEY, older)
    assertSame(await store.get(KEY), runner.writeOrder === "newest-wins" ? newer : older, "4b")
  })

  // -------------------------------------------------------------------------------------------------------
  // 5. Concurrency.

  test("5a. concurrent sets of different keys all land", async ({ store }) => {
    const tokens = Array.from({ length: 24 }, (_, i) => [`${KEY}:${i}`, token(`token-5a-${i}`, i)] as const)
    await Promise.all(tokens.map(([key, t]) => store.set(key, t)))
    for (const [key, t] of tokens) assertSame(await store.get(key), t, key)
  })

  test("5b. concurrent sets of one key leave one whole token (the newest, for newest-wins)", async ({
    store
  }) => {
    const tokens = Array.from({ length: 12 }, (_, i) => token(`token-5b-${i}`, (i + 1) * 1_000))
    await Promise.all(tokens.map((t) => store.set(KEY, t)))
    const got = await store.get(KEY)
    assert.ok(got !== undefined, "no token after the concurrent sets")
    const which = tokens.find((t) => reveal(t.value) === reveal(got.value))
    assert.ok(which !== undefined, "the stored value is none of those written")
    // Whole: every field from the same write, not a mix.
    assertSame(got, which, "5b")
    if (runner.writeOrder === "newest-wins") assertSame(got, tokens.at(-1) as StoreToken<Value>, "5b newest")
  })

  test("5c. reads during concurrent writes see nothing or a whole token, never a partial one", async ({
    store
  }) => {
    const tokens = Array.from({ length: 12 }, (_, i) => token(`token-5c-${i}-${"y".repeat(4096)}`, i * 1_000))
    const reads: Array<Promise<StoreToken<Value> | undefined>> = []
    const writes: Array<Promise<void>> = []
    for (const t of tokens) {
      writes.push(store.set(KEY, t))
      reads.push(store.get(KEY))
    }
    await Promise.all(writes)
    for (const got of await Promise.all(reads)) {
      if (got === undefined) continue
      const which = tokens.find((t) => reveal(t.value) === reveal(got.value))
      assert.ok(which !== undefined, "a read saw a value none of the writes wrote")
      assertSame(got, which, "5c")
    }
    assert.ok((await store.get(KEY)) !== undefined, "nothing stored after the writes")
  })

  test("5d. concurrent removes and sets of other keys: each key ends as its own last operation says", async ({
    store
  }) => {
    const kept = Array.from({ length: 8 }, (_, i) => [`${KEY}:kept:${i}`, token(`kept-5d-${i}`, i)] as const)
    const gone = Array.from({ length: 8 }, (_, i) => [`${KEY}:gone:${i}`, token(`gone-5d-${i}`, i)] as const)
    for (const [key, t] of gone) await store.set(key, t)
    await Promise.all([
      ...kept.map(([key, t]) => store.set(key, t)),
      ...gone.map(([key, t]) => store.remove(key, t.value))
    ])
    for (const [key, t] of kept) assertSame(await store.get(key), t, key)
    for (const [key] of gone) assert.equal(await store.get(key), undefined, `${key} not removed`)
  })

  // -------------------------------------------------------------------------------------------------------
  // 6. Persistence: a second instance over the same backing (stores with `reopen` only).

  const { reopen } = runner
  if (reopen !== undefined) {
    test("6a. a second store over the same backing (a restart) sees the entry, every field", async (sut) => {
      const t = jwtToken("jti-6a", 42_042)
      await sut.store.set(KEY, t)
      const second = await reopen(sut)
      assertSame(await second.get(KEY), t, "6a")
      assert.equal(await second.get(KEYS[1] as string), undefined, "6a other key")
    })

    test("6b. an overwrite or a removal through one instance is seen by the other", async (sut) => {
      const { store } = sut
      const first = token("token-6b-1", 1_000)
      await store.set(KEY, first)
      const second = await reopen(sut)
      assertSame(await second.get(KEY), first, "6b first seen by the second")
      const newer = token("token-6b-2", 2_000)
      await second.set(KEY, newer)
      assertSame(await store.get(KEY), newer, "6b overwrite seen by the first")
      // The first instance's caller still knows `first`: its stale remove leaves `newer`.
      await store.remove(KEY, first.value)
      assertSame(await second.get(KEY), newer, "6b stale remove")
      await store.remove(KEY, newer.value)
      assert.equal(await second.get(KEY), undefined, "6b removal seen by the second")
    })

    test("6c. keys stay apart across instances, unusual values intact", async (sut) => {
      const entries = UNUSUAL.map(({ value }, i) => [`${KEY}:${i}`, token(value, i)] as const)
      for (const [key, t] of entries) await sut.store.set(key, t)
      const second = await reopen(sut)
      for (const [key, t] of entries) assertSame(await second.get(key), t, key)
      assert.equal(await second.get(KEY), undefined, "6c: a key never set")
    })
  }

  // -------------------------------------------------------------------------------------------------------
  // 7. Corrupt entries and failures (stores with `corrupt` / `broken` only).

  const { corrupt, broken } = runner
  if (corrupt !== undefined) {
    test("7a. an entry that is not a token reads as absent, is not removed by a value, and a set repairs it", async (sut) => {
      const { store } = sut
      const other = token("token-7a-other", 500)
      await store.set(KEYS[1] as string, other)
      await corrupt(sut, KEY)
      assert.equal(await store.get(KEY), undefined, "a corrupt entry read as a token")
      await store.remove(KEY, redacted.make("anything-7a"))
      assert.equal(await store.get(KEY), undefined)
      const t = token("token-7a-repair", 1_000)
      await store.set(KEY, t)
      assertSame(await store.get(KEY), t, "7a repaired")
      assertSame(await store.get(KEYS[1] as string), other, "7a: another key")
    })
  }

  // -------------------------------------------------------------------------------------------------------
  // 8. At rest (sealing stores only).

  const { sealed } = runner
  if (sealed !== undefined) {
    test("8a. a dump of the backing holds no token value, whole or in part", async (sut) => {
      const tokens = [
        jwtToken("jti-8a", 1_000),
        ...UNUSUAL.slice(5, 7).map(({ value }, i) => token(value, i))
      ]
      for (const [i, t] of tokens.entries()) await sut.store.set(`${KEY}:${i}`, t)
      const dump = await sealed.dump(sut)
      assert.ok(dump.length > 0, "the dump is empty: nothing was written")
      for (const t of tokens) {
        const raw = reveal(t.value)
        assert.ok(!dump.includes(raw), `a token value shows in the dump: ${dump.slice(0, 200)}`)
        // Not a JWT segment either (the claims payload in clear would be a leak of its own).
        for (const part of raw.split(".").filter((p) => p.length >= 16))
          assert.ok(!dump.includes(part), "a part of a token shows in the dump")
      }
      assert.ok(!dump.includes(SUBJECT), "a claim shows in the dump")
    })

    test("8b. key rotation: a store with a new first key reads the old records; its own writes stay unread by the old", async (sut) => {
      const old = jwtToken("jti-8b-old", 1_000)
      await sut.store.set(KEY, old)
      const rotated = await sealed.rotated(sut)
      assertSame(await rotated.get(KEY), old, "8b: the old record through the rotated store")
      const other = KEYS[1] as string
      const fresh = token("token-8b-new-key", 2_000)
      await rotated.set(other, fresh)
      assertSame(await rotated.get(other), fresh, "8b: a record under the new key")
      // The first store lacks the new key: that record is absent to it, never an error.
      assert.equal(await sut.store.get(other), undefined, "8b: the old store read a record of a key it lacks")
      await rotated.remove(KEY, old.value)
      assert.equal(await rotated.get(KEY), undefined, "8b: compare-and-delete through the rotated store")
    })

    test("8c. under keys it does not hold, a record is absent, never an error; a write replaces it", async (sut) => {
      const t = jwtToken("jti-8c", 1_000)
      await sut.store.set(KEY, t)
      const foreign = await sealed.foreign(sut)
      assert.equal(await foreign.get(KEY), undefined, "8c: a record under an unknown key read as a token")
      await foreign.remove(KEY, t.value) // nothing it can compare: nothing removed, nothing thrown
      assertSame(await sut.store.get(KEY), t, "8c: removed by a store that cannot read it")
      const mine = token("token-8c-foreign", 2_000)
      await foreign.set(KEY, mine)
      assertSame(await foreign.get(KEY), mine, "8c: the foreign store's own write")
      assert.equal(await sut.store.get(KEY), undefined, "8c: the first store read the foreign record")
    })
  }

  if (broken !== undefined) {
    test("7b. a failing backing rejects every operation with TokenStoreError, the token nowhere in it", async () => {
      const failing = await broken()
      try {
        const t = token("token-7b-must-not-leak", 1_000)
        const raw = reveal(t.value)
        const operations: ReadonlyArray<readonly [string, () => Promise<unknown>]> = [
          ["set", () => failing.store.set(KEY, t)],
          ["get", () => failing.store.get(KEY)],
          ["remove", () => failing.store.remove(KEY, t.value)]
        ]
        for (const [name, run] of operations) {
          let error: unknown
          try {
            await run()
          } catch (e) {
            error = e
          }
          assert.ok(
            error instanceof Error,
            `${name}: expected a rejection with an Error, got ${String(error)}`
          )
          assert.equal((error as { _tag?: unknown })._tag, "TokenStoreError", `${name}: ${String(error)}`)
          assert.ok(error.message.length > 0, `${name}: an empty message`)
          const shown = [
            error.message,
            String(error),
            JSON.stringify(error) ?? "",
            runner.inspect?.(error) ?? ""
          ]
          for (const text of shown)
            assert.ok(!text.includes(raw), `${name}: the token shows in ${text.slice(0, 200)}`)
        }
      } finally {
        await failing.close?.()
      }
    })
  }
}
