/**
 * The contract of a capauth `TokenSource` that asks Capillary's token endpoint over HTTP (`TokenEndpoint.source`
 * of `@capauth/core`; a broker's source fronting it is meant to run it too), written once and run by a thin
 * runner per source: what a fetch hands back (the value Redacted, the stated lifetime, `sentAt` read just
 * before the request went out), a stable non-secret id, and every failure typed, transient or permanent as the
 * manager's retry needs it, with no secret in any of them.
 *
 * The suite imports neither `@capauth/core` nor `effect`: the runner hands it the source with a
 * Promise-returning `fetch` (`Effect.runPromise` over the port's Effect: a failure rejects with the typed
 * error) and the functions to judge values and errors. Each test starts its own simulator and closes it.
 *
 * @example
 * // vitest, over @capauth/core
 * sourceContract({
 *   test: (name, fn) => void it(name, fn),
 *   makeSource: async ({ url, key, secret, timeoutMillis }) => { ... TokenEndpoint.source(...) ... },
 *   redacted: Redacted,
 *   isTransient: (e) => isAuthError(e) && isTransient(e),
 *   inspect: (value) => inspect(value, { depth: 10 })
 * })
 * @module
 * @since 0.1.0
 */
import assert from "node:assert/strict"
import { SAMPLE_CLIENT } from "../defaults.ts"
import { type Simulator, startSimulator } from "../simulator.ts"
import type { Fault } from "../types.ts"
import { collector, type Tagged } from "./collect.ts"
import type { RedactedFunctions } from "./store.ts"

// ---------------------------------------------------------------------------------------------------------
// What a runner supplies.

/**
 * What a source's fetch hands back (core's `IssuedToken`).
 *
 * @since 0.1.0
 * @category models
 */
export interface ContractIssuedToken<Value> {
  readonly value: Value
  /** Local clock (ms) just before the request that produced this token was sent. */
  readonly sentAt: number
  readonly ttlSeconds: number
}

/**
 * A `TokenSource` with a Promise `fetch`; a failure rejects with the typed error.
 *
 * @since 0.1.0
 * @category models
 */
export interface ContractTokenSource<Value> {
  readonly id: string
  readonly fetch: () => Promise<ContractIssuedToken<Value>>
}

/**
 * Where and as whom a source under test asks.
 *
 * @since 0.1.0
 * @category models
 */
export interface SourceTarget {
  /** The simulator's origin (`http://127.0.0.1:PORT`). */
  readonly url: string
  readonly key: string
  readonly secret: string
  /** Give up on a request after this long (a `TransportError` with reason `Timeout`). */
  readonly timeoutMillis: number
}

/**
 * A runner of the source contract.
 *
 * @since 0.1.0
 * @category models
 */
export interface SourceRunner<Value> {
  /** Declares one test (`it` of vitest, `Deno.test`, ...). Tests must run one at a time, in order. */
  readonly test: (name: string, fn: () => Promise<void>) => void
  /** A source asking `target`; `close` (if any) releases what it opened. */
  readonly makeSource: (target: SourceTarget) => Promise<{
    readonly source: ContractTokenSource<Value>
    readonly close?: (() => Promise<void>) | undefined
  }>
  readonly redacted: RedactedFunctions<NoInfer<Value>>
  /** Whether the manager retries this error (core's `AuthError.isTransient`). */
  readonly isTransient: (error: unknown) => boolean
  /** Renders a value as the runtime's console would (`util.inspect`, `Deno.inspect`), deeply. */
  readonly inspect: (value: unknown) => string
}

// ---------------------------------------------------------------------------------------------------------

/** Short, so no "looks like a secret" pattern masks it: only scrubbing by value can. */
const SECRET = "s0urce-secret"
const KEY = "source-key"
const TOKEN_PATH = "/v3/oauth/token/generate"
const TTL = 1800

/**
 * Declares the source contract's tests with `runner.test`, in order; the last one checks every error collected
 * by the others, so run them all (no filtering) for that one to mean something.
 *
 * @since 0.1.0
 * @category testing
 */
