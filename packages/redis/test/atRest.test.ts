/**
 * Tokens at rest in Redis, through the facades: what a dump of Redis shows with and without a cipher (the
 * access token; a Capture session's refresh and access tokens), a restart that rotated keys, records under keys
 * a process lacks, and `CAPAUTH_TOKEN_KEYS` through `layerConfig`.
 */
import { type AccessToken, ConfigError, TokenCipher, TokenStore } from "@capauth/core"
import { createCapillaryClient, createCaptureClient } from "@capauth/node"
import {
  SAMPLE_CAPTURE_CLIENT,
  SAMPLE_CAPTURE_USER,
  SAMPLE_CLIENT,
  type Simulator,
  startSimulator
} from "@capauth/testkit"
import { ConfigProvider, Effect, Layer, Option, Redacted, Result } from "effect"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { RedisTokenStore, redisTokenStore } from "../src/index.ts"
import { type RedisServer, startRedis } from "./support/redis-server.ts"
import { dump, openStore, ready, uniquePrefix } from "./support/stores.ts"

let server: RedisServer
let sim: Simulator
let prefix: string
beforeAll(async () => {
  ;[server, sim] = await Promise.all([startRedis(), startSimulator({ port: 0 })])
})
afterAll(async () => {
  await Promise.all([server.dispose(), sim.close()])
})
beforeEach(() => {
  prefix = uniquePrefix("at-rest")
  sim.reset()
})

const k1 = TokenCipher.generateKey()
const k2 = TokenCipher.generateKey()
const cipher = (text: string) => Result.getOrThrow(TokenCipher.parse(text))

/** One call through a client over Redis (this test's prefix) with `tokenCipher` or none; its manager's stats. */
const callWith = async (tokenCipher: TokenCipher.TokenCipher | undefined) => {
  // A client closed right after its fetch leaves its lease to lapse (close cuts the release that follows the
  // write), and a process that cannot open the record waits for it: a short lease keeps this file quick.
  const tokenStore = await openStore(server.url, prefix, { cipher: tokenCipher, leaseTtl: 500 })
  const cap = createCapillaryClient({
    baseUrl: sim.url,
    credentials: { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret },
    tokenStore
  })
  try {
    expect((await cap.fetch("/v2/customers/1")).status).toBe(200)
    return await cap.stats()
  } finally {
    await cap.close()
    await tokenStore.close()
  }
}

const issued = () => sim.tokens.map((t) => t.token)

describe("RedisTokenStore at rest: the access token", () => {
  it("without a cipher, a dump of Redis holds the token itself (what a leak exposes)", async () => {
    await callWith(undefined)
    const [token] = issued()
    expect(token).toBeDefined()
    expect(await dump(server, prefix)).toContain(token)
  })

  it("with a cipher, a dump holds no token part, claim or secret; another process with the key adopts it", async () => {
    await callWith(cipher(`k1:${k1}`))
    const text = await dump(server, prefix)
    const [token] = issued()
    expect(token).toBeDefined()
    for (const part of (token as string).split(".")) expect(text).not.toContain(part)
    expect(text).not.toContain(SAMPLE_CLIENT.secret)
    expect(text).not.toContain(k1)
    expect(text).toContain('"kid":"k1"')
    const stats = await callWith(cipher(`k1:${k1}`))
    expect(stats.fetched).toBe(0) // adopted from Redis
    expect(sim.stats().tokenRequestsTotal).toBe(1)
  })

  it("after a key rotation the old record is read; a token rejected later is dropped and its successor sealed under the new key", async () => {
    await callWith(cipher(`k1:${k1}`))
    expect((await callWith(cipher(`k2:${k2},k1:${k1}`))).fetched).toBe(0)
    expect(sim.stats().tokenRequestsTotal).toBe(1)
    // The stored token is refused: the rotated store opens it, drops it (compare-and-delete) and seals the next.
    sim.expireAllTokens()
    await callWith(cipher(`k2:${k2},k1:${k1}`))
    expect(sim.stats().tokenRequestsTotal).toBe(2)
    const text = await dump(server, prefix)
    expect(text).toContain('"kid":"k2"')
    expect(text).not.toContain('"kid":"k1"')
  })

  it("a record sealed under keys this process lacks reads as absent: a fresh token, no failure", async () => {
    await callWith(cipher(`k1:${k1}`))
    // Same key id, other bytes: authentication fails. Then an unknown key id.
    for (const keys of [`k1:${k2}`, `k9:${k2}`]) expect((await callWith(cipher(keys))).fetched).toBe(1)
    expect(sim.stats().tokenRequestsTotal).toBe(3)
    // A sealed record without a cipher, and a clear one under a cipher: absent as well.
    expect((await callWith(undefined)).fetched).toBe(1)
    expect((await callWith(cipher(`k9:${k2}`))).fetched).toBe(1)
    expect(sim.stats().tokenRequestsTotal).toBe(5)
  })
})

