/**
 * Capture against the testkit simulator's Capture endpoints (`sim.captureUrl`, written independently of the
 * library: it recomputes signatures, spends codes and refresh tokens once, and expires tokens by its clock).
 */
import { SAMPLE_CAPTURE_CLIENT, SAMPLE_CAPTURE_USER, type Simulator, startSimulator } from "@capauth/testkit"
import { Effect, Exit, Option, Redacted, Result } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import * as TestClock from "effect/testing/TestClock"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import * as CapturePromiseClient from "../src/CapturePromiseClient.ts"
import {
  type AuthError,
  CaptureClient,
  CaptureConfig,
  CaptureRequest,
  CaptureResponse,
  RefreshTokenStore,
  TokenEndpoint
} from "../src/index.ts"
import { soleFailure } from "./support.ts"

let sim: Simulator
const shortLived = { clientId: "short-lived", clientSecret: "short-secret", accessTokenTtlSeconds: 2 }

beforeAll(async () => {
  sim = await startSimulator({
    port: 0,
    capture: { clients: [SAMPLE_CAPTURE_CLIENT, shortLived] }
  })
})
afterAll(() => sim.close())
beforeEach(() => sim.reset())

const uuid = SAMPLE_CAPTURE_USER.uuid
const redirectUri = "https://app.example.com/callback"

const configFor = (input: Partial<CaptureConfig.Input> = {}) =>
  Result.getOrThrow(
    CaptureConfig.make({
      baseUrl: sim.captureUrl,
      clientId: SAMPLE_CAPTURE_CLIENT.clientId,
      clientSecret: SAMPLE_CAPTURE_CLIENT.clientSecret,
      backoff: { baseMillis: 5, maxMillis: 20 },
      ...input
    })
  )

const withClient = <A, E>(
  f: (client: CaptureClient.Service) => Effect.Effect<A, E>,
  input: Partial<CaptureConfig.Input> = {}
) =>
  Effect.runPromiseExit(
    Effect.scoped(Effect.flatMap(CaptureClient.make(configFor(input)), f)).pipe(
      Effect.provide(FetchHttpClient.layer)
    )
  )

const value = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (Exit.isSuccess(exit)) return exit.value
  throw new Error(`expected success, got ${String(exit.cause)}`)
}

const failed = <A, E>(exit: Exit.Exit<A, E>) => {
  const error = soleFailure(exit)
  if (error === undefined) throw new Error(`expected a typed failure, got ${String(exit)}`)
  return error as unknown as AuthError.AuthError
}

const openSession = (client: CaptureClient.Service, key?: string) =>
  Effect.flatMap(client.authorizationCode({ typeName: "user", uuid, redirectUri }), (code) =>
    client.exchangeCode({ code, redirectUri, key })
  )

const stats = () => sim.capture.stats()
const refreshes = () => stats().tokenRequests.refresh_token ?? 0

