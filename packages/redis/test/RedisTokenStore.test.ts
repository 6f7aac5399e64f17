/**
 * RedisTokenStore on its own: options and config (typed errors that say what to fix, no password in them), what
 * it writes to Redis, and the bound on a Redis that stops answering (SIGSTOP: the socket stays open, nothing
 * answers) — a caller of the client waits at most a few command timeouts, then gets its token anyway.
 */
import { type AccessToken, ConfigError, TokenStore } from "@capauth/core"
import { createCapillaryClient } from "@capauth/node"
import { SAMPLE_CLIENT, type Simulator, startSimulator } from "@capauth/testkit"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Option, Redacted } from "effect"
import { afterAll, beforeAll } from "vitest"
import { RedisTokenStore, redisTokenStore } from "../src/index.ts"
import { type RedisServer, startRedis } from "./support/redis-server.ts"
import { openStore, ready, uniquePrefix } from "./support/stores.ts"

let server: RedisServer
let sim: Simulator
beforeAll(async () => {
  ;[server, sim] = await Promise.all([startRedis(), startSimulator({ port: 0 })])
})
afterAll(async () => {
  await Promise.all([server.dispose(), sim.close()])
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

describe("options", () => {
  it.each([
    ["not a URL", "localhost:6379", "url"],
    ["another scheme", "http://127.0.0.1:6379", "url"],
    ["empty", "", "url"]
  ])("%s: a ConfigError naming url", (_name, url, field) => {
    const attempt = () => redisTokenStore({ url })
    expect(attempt).toThrow(ConfigError)
    expect(attempt).toThrow(/redis:\/\/ or rediss:\/\//)
    try {
      attempt()
    } catch (error) {
      expect((error as ConfigError).field).toBe(field)
    }
  })

  it("a bad leaseTtl or commandTimeout is a ConfigError naming it", () => {
    expect(() => redisTokenStore({ url: server.url, leaseTtl: 0 })).toThrow(/leaseTtl/)
    expect(() => redisTokenStore({ url: server.url, commandTimeout: "-1 second" })).toThrow(/commandTimeout/)
  })

  it.effect("layerConfig: CAPAUTH_REDIS_URL missing is a ConfigError naming it", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Layer.build(RedisTokenStore.layerConfig).pipe(
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: {} })))
        )
      )
      expect(error).toBeInstanceOf(ConfigError)
      expect(error.field).toBe("CAPAUTH_REDIS_URL")
    })
  )

  const configPrefix = uniquePrefix("config")
  it.live("layerConfig reads CAPAUTH_REDIS_URL and CAPAUTH_REDIS_KEY_PREFIX; the password never shows", () =>
    Effect.gen(function* () {
      const store = yield* RedisTokenStore.RedisTokenStore
      yield* Effect.promise(() => ready({ ...store, close: async () => undefined }))
      yield* store.set("k", token("config-token"))
      const keys = yield* Effect.promise(() => server.command(["KEYS", `${configPrefix}*`]))
      expect(keys).toContain(`${configPrefix}token:k`)
      // Nothing listens there: every operation fails with a TokenStoreError that does not carry the password.
      const wrong = redisTokenStore({ url: "redis://user:hunter2-secret@127.0.0.1:1" })
      const error = yield* Effect.flip(wrong.get("k"))
      expect(error).toBeInstanceOf(TokenStore.TokenStoreError)
      expect(error.message).toContain("redis://127.0.0.1:1")
      expect(error.message).not.toContain("hunter2")
      yield* Effect.promise(wrong.close)
    }).pipe(
      Effect.provide(RedisTokenStore.layerConfig),
      Effect.provide(
        ConfigProvider.layer(
          ConfigProvider.fromEnv({
            env: { CAPAUTH_REDIS_URL: server.url, CAPAUTH_REDIS_KEY_PREFIX: configPrefix }
          })
        )
      )
    )
  )
})

describe("in Redis", () => {
  it("the entry expires with the token, holds a fingerprint, not the value, outside data", async () => {
    const prefix = uniquePrefix("ttl")
    const store = await openStore(server.url, prefix)
    try {
      await Effect.runPromise(store.set("k", token("expiring-token")))
      const pttl = Number((await server.command(["PTTL", `${prefix}token:k`])).replace(/^:/, ""))
      expect(pttl).toBeGreaterThan(590_000)
      expect(pttl).toBeLessThanOrEqual(600_000)
      const fp = await server.command(["HGET", `${prefix}token:k`, "fp"])
      expect(fp).not.toContain("expiring-token")
      // compare-and-invalidate by the value's fingerprint
      await Effect.runPromise(store.remove("k", Redacted.make("another")))
      expect(Option.isSome(await Effect.runPromise(store.get("k")))).toBe(true)
      await Effect.runPromise(store.remove("k", Redacted.make("expiring-token")))
      expect(Option.isNone(await Effect.runPromise(store.get("k")))).toBe(true)
    } finally {
      await store.close()
    }
  })
})

describe("a Redis that stops answering", () => {
  it("every command fails within its timeout; a caller still gets its token within 3 timeouts and a request", async () => {
    const prefix = uniquePrefix("slow")
    const key = `slow-${process.pid}`
    sim.addClient({ ...SAMPLE_CLIENT, key, secret: `${key}-secret` })
    const store = await openStore(server.url, prefix)
    const timeout = 500
    const cap = createCapillaryClient({
      baseUrl: sim.url,
      credentials: { key, secret: `${key}-secret` },
      tokenStore: store
    })
    try {
      await server.pause()
      const started = performance.now()
      const error = await Effect.runPromise(Effect.flip(store.get("k")))
      const took = performance.now() - started
      expect(error.message).toMatch(/did not answer within 500 ms/)
      expect(took).toBeLessThan(timeout + 400)

      const before = performance.now()
      const got = await cap.token()
      const waited = performance.now() - before
      expect(Redacted.value(got.value)).toMatch(/\./)
      expect(waited).toBeLessThan(3 * timeout + 1_000)
      console.log(
        `Redis paused: a command failed after ${Math.round(took)} ms; a cold caller got its token after ${Math.round(waited)} ms`
      )
    } finally {
      await server.resume()
      await cap.close()
      await store.close()
    }
  })
})