describe("RedisTokenStore at rest: Capture sessions", () => {
  const redirectUri = "https://app.example.com/capture/callback"
  const captureOver = (store: { refreshTokens: RedisTokenStore.Service["refreshTokens"] }) =>
    createCaptureClient({
      baseUrl: `${sim.url}/capture`,
      clientId: SAMPLE_CAPTURE_CLIENT.clientId,
      clientSecret: SAMPLE_CAPTURE_CLIENT.clientSecret,
      tokenStore: store.refreshTokens
    })

  it("the refresh and access tokens are sealed; another process with the key resumes the session without a refresh", async () => {
    const sealing = cipher(`k1:${k1}`)
    const [one, two, foreign, plain] = await Promise.all([
      openStore(server.url, prefix, { cipher: sealing }),
      openStore(server.url, prefix, { cipher: sealing }),
      openStore(server.url, prefix, { cipher: cipher(`k1:${k2}`) }),
      openStore(server.url, prefix)
    ])
    const first = captureOver(one)
    const second = captureOver(two)
    const refreshes = () => sim.capture.stats().tokenRequests.refresh_token ?? 0
    try {
      const code = await first.authorizationCode({
        typeName: "user",
        uuid: SAMPLE_CAPTURE_USER.uuid,
        redirectUri
      })
      const user = await first.exchangeCode({ code, redirectUri })
      expect((await user.call("entity")).stat).toBe("ok")
      const { accessToken, refreshToken } = await user.tokens()

      const text = await dump(server, prefix)
      expect(text).toContain(`${prefix}refresh:`)
      expect(text).not.toContain(Redacted.value(refreshToken))
      for (const part of Redacted.value(accessToken)
        .split(".")
        .filter((p) => p.length >= 8))
        expect(text).not.toContain(part)
      expect(text).not.toContain(SAMPLE_CAPTURE_CLIENT.clientSecret)

      // Another process with the key: the session's access token and refresh token from Redis, no refresh.
      const resumed = second.session({ key: user.key })
      expect((await resumed.call("entity")).stat).toBe("ok")
      expect(Redacted.value((await resumed.tokens()).refreshToken)).toBe(Redacted.value(refreshToken))
      expect(refreshes()).toBe(0)

      // Under other keys, or without a cipher, the refresh token is absent (never the sealed text).
      for (const other of [foreign, plain])
        expect(Option.isNone(await Effect.runPromise(other.refreshTokens.get(user.key)))).toBe(true)
      // The record is bound to its session key: copied under another, it does not open.
      const sealed = (await server.command(["GET", `${prefix}refresh:${user.key}`])).split(
        "\r\n"
      )[1] as string
      expect(sealed).toContain('"sealed":"A256GCM"')
      await server.command(["SET", `${prefix}refresh:copied`, sealed])
      expect(Option.isNone(await Effect.runPromise(one.refreshTokens.get("copied")))).toBe(true)
      expect(Option.isSome(await Effect.runPromise(one.refreshTokens.get(user.key)))).toBe(true)
    } finally {
      await Promise.all([first.close(), second.close()])
      await Promise.all([one, two, foreign, plain].map((s) => s.close()))
    }
  })
})

/** A token obtained now, living 10 minutes. */
const token = (value: string): AccessToken.AccessToken => {
  const now = Date.now()
  return Option.getOrThrow(
    TokenStore.decode({
      value,
      obtainedAt: now,
      refreshAt: now + 480_000,
      staleAt: now + 570_000,
      expiresAt: now + 600_000,
      lifetimeMillis: 600_000
    })
  )
}

describe("RedisTokenStore at rest: options and config", () => {
  const withEnv = (env: Record<string, string>) => ConfigProvider.layer(ConfigProvider.fromEnv({ env }))

  it("layerConfig seals with CAPAUTH_TOKEN_KEYS when it is set", async () => {
    const got = await Effect.runPromise(
      Effect.gen(function* () {
        const store = yield* RedisTokenStore.RedisTokenStore
        yield* Effect.promise(() => ready({ ...store, close: async () => undefined }))
        yield* store.set("k", token("config-sealed-token"))
        return yield* store.get("k")
      }).pipe(
        Effect.provide(RedisTokenStore.layerConfig),
        Effect.provide(
          withEnv({
            CAPAUTH_REDIS_URL: server.url,
            CAPAUTH_REDIS_KEY_PREFIX: prefix,
            CAPAUTH_TOKEN_KEYS: `k2:${k2},k1:${k1}`
          })
        )
      )
    )
    expect(Option.map(got, (t) => Redacted.value(t.value))).toEqual(Option.some("config-sealed-token"))
    const text = await dump(server, prefix)
    expect(text).toContain('"kid":"k2"')
    expect(text).not.toContain("config-sealed-token")
  })

  it("a malformed CAPAUTH_TOKEN_KEYS is a ConfigError naming it, the key nowhere in it", async () => {
    const error = await Effect.runPromise(
      Effect.flip(
        Layer.build(RedisTokenStore.layerConfig).pipe(
          Effect.scoped,
          Effect.provide(withEnv({ CAPAUTH_REDIS_URL: server.url, CAPAUTH_TOKEN_KEYS: "k1:c2hvcnQ=" }))
        )
      )
    )
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.field).toBe("CAPAUTH_TOKEN_KEYS")
    expect(error.message).toMatch(/32 bytes/)
    expect(error.message).not.toContain("c2hvcnQ")
  })

  it("a cipher that is not a TokenCipher is a ConfigError naming cipher", () => {
    const attempt = () =>
      redisTokenStore({ url: server.url, cipher: {} as unknown as TokenCipher.TokenCipher })
    expect(attempt).toThrow(ConfigError)
    expect(attempt).toThrow(/TokenCipher/)
  })
})
