/**
 * Capture over real HTTP, against the small node:http Capture server in ./captureServer.ts (written from the
 * facts, independently of the library).
 */
import { Effect, Exit, Option, Redacted, Result } from "effect"
import { FetchHttpClient } from "effect/http"
import * as TestClock from "effect/testing/TestClock"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { type AuthError, CaptureClient, CaptureConfig, RefreshTokenStore } from "../src/index.ts"
import { type FakeCapture, startFakeCapture } from "./captureServer.ts"
import { soleFailure } from "./support.ts"

let server: FakeCapture

beforeAll(async () => {
  server = await startFakeCapture({ prefix: "/capture" })
})
afterAll(() => server.close())
afterEach(() => {
  server.events.length = 0
  server.faults.clear()
  server.expiresIn = 3600
  server.refreshDelay = 0
  server.always414 = false
})

const configFor = (input: Partial<CaptureConfig.Input> = {}) =>
  Result.getOrThrow(
    CaptureConfig.make({
      baseUrl: server.url,
      clientId: server.clientId,
      clientSecret: server.clientSecret,
      backoff: { baseMillis: 5, maxMillis: 20 },
      ...input
    })
  )

/** Run `f` with a client over the server (FetchHttpClient), in a scope closed at the end. */
const withClient = <A, E>(
  f: (client: CaptureClient.Service) => Effect.Effect<A, E>,
  input: Partial<CaptureConfig.Input> = {}
) =>
  Effect.runPromiseExit(
    Effect.scoped(Effect.flatMap(CaptureClient.make(configFor(input)), f)).pipe(
      Effect.provide(FetchHttpClient.layer)
    )
  )

/** As `withClient`, with the client's clock a `TestClock`: time passes only by `TestClock.adjust`. */
const withTestClock = <A, E>(
  f: (client: CaptureClient.Service) => Effect.Effect<A, E>,
  input: Partial<CaptureConfig.Input> = {}
) =>
  Effect.runPromiseExit(
    Effect.scoped(Effect.flatMap(CaptureClient.make(configFor(input)), f)).pipe(
      Effect.provide(FetchHttpClient.layer),
      Effect.provide(TestClock.layer())
    )
  )

/**
 * Past the stale point of a token the server issued with its default lifetime (3600 s, stale 30 s before).
 * The server expires tokens by real time, an hour on: none expires server-side while a test runs, so only
 * the client's own rule (its clock) refreshes.
 */
const pastStale = "3580 seconds"

const value = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (Exit.isSuccess(exit)) return exit.value
  throw new Error(`expected success, got ${String(exit.cause)}`)
}

const failed = <A>(exit: Exit.Exit<A, AuthError.AuthError | unknown>) => {
  const error = soleFailure(exit)
  if (error === undefined) throw new Error(`expected a typed failure, got ${String(exit)}`)
  return error as AuthError.AuthError
}

const redirectUri = "https://app.example.com/callback"

/** A session opened by the real code flow: getAuthorizationCode, then oauth/token authorization_code. */
const openSession = (client: CaptureClient.Service, key?: string) =>
  Effect.flatMap(client.authorizationCode({ typeName: "user", uuid: "u-1", redirectUri }), (code) =>
    client.exchangeCode({ code, redirectUri, key })
  )

const tokenCalls = () => server.events.filter((e) => e.auth === "token")