describe("against the testkit Capture simulator", () => {
  it.each(CaptureConfig.clientAuths)("client call in %s mode", async (clientAuth) => {
    const body = value(await withClient((c) => c.call("entity.count", { type_name: "user" }), { clientAuth }))
    expect(body.total_count).toBe(1)
    const logged = sim.capture.requests.at(-1)!
    expect(logged.auth).toBe(clientAuth)
    expect(logged.stat).toBe("ok")
    if (clientAuth === "signed") expect(stats().signatureChecks).toEqual({ passed: 1, failed: 0 })
  })

  it("signed requests with params the simulator re-signs (objects as JSON, booleans, numbers)", async () => {
    const body = value(
      await withClient(
        (c) =>
          c.call("entity", {
            type_name: "user",
            key_attribute: "email",
            key_value: "sample.user@example.com",
            attributes: ["email", "givenName"]
          }),
        { clientAuth: "signed" }
      )
    )
    expect((body.result as { uuid: string }).uuid).toBe(uuid)
    expect(stats().signatureChecks.failed).toBe(0)
  })

  it("code flow: the session is seeded, its access token travels as OAuth, no refresh", async () => {
    const result = value(
      await withClient((c) =>
        Effect.gen(function* () {
          const session = yield* openSession(c)
          return yield* session.call("entity", { type_name: "user" })
        })
      )
    )
    expect((result.result as { uuid: string }).uuid).toBe(uuid)
    expect(refreshes()).toBe(0)
    expect(stats().authorizationCodesRedeemed).toBe(1)
    expect(sim.capture.requests.at(-1)!.auth).toBe("access_token")
  })

  it("a stat error rejects with Capture's fields, in both envelope spellings", async () => {
    for (const style of ["standard", "legacy"] as const) {
      sim.capture.setErrorStyle(style)
      const e = failed(await withClient((c) => c.call("entity.count", { type_name: "nope" })))
      expect(e._tag).toBe("CaptureError")
      expect(e.code).toBe(200)
      expect(e.error).toBe("invalid_argument")
      expect(e.description).toBe("unknown entity type nope")
      expect(e.requestId).toMatch(/^[a-z0-9]{16}$/)
    }
  })

  it("200 concurrent callers on a resumed session: exactly one refresh, no reuse", async () => {
    const outcome = value(
      await withClient((c) =>
        Effect.gen(function* () {
          const first = yield* openSession(c)
          const { refreshToken } = yield* first.tokens
          yield* first.close
          const resumed = yield* c.session({ refreshToken, key: "resumed" })
          return yield* Effect.all(
            Array.from({ length: 200 }, () => resumed.call("entity")),
            { concurrency: "unbounded" }
          )
        })
      )
    )
    expect(outcome).toHaveLength(200)
    expect(refreshes()).toBe(1)
    expect(stats().refreshTokenReuse).toBe(0)
  })

  it("200 concurrent callers on a session expired by the clock: exactly one refresh", async () => {
    // The client's clock (TestClock) moves past the token's stale point; this simulator's clock is manual and
    // never moves, so no token expires server-side while the calls run: only the client's own rule refreshes.
    const still = await startSimulator({ port: 0, clock: "manual", capture: { clients: [shortLived] } })
    try {
      const outcome = value(
        await Effect.runPromiseExit(
          Effect.scoped(
            Effect.gen(function* () {
              const c = yield* CaptureClient.make(
                Result.getOrThrow(
                  CaptureConfig.make({
                    baseUrl: still.captureUrl,
                    clientId: shortLived.clientId,
                    clientSecret: shortLived.clientSecret,
                    refresh: { refreshAtFraction: 1 }
                  })
                )
              )
              const session = yield* openSession(c)
              yield* TestClock.adjust("1900 millis") // stale at 1.8 s of 2 s
              return yield* Effect.all(
                Array.from({ length: 200 }, () => session.call("entity")),
                { concurrency: "unbounded" }
              )
            })
          ).pipe(Effect.provide(FetchHttpClient.layer), Effect.provide(TestClock.layer()))
        )
      )
      expect(outcome).toHaveLength(200)
      const stillStats = still.capture.stats()
      expect(stillStats.tokenRequests.refresh_token ?? 0).toBe(1)
      expect(stillStats.refreshTokenReuse).toBe(0)
      expect(
        still.capture.requests.filter((r) => r.auth === "access_token" && r.stat === "error")
      ).toHaveLength(0)
    } finally {
      await still.close()
    }
  })

  it("414 from the server (tokens expired server-side) on 200 concurrent calls: one refresh, all retried once", async () => {
    const outcome = value(
      await withClient((c) =>
        Effect.gen(function* () {
          const session = yield* openSession(c)
          yield* session.call("entity")
          sim.capture.expireAccessTokens()
          return yield* Effect.all(
            Array.from({ length: 200 }, () => session.call("entity")),
            { concurrency: "unbounded" }
          )
        })
      )
    )
    expect(outcome).toHaveLength(200)
    expect(refreshes()).toBe(1)
    const on414 = sim.capture.requests.filter((r) => r.operation === "/entity" && r.code === 414).length
    const ok = sim.capture.requests.filter((r) => r.operation === "/entity" && r.stat === "ok").length
    expect(ok).toBe(201)
    expect(on414).toBeLessThanOrEqual(200)
  })

  it("a 414 again right after the refresh is final: never a loop", async () => {
    const e = failed(
      await withClient((c) =>
        Effect.gen(function* () {
          const session = yield* openSession(c)
          sim.faults.add({
            path: "/capture/entity",
            fault: { kind: "status", status: 200, errorCode: 414 },
            times: 5
          })
          return yield* session.call("entity")
        })
      )
    )
    expect(e._tag).toBe("TokenExpired")
    expect(e.code).toBe(414)
    expect(refreshes()).toBe(1)
    expect(sim.requests.filter((r) => r.path === "/capture/entity")).toHaveLength(2)
  })

  it("stores the rotated refresh token before the new access token is used", async () => {
    const memory = RefreshTokenStore.memory()
    const marks: Array<{ refreshToken: string; requestsSeen: number }> = []
    const store: RefreshTokenStore.RefreshTokenStore = {
      get: memory.get,
      // A slow store (40 ms of I/O latency): it widens the window in which a wrong order would show. Nothing
      // goes stale by time here (the simulator expires the tokens), and the outcome does not depend on speed.
      set: (key, refreshToken) =>
        Effect.sleep("40 millis").pipe(
          Effect.andThen(memory.set(key, refreshToken)),
          Effect.andThen(
            Effect.sync(() =>
              marks.push({
                refreshToken: Redacted.value(refreshToken),
                requestsSeen: sim.capture.requests.length
              })
            )
          )
        )
    }
    const stored = value(
      await withClient(
        (c) =>
          Effect.gen(function* () {
            const session = yield* openSession(c, "ordered")
            sim.capture.expireAccessTokens()
            yield* Effect.all([session.call("entity"), session.call("entity"), session.call("entity")], {
              concurrency: "unbounded"
            })
            return yield* store.get("ordered")
          }),
        { tokenStore: store }
      )
    )
    const rotated = sim.capture.tokens.find((t) => t.grantType === "refresh_token")!
    expect(Option.map(stored, Redacted.value)).toEqual(Option.some(rotated.refreshToken))
    const mark = marks.find((m) => m.refreshToken === rotated.refreshToken)!
    const refreshAt = sim.capture.requests.findIndex(
      (r) => r.operation === "/oauth/token" && r.params.grant_type === "refresh_token"
    )
    // Stored after the refresh was answered, and no request with an access token reached the server between
    // the refresh and the end of the store write.
    expect(mark.requestsSeen).toBeGreaterThan(refreshAt)
    const between = sim.capture.requests.slice(refreshAt + 1, mark.requestsSeen)
    expect(between.filter((r) => r.auth === "access_token")).toHaveLength(0)
    expect(sim.capture.requests.slice(mark.requestsSeen).filter((r) => r.stat === "ok")).toHaveLength(3)
  })

  it("a refresh token used twice is refused by the simulator (210): typed, token in no message", async () => {
    const e = failed(
      await withClient((c) =>
        Effect.gen(function* () {
          const first = yield* openSession(c)
          const { refreshToken } = yield* first.tokens
          const a = yield* c.session({ refreshToken, key: "twin-a" })
          const b = yield* c.session({ refreshToken, key: "twin-b" })
          yield* a.call("entity")
          return yield* b.call("entity")
        })
      )
    )
    expect(stats().refreshTokenReuse).toBe(1)
    expect(e._tag).toBe("InvalidCredentials")
    expect(e.code).toBe(210)
    expect(e.status).toBe(400)
    const spent = sim.capture.tokens[0]!.refreshToken
    expect(`${e.message} ${e.description}`).not.toContain(spent)
  })

  it("510 and 480 (injected) are retried with backoff", async () => {
    sim.faults.add({
      path: "/capture/entity.count",
      fault: { kind: "status", status: 200, errorCode: 510 },
      times: 1
    })
    sim.faults.add({
      path: "/capture/entity.count",
      fault: { kind: "status", status: 200, errorCode: 480 },
      times: 1
    })
    const body = value(await withClient((c) => c.call("entity.count", { type_name: "user" })))
    expect(body.total_count).toBe(1)
    expect(sim.requests.filter((r) => r.path === "/capture/entity.count")).toHaveLength(3)
  })

  it("malformed answers are typed", async () => {
    sim.faults.add({ path: "/capture/entity.count", fault: { kind: "malformed-json" }, times: 1 })
    const e = failed(await withClient((c) => c.call("entity.count", { type_name: "user" })))
    expect(e._tag).toBe("MalformedResponse")
  })

  it("a creation token lets entity.create run with no client credentials (built by CaptureRequest)", async () => {
    const config = configFor()
    const ct = value(await withClient((c) => c.creationToken({ typeName: "user", lifetime: 60 })))
    const created = await Effect.runPromise(
      Effect.gen(function* () {
        const http = yield* HttpClient.HttpClient
        const request = yield* Effect.fromResult(
          CaptureRequest.request(
            config,
            "entity.create",
            { type_name: "user", attributes: { email: "new@example.com" } },
            CaptureRequest.creationToken(ct.value),
            Date.now()
          )
        )
        const facts = yield* Effect.scoped(Effect.flatMap(http.execute(request), TokenEndpoint.readFacts))
        return yield* Effect.fromResult(CaptureResponse.process(facts, "entity.create", Date.now()))
      }).pipe(Effect.provide(FetchHttpClient.layer))
    )
    expect(typeof created.uuid).toBe("string")
    expect(sim.capture.writes.at(-1)!.principal).toBe(`creation_token:${SAMPLE_CAPTURE_CLIENT.clientId}`)
  })

  it("the Promise facade over the simulator", async () => {
    const capture = CapturePromiseClient.make(
      {
        baseUrl: sim.captureUrl,
        clientId: SAMPLE_CAPTURE_CLIENT.clientId,
        clientSecret: SAMPLE_CAPTURE_CLIENT.clientSecret,
        clientAuth: "signed"
      },
      { httpLayer: FetchHttpClient.layer, env: () => undefined }
    )
    try {
      expect((await capture.call("entity.count", { type_name: "user" })).total_count).toBe(1)
      const code = await capture.authorizationCode({ typeName: "user", uuid, redirectUri })
      const session = await capture.exchangeCode({ code, redirectUri })
      expect(((await session.call("entity", { type_name: "user" })).result as { uuid: string }).uuid).toBe(
        uuid
      )
      const { refreshToken } = await session.tokens()
      const again = capture.session({ refreshToken })
      expect((await again.call("entity")).stat).toBe("ok")
      const reused = await capture.exchangeCode({ code, redirectUri }).catch((e: unknown) => e)
      expect(reused).toMatchObject({ _tag: "TokenExpired", code: 415, error: "authorization_code_expired" })
      expect(String((reused as Error).message)).not.toContain(Redacted.value(code))
    } finally {
      await capture.close()
    }
  })
})
