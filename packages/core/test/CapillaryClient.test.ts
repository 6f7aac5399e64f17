import { type Simulator, startSimulator } from "@capauth/testkit"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Logger, PubSub, Redacted, Stream } from "effect"
import { FetchHttpClient, Headers, HttpClientRequest } from "effect/http"
import { TestClock } from "effect/testing"
import { afterAll, afterEach, beforeAll } from "vitest"
import { CapillaryClient, CapillaryConfig, TokenManager } from "../src/index.ts"
import { freshClient } from "./support.ts"

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ sharedKey: true })
})
afterAll(() => sim.close())
afterEach(() => {
  sim.faults.clear()
  sim.setExpirySignal("http-498")
  sim.setAuthFailureSignal("both")
})

const live = (input: Omit<CapillaryConfig.Input, "baseUrl">) =>
  CapillaryClient.layer.pipe(
    Layer.provide(CapillaryConfig.layer({ baseUrl: sim.url, ...input })),
    Layer.provide(FetchHttpClient.layer)
  )

const withClient = <A, E>(
  input: Omit<CapillaryConfig.Input, "baseUrl">,
  f: (client: CapillaryClient.CapillaryClient["Service"], tokens: TokenManager.Service) => Effect.Effect<A, E>
) =>
  Effect.gen(function* () {
    const client = yield* CapillaryClient.CapillaryClient
    const tokens = yield* TokenManager.TokenManager
    return yield* f(client, tokens)
  }).pipe(Effect.provide(live(input)))

const customerAdd = (mobile: string) =>
  HttpClientRequest.post("/v1.1/customer/add?format=json").pipe(
    HttpClientRequest.bodyJsonUnsafe({ root: { customer: [{ mobile, firstname: "Ada" }] } })
  )