describe("client-authenticated operations over HTTP", () => {
  it.each(CaptureConfig.clientAuths)(
    "call in %s mode resolves the JSON body (server checks the credentials)",
    async (clientAuth) => {
      const body = value(
        await withClient((c) => c.call("entity.count", { type_name: "user" }), { clientAuth })
      )
      expect(body).toEqual({ stat: "ok", total_count: 42 })
      expect(server.events.at(-1)?.status).toBe(200)
    }
  )

  it("a wrong secret is InvalidCredentials (402) in every mode, with no secret in the error", async () => {
    for (const clientAuth of CaptureConfig.clientAuths) {
      const e = failed(
        await withClient((c) => c.call("entity.count", { type_name: "user" }), {
          clientAuth,
          clientSecret: "wrong-one"
        })
      )
      expect(e._tag).toBe("InvalidCredentials")
      expect(e.code).toBe(402)
      expect(e.error).toBe("invalid_client_credentials")
      expect(e.requestId).toMatch(/^req/)
      expect(JSON.stringify({ ...e, message: e.message })).not.toContain("wrong-one")
    }
  })

  it("params are encoded per the facts on the wire", async () => {
    const body = value(
      await withClient((c) =>
        c.call("entity.find", {
          filter: "email = 'a@b.c'",
          attributes: ["uuid", "email"],
          show_total_count: true,
          max_results: 5
        })
      )
    )
    expect(body.echo).toEqual({
      filter: "email = 'a@b.c'",
      attributes: '["uuid","email"]',
      show_total_count: "true",
      max_results: "5"
    })
  })

  it("480 and 510 are retried with backoff, then succeed", async () => {
    server.faults.set("entity.count", [510, 480])
    const body = value(await withClient((c) => c.call("entity.count")))
    expect(body.total_count).toBe(42)
    expect(server.events.filter((e) => e.op === "entity.count").map((e) => e.code ?? 0)).toEqual([
      510, 480, 0
    ])
  })

  it("a transient code that persists ends after maxAttempts, typed and transient", async () => {
    server.faults.set("entity.count", [480, 480, 480, 480, 480])
    const e = failed(
      await withClient((c) => c.call("entity.count"), {
        backoff: { maxAttempts: 3, baseMillis: 1, maxMillis: 2 }
      })
    )
    expect(e._tag).toBe("ServiceUnavailable")
    expect(e.code).toBe(480)
    expect(server.events.filter((e) => e.op === "entity.count")).toHaveLength(3)
  })

  it("creationToken: a Redacted value and its expiry", async () => {
    const before = Date.now()
    const ct = value(await withClient((c) => c.creationToken({ typeName: "user", lifetime: 60 })))
    expect(Redacted.isRedacted(ct.value)).toBe(true)
    expect(ct.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 60_000)
    expect(ct.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 60_000)
  })

  it("authorizationCode validates its entity choice before sending", async () => {
    const e = failed(
      await withClient((c) =>
        c.authorizationCode({ typeName: "user", uuid: "u", id: 3, redirectUri } as never)
      )
    )
    expect(e._tag).toBe("ConfigError")
    expect(server.events).toHaveLength(0)
  })
})

describe("the code exchange", () => {
  it("opens a session seeded with the exchanged token: its first call sends no refresh", async () => {
    const result = value(
      await withClient((c) =>
        Effect.gen(function* () {
          const session = yield* openSession(c)
          const me = yield* session.call("entity", { type_name: "user" })
          const tokens = yield* session.tokens
          return { me, tokens }
        })
      )
    )
    expect(result.me.result).toEqual({ uuid: "u-1", email: "ada@example.com" })
    const exchange = server.events.find((e) => e.grant === "authorization_code")!
    expect(Redacted.value(result.tokens.accessToken)).toBe(exchange.issued!.accessToken)
    expect(Redacted.value(result.tokens.refreshToken)).toBe(exchange.issued!.refreshToken)
    expect(server.refreshes()).toBe(0)
    // The access token travels as Authorization: OAuth, never with the client's credentials.
    expect(tokenCalls()).toHaveLength(1)
    expect(tokenCalls()[0]!.accessToken).toBe(exchange.issued!.accessToken)
  })

  it("a code is single-use: the second exchange is TokenExpired (415), the code in no message", async () => {
    const code = server.issueCode("u-2", redirectUri)
    const e = failed(
      await withClient((c) =>
        Effect.andThen(c.exchangeCode({ code, redirectUri }), c.exchangeCode({ code, redirectUri }))
      )
    )
    expect(e._tag).toBe("TokenExpired")
    expect(e.code).toBe(415)
    expect(e.status).toBe(400)
    expect(e.message + (e.description ?? "")).not.toContain(code)
  })

  it("a redirect_uri mismatch is a CaptureError (420) with Capture's fields", async () => {
    const code = server.issueCode("u-2", redirectUri)
    const e = failed(
      await withClient((c) => c.exchangeCode({ code, redirectUri: "https://other.example.com/cb" }))
    )
    expect(e._tag).toBe("CaptureError")
    expect(e.code).toBe(420)
    expect(e.error).toBe("redirect_uri_mismatch")
    expect(e.description).toBe("redirect_uri mismatch")
    expect(e.requestId).toMatch(/^req/)
  })
})

