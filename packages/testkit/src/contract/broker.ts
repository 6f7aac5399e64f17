/**
 * The contract of a token broker (`TokenBroker.make` of `@capauth/core`, as each runtime adapter exposes it),
 * written once and run by a thin runner per runtime against the simulator: who gets a token, the envelope, the
 * statuses of every failure, no-store on every answer, compare-and-invalidate by fingerprint, and no secret in
 * any answer. Imports neither `@capauth/core` nor any runtime API.
 *
 * @example
 * // vitest on Node
 * brokerContract({ test: it, createClient: createCapillaryClient, makeBroker: TokenBroker.make })
 * @module
 * @since 0.1.0
 */
import assert from "node:assert/strict"
import { SAMPLE_CLIENT } from "../defaults.ts"
import { type Simulator, startSimulator } from "../simulator.ts"

/**
 * The part of a capauth Promise client a broker uses and the contract reads.
 *
 * @since 0.1.0
 * @category models
 */
export interface BrokerContractClient {
  token(): Promise<unknown>
  invalidate(token: { readonly fingerprint: string }): Promise<unknown>
  stats(): Promise<{ readonly fetched: number }>
  close(): Promise<void>
}

/**
 * A runtime's runner of the broker contract.
 *
 * @since 0.1.0
 * @category models
 */
export interface BrokerRunner<Client extends BrokerContractClient> {
  /** Declares one test (`it` of vitest, `Deno.test`, ...). Tests must run one at a time, in order. */
  readonly test: (name: string, fn: () => Promise<void>) => void
  /** The runtime's `createCapillaryClient`. */
  readonly createClient: (options: {
    readonly baseUrl: string
    readonly credentials:
      | { readonly key: string; readonly secret: string }
      | { readonly till: string; readonly password: string }
    readonly tokenTimeoutMillis?: number
  }) => Client
  /** The runtime's `TokenBroker.make`. */
  readonly makeBroker: (options: {
    readonly client: Client
    readonly authorize: (request: Request) => boolean | Promise<boolean>
  }) => { readonly fetch: (request: Request) => Promise<Response> }
}

/** The header by which a worker names a refused token (its fingerprint). */
const rejectedTokenHeader = "x-capauth-rejected-token"

/** SHA-256 of the token, first 16 bytes, hex: the fingerprint a worker sends. Computed here independently. */
const fingerprintOf = async (token: string): Promise<string> => {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)))
  return Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("")
}

const expectNoStore = (response: Response) => {
  assert.equal(response.headers.get("cache-control"), "no-store")
  assert.equal(response.headers.get("pragma"), "no-cache")
  assert.equal(response.headers.get("content-type"), "application/json")
}

const request = (method = "GET", headers: Record<string, string> = {}) =>
  new Request("http://app.local/capillary/token", { method, headers })

/**
 * Declare every broker scenario with the runner's `test`.
 *
 * @since 0.1.0
 * @category testing
 */