describe("CapillaryClient", () => {
  it.live("attaches the token header, JSON headers and the default attribution; no Authorization", () =>
    Effect.gen(function* () {
      const c = freshClient(sim)
      const body = yield* withClient(
        { credentials: c, attribution: { type: "TILL", code: "store.till2" } },
        (client) => Effect.flatMap(client.execute(customerAdd("919000000001")), (r) => r.json)
      )
      expect(body).toMatchObject({ response: { status: { code: 200 } } })
      const seen = sim.requests.at(-1)!
      expect(seen.headers["x-cap-api-oauth-token"]).toMatch(/^eyJ/)
      expect(seen.headers.authorization).toBeUndefined()
      expect(seen.headers["content-type"]).toMatch(/application\/json/)
      expect(seen.headers.accept).toBe("application/json")
      expect(sim.writes.at(-1)?.attribution).toEqual({ type: "TILL", code: "store.till2" })
    })
  )

  it.live("a per-request attribution overrides the default", () =>
    Effect.gen(function* () {
      const c = freshClient(sim)
      yield* withClient({ credentials: c, attribution: { type: "TILL", code: "store.till2" } }, (client) =>
        client.execute(
          customerAdd("919000000002").pipe(CapillaryClient.attribute({ type: "STORE_CODE", code: "store1" }))
        )
      )
      expect(sim.writes.at(-1)?.attribution).toEqual({ type: "STORE_CODE", code: "store1" })
    })
  )

  for (const signal of ["http-498", "body-string", "body-number"] as const) {
    it.live(
      `recovers from expiry signalled as ${signal}: invalidate, renew, replay once with the body intact`,
      () =>
        Effect.gen(function* () {
          const c = freshClient(sim)
          sim.setExpirySignal(signal)
          const mobile = `91900000${signal.length}${Math.floor(Math.random() * 1000)}`
          const result = yield* withClient({ credentials: c }, (client, tokens) =>
            Effect.gen(function* () {
              const before = yield* tokens.get
              sim.expireAllTokens()
              const response = yield* client.execute(customerAdd(mobile))
              const json = yield* response.json
              const after = yield* tokens.get
              return { before, after, json, status: response.status, stats: yield* tokens.stats }
            })
          )
          expect(result.status).toBe(200)
          expect(result.json).toMatchObject({ response: { status: { code: 200 } } })
          expect(Redacted.value(result.after.value)).not.toBe(Redacted.value(result.before.value))
          expect(c.requests()).toBe(2)
          expect(result.stats.invalidated).toBe(1)
          const writes = sim.writes.filter((w) => JSON.stringify(w.body).includes(mobile))
          expect(writes).toHaveLength(1) // the rejected attempt wrote nothing; the replay wrote once
        })
    )
  }

  it.live("a second expiry is TokenExpired with the request id, never a loop", () =>
    Effect.gen(function* () {
      const c = freshClient(sim)
      sim.faults.add({ path: "/v1.1/customer/get", fault: { kind: "status", status: 498 }, times: 5 })
      const error = yield* withClient({ credentials: c }, (client) =>
        Effect.flip(client.get("/v1.1/customer/get?format=json&mobile=919876543210"))
      )
      expect(error._tag).toBe("TokenExpired")
      expect("requestId" in error && error.requestId).toMatch(/.+/)
      expect(c.requests()).toBe(2)
      expect(sim.requests.filter((r) => r.path === "/v1.1/customer/get" && r.status === 498)).toHaveLength(2)
    })
  )

  it.live("401 is retried once, then TokenRejected", () =>
    Effect.gen(function* () {
      const c = freshClient(sim)
      const once = yield* withClient({ credentials: c }, (client, tokens) =>
        Effect.gen(function* () {
          sim.revokeToken(Redacted.value((yield* tokens.get).value))
          return (yield* client.get("/v2/customers/1")).status
        })
      )
      expect(once).toBe(200)
      expect(c.requests()).toBe(2)
      sim.faults.add({ path: "/v2/customers/1", fault: { kind: "status", status: 401 }, times: 2 })
      const error = yield* withClient({ credentials: c }, (client) =>
        Effect.flip(client.get("/v2/customers/1"))
      )
      expect(error._tag).toBe("TokenRejected")
    })
  )

  it.live("the body the caller reads is not consumed by the check, in any form", () =>
    Effect.gen(function* () {
      const c = freshClient(sim)
      const [text, streamed] = yield* withClient({ credentials: c }, (client) =>
        Effect.all([
          Effect.flatMap(client.get("/v1.1/customer/get?format=json&mobile=919876543210"), (r) => r.text),
          Effect.flatMap(client.get("/v1.1/customer/get?format=json&mobile=919876543210"), (r) =>
            Stream.runCollect(Stream.decodeText(r.stream))
          )
        ])
      )
      expect(JSON.parse(text)).toMatchObject({ response: { status: { success: true } } })
      expect(streamed.join("")).toBe(text)
    })
  )

  it.live("403 passes through by default and becomes AccessDenied when asked", () =>
    Effect.gen(function* () {
      const c = freshClient(sim, { accessGroup: { customer: "read" } })
      const status = yield* withClient({ credentials: c }, (client) =>
        Effect.map(client.execute(customerAdd("919000000099")), (r) => r.status)
      )
      expect(status).toBe(403)
      const error = yield* withClient({ credentials: c, mapForbidden: true }, (client) =>
        Effect.flip(client.execute(customerAdd("919000000099")))
      )
      expect(error._tag).toBe("AccessDenied")
    })
  )

  it.live("Basic till auth: the documented header is accepted; a wrong password is InvalidCredentials", () =>
    Effect.gen(function* () {
      const ok = yield* withClient(
        { credentials: { till: "store.server", password: "server123" } },
        (client) => client.get("/v1.1/customer/get?format=json&mobile=919876543210")
      )
      expect(ok.status).toBe(200)
      expect(sim.requests.at(-1)?.headers.authorization).toBe(
        "Basic c3RvcmUuc2VydmVyOjhhMTZhNmI3MDUwNWViMWYxZmY3Y2RjMGNkNTU1OWE3"
      )
      const error = yield* withClient({ credentials: { till: "store.server", password: "nope" } }, (client) =>
        Effect.flip(client.get("/v1.1/customer/get?format=json&mobile=919876543210"))
      )
      expect(error._tag).toBe("InvalidCredentials")
      expect(sim.stats().tokenRequestsTotal).toBeGreaterThanOrEqual(0)
    })
  )

  it.live("the token header is redacted in Effect's header logging", () =>
    Effect.gen(function* () {
      const logged = (layer: Layer.Layer<never>) => {
        const lines: Array<string> = []
        const capture = Logger.map(Logger.formatLogFmt, (line) => void lines.push(line))
        const headers = Headers.fromInput({
          "x-cap-api-oauth-token": "secret-token-value",
          accept: "application/json"
        })
        return Effect.log("request headers", headers).pipe(
          Effect.provide(Logger.layer([capture])),
          Effect.provide(layer),
          Effect.map(() => lines.join("\n"))
        )
      }
      const control = yield* logged(Layer.empty)
      expect(control).toContain("secret-token-value") // without the layer Effect would print it
      const redacted = yield* logged(CapillaryClient.layerRedactHeaders)
      expect(redacted).not.toContain("secret-token-value")
      expect(redacted).toContain("<redacted>")
      expect(redacted).toContain("application/json")
    })
  )
})