export const sourceContract = <Value>(runner: SourceRunner<Value>): void => {
  const { redacted, isTransient, inspect } = runner
  const { collected, rejection } = collector()
  const tokensUsed = new Set<string>()

  const scope = () => {
    let sim: Simulator | undefined
    const closers: Array<() => Promise<void>> = []
    const start = async () => {
      sim = await startSimulator({
        port: 0,
        sharedKey: true,
        clients: [SAMPLE_CLIENT, { key: KEY, secret: SECRET, ttlSeconds: TTL, defaultTill: "store.till1" }]
      })
      return sim
    }
    const source = async (target: Partial<SourceTarget> = {}) => {
      const running = sim ?? (await start())
      const made = await runner.makeSource({
        url: running.url,
        key: KEY,
        secret: SECRET,
        timeoutMillis: 10_000,
        ...target
      })
      if (made.close !== undefined) closers.push(made.close)
      return { sim: running, source: made.source }
    }
    const dispose = async () => {
      for (const close of closers.splice(0)) await close()
      if (sim !== undefined) {
        for (const t of sim.tokens) tokensUsed.add(t.token)
        await sim.close()
      }
    }
    return { source, dispose }
  }
  type Scope = ReturnType<typeof scope>

  const test = (name: string, body: (s: Scope) => Promise<void>) =>
    runner.test(name, async () => {
      const s = scope()
      try {
        await body(s)
      } finally {
        await s.dispose()
      }
    })

  const tokenRequests = (sim: Simulator) => sim.requests.filter((r) => r.path === TOKEN_PATH)

  // -------------------------------------------------------------------------------------------------------
  // 1. What a fetch hands back.

  test("1a. a fetch hands back a token the server issued, its value Redacted, the stated lifetime", async (s) => {
    const { sim, source } = await s.source()
    const issued = await source.fetch()
    assert.ok(redacted.isRedacted(issued.value), "the value is not Redacted")
    assert.equal(redacted.value(issued.value), sim.tokens.at(-1)?.token)
    assert.equal(issued.ttlSeconds, TTL)
    for (const shown of [String(issued.value), JSON.stringify(issued), inspect(issued)]) {
      assert.ok(!shown.includes(redacted.value(issued.value)), `the token shows in ${shown.slice(0, 200)}`)
    }
  })

  test("1b. sentAt is the local clock just before the request went out", async (s) => {
    const { sim, source } = await s.source()
    const before = Date.now()
    const issued = await source.fetch()
    const after = Date.now()
    const arrived = tokenRequests(sim).at(-1)?.at
    assert.ok(arrived !== undefined)
    assert.ok(issued.sentAt >= before, `sentAt ${issued.sentAt} before the fetch began (${before})`)
    // The simulator (same process, same clock) logs when the request arrived: sentAt is not after it.
    assert.ok(issued.sentAt <= arrived, `sentAt ${issued.sentAt} after the request arrived (${arrived})`)
    assert.ok(arrived <= after)
  })

  test("1c. every fetch asks the server anew (the manager caches, never the source)", async (s) => {
    const { sim, source } = await s.source()
    const first = await source.fetch()
    const second = await source.fetch()
    assert.equal(tokenRequests(sim).length, 2)
    assert.notEqual(redacted.value(first.value), redacted.value(second.value))
    assert.ok(second.sentAt >= first.sentAt)
  })

  test("1d. the id is stable per credential, differs between credentials, and holds no secret", async (s) => {
    const { source: a } = await s.source()
    const { source: again } = await s.source()
    const { source: other } = await s.source({ key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret })
    assert.equal(a.id, again.id)
    assert.notEqual(a.id, other.id)
    assert.ok(a.id.length > 0)
    assert.ok(!a.id.includes(SECRET) && !other.id.includes(SAMPLE_CLIENT.secret), a.id)
  })

  // -------------------------------------------------------------------------------------------------------
  // 2. Failures, typed: permanent ones are not retried, transient ones are.

  const failing = async (
    s: Scope,
    where: string,
    fault: Fault | undefined,
    target: Partial<SourceTarget> = {}
  ) => {
    const { sim, source } = await s.source(target)
    if (fault !== undefined) sim.faults.add({ path: TOKEN_PATH, fault, times: 1 })
    const error = await rejection(where, source.fetch())
    assert.ok(error instanceof Error, `${where}: not an Error: ${String(error)}`)
    return { sim, source, error }
  }

  test("2a. a wrong secret is InvalidCredentials, permanent, with the server's request id", async (s) => {
    const { sim, error } = await failing(s, "2a", undefined, { secret: "wr0ng-secret" })
    assert.equal(error._tag, "InvalidCredentials")
    assert.equal(isTransient(error), false)
    assert.equal(error.requestId, tokenRequests(sim).at(-1)?.requestId)
  })

  test("2b. a disabled API client is InvalidCredentials (code 320002), permanent", async (s) => {
    const { sim, source } = await s.source()
    sim.disableClient(KEY)
    const error = await rejection("2b", source.fetch())
    assert.ok(error instanceof Error)
    // Capillary's 320002 ("client disabled"): the credentials no longer work.
    assert.equal(error._tag, "InvalidCredentials", String(error))
    assert.equal((error as { code?: unknown }).code, 320002)
    assert.equal(isTransient(error), false)
  })

  const transient: ReadonlyArray<readonly [string, Fault, string, Record<string, unknown>]> = [
    ["an HTTP 503", { kind: "status", status: 503 }, "ServiceUnavailable", { status: 503 }],
    ["an HTTP 500", { kind: "status", status: 500 }, "ServiceUnavailable", { status: 500 }],
    ["a 429 with Retry-After", { kind: "rate-limit", retryAfterSeconds: 7 }, "RateLimited", { status: 429 }],
    ["a reset connection", { kind: "reset" }, "TransportError", { reason: "Network" }]
  ]
  for (const [name, fault, tag, fields] of transient) {
    test(`2c. ${name} is ${tag}, transient; the next fetch succeeds`, async (s) => {
      const { source, error } = await failing(s, `2c ${name}`, fault)
      assert.equal(error._tag, tag, String(error))
      for (const [field, value] of Object.entries(fields)) {
        assert.equal(
          (error as unknown as Record<string, unknown>)[field],
          value,
          `${field}: ${String(error)}`
        )
      }
      assert.equal(isTransient(error), true)
      const next = await source.fetch()
      assert.equal(next.ttlSeconds, TTL)
    })
  }

  test("2d. a 429's Retry-After is carried in milliseconds", async (s) => {
    const { error } = await failing(s, "2d", { kind: "rate-limit", retryAfterSeconds: 7 })
    assert.equal(error._tag, "RateLimited")
    assert.equal(error.retryAfterMillis, 7_000)
  })

  for (const kind of ["malformed-json", "truncated-json"] as const) {
    test(`2e. a ${kind} answer is MalformedResponse, permanent`, async (s) => {
      const { error } = await failing(s, `2e ${kind}`, { kind })
      assert.equal(error._tag, "MalformedResponse")
      assert.equal(isTransient(error), false)
    })
  }

  test("2f. a token endpoint that never answers is TransportError Timeout after timeoutMillis, transient", async (s) => {
    const started = Date.now()
    const { error } = await failing(s, "2f", { kind: "no-response" }, { timeoutMillis: 300 })
    const took = Date.now() - started
    assert.equal(error._tag, "TransportError")
    assert.equal(error.reason, "Timeout")
    assert.equal(isTransient(error), true)
    assert.ok(took < 5_000, `the timeout took ${took} ms`)
  })

  test("2g. nothing listening is TransportError Network, transient", async (s) => {
    // Port 9 (discard) on loopback: nothing listens there in a test environment.
    const { error } = await failing(s, "2g", undefined, { url: "http://127.0.0.1:9" })
    assert.equal(error._tag, "TransportError")
    assert.equal(error.reason, "Network")
    assert.equal(isTransient(error), true)
  })

  // -------------------------------------------------------------------------------------------------------
  // 3. No secret or token in any error.

  test("3. no error collected in this suite shows the secret or a token, in any form", async () => {
    const forms = [SECRET, "wr0ng-secret", ...tokensUsed].flatMap((v) => [v, JSON.stringify(v).slice(1, -1)])
    assert.ok(collected.length >= 10, `only ${collected.length} errors collected`)
    for (const { where, error } of collected) {
      const e = error as Tagged
      for (const text of [String(e), e.message, inspect(e), JSON.stringify(e) ?? ""]) {
        for (const value of forms) {
          if (text.includes(value)) throw new Error(`${where}: ${value.slice(0, 40)} shows in ${text}`)
        }
      }
    }
  })
}