describe("refresh-token rotation", () => {
  it("200 concurrent callers on a session gone stale by the clock: exactly one oauth/token refresh, all served", async () => {
    server.refreshDelay = 50
    const results = value(
      await withTestClock((c) =>
        Effect.gen(function* () {
          const session = yield* openSession(c)
          yield* TestClock.adjust(pastStale)
          return yield* Effect.all(
            Array.from({ length: 200 }, () => session.call("entity", { type_name: "user" })),
            { concurrency: "unbounded" }
          )
        })
      )
    )
    expect(results).toHaveLength(200)
    expect(server.refreshes()).toBe(1)
    const refresh = server.events.find((e) => e.grant === "refresh_token")!
    expect(new Set(tokenCalls().map((e) => e.accessToken))).toEqual(new Set([refresh.issued!.accessToken]))
  })

  it("200 concurrent callers on a resumed session (no access token yet): exactly one refresh", async () => {
    const code = server.issueCode("u-3", redirectUri)
    const outcome = value(
      await withClient((c) =>
        Effect.gen(function* () {
          const first = yield* c.exchangeCode({ code, redirectUri })
          const { refreshToken } = yield* first.tokens
          yield* first.close
          const resumed = yield* c.session({ refreshToken: Redacted.value(refreshToken), key: "resumed-1" })
          return yield* Effect.all(
            Array.from({ length: 200 }, () => resumed.call("entity")),
            { concurrency: "unbounded" }
          )
        })
      )
    )
    expect(outcome).toHaveLength(200)
    expect(server.refreshes()).toBe(1)
  })

  it("stores the rotated refresh token before the new access token is used", async () => {
    // The store's writes go into the server's own event log, as they finish: one timeline for both.
    // The store is slow (60 ms of real I/O latency, like the server's refreshDelay: the client's clock is not
    // involved): it widens the window in which a wrong order would show. The outcome does not depend on speed.
    const memory = RefreshTokenStore.memory()
    const slowStore: RefreshTokenStore.RefreshTokenStore = {
      get: memory.get,
      set: (key, refreshToken) =>
        TestClock.withLive(Effect.sleep("60 millis")).pipe(
          Effect.andThen(memory.set(key, refreshToken)),
          Effect.andThen(
            Effect.sync(() =>
              server.events.push({
                op: "store.set",
                at: Date.now(),
                auth: "store",
                refreshToken: Redacted.value(refreshToken),
                status: 0
              })
            )
          )
        )
    }
    const stored = value(
      await withTestClock(
        (c) =>
          Effect.gen(function* () {
            const session = yield* openSession(c, "ordered")
            yield* TestClock.adjust(pastStale)
            yield* Effect.all([session.call("entity"), session.call("entity")], { concurrency: "unbounded" })
            return yield* slowStore.get("ordered")
          }),
        { tokenStore: slowStore }
      )
    )
    const timeline = server.events
    const exchange = timeline.find((e) => e.grant === "authorization_code")!
    const refresh = timeline.find((e) => e.grant === "refresh_token")!
    const index = (p: (e: (typeof timeline)[number]) => boolean) => timeline.findIndex(p)
    // The exchanged refresh token was stored before exchangeCode returned (before any use), and the refresh
    // presented exactly that token.
    expect(
      index((e) => e.op === "store.set" && e.refreshToken === exchange.issued!.refreshToken)
    ).toBeLessThan(index((e) => e.grant === "refresh_token"))
    expect(refresh.refreshToken).toBe(exchange.issued!.refreshToken)
    // The rotated refresh token was stored before the server ever saw the access token that came with it.
    const storedAt = index((e) => e.op === "store.set" && e.refreshToken === refresh.issued!.refreshToken)
    const firstUse = index((e) => e.accessToken === refresh.issued!.accessToken)
    expect(storedAt).toBeGreaterThan(index((e) => e.grant === "refresh_token"))
    expect(firstUse).toBeGreaterThan(storedAt)
    expect(Option.map(stored, Redacted.value)).toEqual(Option.some(refresh.issued!.refreshToken))
    expect(server.refreshes()).toBe(1)
  })

  it("a refresh token used twice is refused by the server: the second session fails, typed, token not shown", async () => {
    const code = server.issueCode("u-4", redirectUri)
    const e = failed(
      await withClient((c) =>
        Effect.gen(function* () {
          const first = yield* c.exchangeCode({ code, redirectUri })
          const { refreshToken } = yield* first.tokens
          const a = yield* c.session({ refreshToken, key: "twin-a" })
          const b = yield* c.session({ refreshToken, key: "twin-b" })
          yield* a.call("entity")
          return yield* b.call("entity")
        })
      )
    )
    expect(server.refreshes()).toBe(2)
    expect(e._tag).toBe("CaptureError")
    expect(e.code).toBe(200)
    expect(e.status).toBe(400)
    const presented = server.events.filter((x) => x.grant === "refresh_token")[1]!.refreshToken!
    expect(e.message).not.toContain(presented)
    expect(e.description).toContain("<redacted>")
    expect(e.description).not.toContain(presented)
  })

  it("resumes from the store by key alone", async () => {
    const store = RefreshTokenStore.memory()
    const body = value(
      await withClient(
        (c) =>
          Effect.gen(function* () {
            const first = yield* openSession(c, "by-key")
            yield* first.close
            const again = yield* c.session({ key: "by-key" })
            return yield* again.call("entity")
          }),
        { tokenStore: store }
      )
    )
    expect(body.result).toEqual({ uuid: "u-1", email: "ada@example.com" })
    expect(server.refreshes()).toBe(1)
  })
})