export const brokerContract = <Client extends BrokerContractClient>(runner: BrokerRunner<Client>): void => {
  const { test, createClient, makeBroker } = runner

  /** A simulator and a client of the sample API client, closed after `body`. */
  const withClient = async (
    body: (sim: Simulator, client: Client) => Promise<void>,
    credentials: { readonly key: string; readonly secret: string } = SAMPLE_CLIENT
  ) => {
    const sim = await startSimulator({ port: 0 })
    const client = createClient({
      baseUrl: sim.url,
      credentials: { key: credentials.key, secret: credentials.secret }
    })
    try {
      await body(sim, client)
    } finally {
      await client.close()
      await sim.close()
    }
  }

  test("broker: hands an authorised caller the client's token in Capillary's envelope, never the secret", () =>
    withClient(async (sim, client) => {
      const broker = makeBroker({ client, authorize: (r) => r.headers.get("x-app-session") === "ok" })
      for (const method of ["GET", "POST"]) {
        const response = await broker.fetch(request(method, { "x-app-session": "ok" }))
        assert.equal(response.status, 200)
        expectNoStore(response)
        const text = await response.text()
        assert.ok(!text.includes(SAMPLE_CLIENT.secret))
        const body = JSON.parse(text)
        assert.equal(body.errors, null)
        assert.deepEqual(Object.keys(body.data).sort(), ["accessToken", "ttlSeconds"])
        assert.ok(
          sim.tokens.some((t) => t.token === body.data.accessToken),
          "the simulator issued it"
        )
        assert.ok(Number.isInteger(body.data.ttlSeconds))
        assert.ok(body.data.ttlSeconds > 3500 && body.data.ttlSeconds <= (SAMPLE_CLIENT.ttlSeconds ?? 3600))
      }
      assert.equal(sim.stats().tokenRequestsTotal, 1, "one token for both callers")
    }))

  test("broker: 403 when authorize says no, 500 when it throws, and no token request either way", () =>
    withClient(async (sim, client) => {
      const no = await makeBroker({ client, authorize: async () => false }).fetch(request())
      assert.equal(no.status, 403)
      expectNoStore(no)
      const refused = await no.json()
      assert.equal(refused.data, null)
      assert.equal(refused.errors.length, 1)
      assert.equal(refused.errors[0].code, 403)
      assert.equal(typeof refused.errors[0].message, "string")
      const boom = await makeBroker({
        client,
        authorize: () => {
          throw new Error("session store down")
        }
      }).fetch(request())
      assert.equal(boom.status, 500)
      expectNoStore(boom)
      const body = await boom.json()
      assert.equal(body.data, null)
      assert.equal(body.errors[0].code, 500)
      assert.ok(!JSON.stringify(body).includes("session store down"), "the app's error stays in the app")
      assert.equal(sim.stats().tokenRequestsTotal, 0)
    }))

  test("broker: other methods are 405 with Allow", () =>
    withClient(async (_sim, client) => {
      const response = await makeBroker({ client, authorize: () => true }).fetch(request("DELETE"))
      assert.equal(response.status, 405)
      assert.equal(response.headers.get("allow"), "GET, POST")
      expectNoStore(response)
      await response.body?.cancel()
    }))

  test("broker: a token a worker reports refused (by fingerprint) is dropped only if still current", () =>
    withClient(async (sim, client) => {
      const broker = makeBroker({ client, authorize: () => true })
      const ask = async (fingerprint?: string) => {
        const headers: Record<string, string> =
          fingerprint === undefined ? {} : { [rejectedTokenHeader]: fingerprint }
        const response = await broker.fetch(request("POST", headers))
        return (await response.json()).data.accessToken as string
      }
      const first = await ask()
      const fingerprint = await fingerprintOf(first)
      const second = await ask(fingerprint)
      assert.notEqual(second, first, "the refused token was dropped and a new one fetched")
      assert.equal(await ask(fingerprint), second, "a stale report never throws away the fresh token")
      assert.equal(await ask("0".repeat(32)), second, "an unknown fingerprint changes nothing")
      assert.equal(await ask("not-a-fingerprint"), second, "a malformed report is ignored")
      assert.equal((await client.stats()).fetched, 2)
      assert.equal(sim.stats().tokenRequestsTotal, 2)
    }))

  test("broker: bad upstream credentials are 502 with the error tag, and no secret", () =>
    withClient(
      async (_sim, client) => {
        const response = await makeBroker({ client, authorize: () => true }).fetch(request())
        assert.equal(response.status, 502)
        expectNoStore(response)
        const text = await response.text()
        assert.ok(!text.includes("wrong-secret"))
        const body = JSON.parse(text)
        assert.equal(body.data, null)
        assert.equal(body.errors[0].code, 502)
        assert.equal(body.errors[0].tag, "InvalidCredentials")
      },
      { key: SAMPLE_CLIENT.key, secret: "wrong-secret" }
    ))

  test("broker: a client with no token to hand out (till Basic credentials) is 500 ConfigError", async () => {
    const sim = await startSimulator({ port: 0 })
    const till = createClient({
      baseUrl: sim.url,
      credentials: { till: "store.server", password: "server123" }
    })
    try {
      const response = await makeBroker({ client: till, authorize: () => true }).fetch(request())
      assert.equal(response.status, 500)
      expectNoStore(response)
      const text = await response.text()
      assert.ok(!text.includes("server123"))
      const entry = JSON.parse(text).errors[0]
      assert.equal(entry.code, 500)
      assert.equal(entry.tag, "ConfigError")
    } finally {
      await till.close()
      await sim.close()
    }
  })

  test("broker: an unreachable Capillary is 503 TransportError", async () => {
    const gone = await startSimulator({ port: 0 })
    const url = gone.url
    await gone.close()
    const offline = createClient({
      baseUrl: url,
      credentials: { key: "k", secret: "s" },
      tokenTimeoutMillis: 2000
    })
    try {
      const response = await makeBroker({ client: offline, authorize: () => true }).fetch(request())
      assert.equal(response.status, 503)
      expectNoStore(response)
      assert.equal((await response.json()).errors[0].tag, "TransportError")
    } finally {
      await offline.close()
    }
  })

  test("broker: a rate-limited upstream (Retry-After beyond the retry cap) is 503 with its Retry-After", async () => {
    const sim = await startSimulator({ port: 0 })
    sim.faults.add({ path: "/v3/oauth/token/generate", fault: { kind: "rate-limit", retryAfterSeconds: 60 } })
    const client = createClient({
      baseUrl: sim.url,
      credentials: { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }
    })
    try {
      const response = await makeBroker({ client, authorize: () => true }).fetch(request())
      assert.equal(response.status, 503)
      expectNoStore(response)
      assert.equal(response.headers.get("retry-after"), "60")
      assert.equal((await response.json()).errors[0].tag, "RateLimited")
    } finally {
      await client.close()
      await sim.close()
    }
  })
}