describe("CapillaryClient: availability under a failing token endpoint (the facade options reach the Effect client)", () => {
  it.effect(
    "a hung token request is given up after a third of tokenTimeoutMillis: the cold call gets the retry",
    () =>
      Effect.gen(function* () {
        const c = freshClient(sim)
        sim.faults.add({ path: "/v3/oauth/token/generate", fault: { kind: "no-response" }, times: 1 })
        yield* withClient({ credentials: c, tokenTimeoutMillis: 2_000 }, (client, tokens) =>
          Effect.gen(function* () {
            const sub = yield* tokens.subscribe
            const cold = yield* Effect.forkChild(client.get("/v2/customers/1"))
            for (let i = 0; i < 2_000 && c.requests() === 0; i++) {
              yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
            }
            yield* TestClock.adjust(665)
            expect(c.requests()).toBe(1)
            yield* TestClock.adjust(1) // 666 ms: the attempt is given up, and retried after a backoff
            const retrying = yield* PubSub.take(sub)
            expect(retrying._tag === "Retrying" && retrying.error).toBe("TransportError")
            expect(cold.pollUnsafe()).toBeUndefined()
            yield* TestClock.adjust(retrying._tag === "Retrying" ? retrying.delayMillis : 0)
            expect((yield* Fiber.join(cold)).status).toBe(200) // within the 2 s the call may wait
            expect(c.requests()).toBe(2)
          }).pipe(Effect.scoped)
        )
      })
  )

  it.live("a 498 drops the token before the replay: no later request carries it", () =>
    Effect.gen(function* () {
      const c = freshClient(sim)
      yield* withClient({ credentials: c }, (client, tokens) =>
        Effect.gen(function* () {
          const old = Redacted.value((yield* tokens.get).value)
          sim.faults.add({ path: "/v2/customers/1", fault: { kind: "status", status: 498 }, times: 1 })
          expect((yield* client.get("/v2/customers/1")).status).toBe(200)
          yield* Effect.all(Array.from({ length: 5 }, () => client.get("/v2/customers/1")))
          const sent = sim.requests
            .filter((r) => r.path === "/v2/customers/1")
            .map((r) => r.headers["x-cap-api-oauth-token"])
          expect(sent.indexOf(old)).toBe(sent.lastIndexOf(old)) // only the refused request carried it
          expect((yield* tokens.stats).invalidated).toBe(1)
        })
      )
    })
  )
})