describe("sessions sharing a store", () => {
  it("a second client resuming the same key uses the token the first one rotated (read from the store)", async () => {
    const store = RefreshTokenStore.memory()
    const body = value(
      await withClient(
        (a) =>
          Effect.gen(function* () {
            const first = yield* openSession(a, "shared")
            const { refreshToken } = yield* first.tokens
            // Another process resumes with the same refresh token, then this one refreshes (rotating it)…
            const other = yield* Effect.scoped(
              Effect.flatMap(CaptureClient.make(configFor({ tokenStore: store })), (b) =>
                Effect.gen(function* () {
                  const resumed = yield* b.session({ refreshToken, key: "shared" })
                  yield* first.manager.refresh
                  // …so the other one's token in memory is spent: it reads the newer one from the store.
                  return yield* resumed.call("entity")
                })
              ).pipe(Effect.provide(FetchHttpClient.layer))
            )
            return other
          }),
        { tokenStore: store }
      )
    )
    expect(body.stat).toBe("ok")
    expect(server.refreshes()).toBe(2)
    expect(server.events.filter((e) => e.grant === "refresh_token").every((e) => e.status === 200)).toBe(true)
  })
})

describe("414 access_token_expired", () => {
  it("invalidates that token, refreshes once and retries once", async () => {
    const body = value(
      await withClient((c) =>
        Effect.gen(function* () {
          const session = yield* openSession(c)
          const { accessToken } = yield* session.tokens
          server.expire(Redacted.value(accessToken))
          return yield* session.call("entity")
        })
      )
    )
    expect(body.stat).toBe("ok")
    expect(server.refreshes()).toBe(1)
    expect(tokenCalls().map((e) => e.code ?? 0)).toEqual([414, 0])
  })

  it("never loops: a second 414 right after the refresh is final", async () => {
    const e = failed(
      await withClient((c) =>
        Effect.gen(function* () {
          const session = yield* openSession(c)
          server.always414 = true
          return yield* session.call("entity")
        })
      )
    )
    expect(e._tag).toBe("TokenExpired")
    expect(e.code).toBe(414)
    expect(e.error).toBe("access_token_expired")
    expect(tokenCalls()).toHaveLength(2)
    expect(server.refreshes()).toBe(1)
  })

  it("concurrent 414s on the same token cause one refresh (compare-and-invalidate)", async () => {
    const results = value(
      await withClient((c) =>
        Effect.gen(function* () {
          const session = yield* openSession(c)
          const { accessToken } = yield* session.tokens
          server.expire(Redacted.value(accessToken))
          server.refreshDelay = 30
          return yield* Effect.all(
            Array.from({ length: 50 }, () => session.call("entity")),
            { concurrency: "unbounded" }
          )
        })
      )
    )
    expect(results).toHaveLength(50)
    expect(server.refreshes()).toBe(1)
  })
})

describe("closing", () => {
  it("a closed session fails with ConfigError; closing the client's scope closes its sessions", async () => {
    const e = failed(
      await withClient((c) =>
        Effect.gen(function* () {
          const session = yield* openSession(c)
          yield* session.close
          return yield* session.call("entity")
        })
      )
    )
    expect(e._tag === "ConfigError" && e.field).toBe("close")
  })
})
