/**
 * The contract of capauth's transports (`proxy`, `fetch`, the proxy environment variables), written once and run
 * by a thin runner per runtime, against the simulator and a real forward proxy on 127.0.0.1 (`startProxy`):
 *
 * - `proxy`: the token request, the API calls and the replay after a 498 all go through the proxy; so do the
 *   Capture and end-customer auth clients' requests. Proxy credentials in the URL become `Proxy-Authorization`
 *   and appear in no error or printed client.
 * - the environment (`HTTP_PROXY`, `http_proxy`, `NO_PROXY`, `no_proxy`) when no `proxy` is given, and `NO_PROXY`
 *   bypassing the proxy (where the runtime reads them at run time: `envAtRuntime`).
 * - `fetch`: a custom fetch sees every request (token, API, replay); capauth's own requests carry
 *   `cache: "no-store"`.
 * - `proxy` with `fetch`, or a bad `proxy`, is a `ConfigError` that holds no proxy password.
 * - No client secret or token is ever sent to the proxy itself: not in a `Proxy-*` header, not in a `CONNECT`.
 *   (The simulator is `http:`: undici and Deno forward such a request in absolute form, so the proxy reads it,
 *   as any `http:` proxy reads plain HTTP; an `https:` target, every real cluster, is tunnelled with `CONNECT`
 *   and the proxy sees only `host:port`.)
 *
 * @module
 * @since 0.1.0
 */
import assert from "node:assert/strict"
import {
  SAMPLE_AUTH_ENGINE_BRAND,
  SAMPLE_AUTH_ENGINE_DEVICE_ID,
  SAMPLE_AUTH_ENGINE_USER,
  SAMPLE_CAPTURE_CLIENT,
  SAMPLE_CLIENT
} from "../defaults.ts"
import { type Simulator, startSimulator } from "../simulator.ts"
import type { ContractEnv, ContractPromiseClient } from "./client.ts"
import { collector } from "./collect.ts"
import { envOverride } from "./env.ts"
import { type ProxySeen, startProxy, type TestProxy } from "./proxy.ts"

/**
 * The part of a Capture client this contract drives.
 *
 * @since 0.1.0
 * @category models
 */
export interface TransportCaptureClient {
  call(operation: string, params?: Readonly<Record<string, unknown>>): Promise<unknown>
  close(): Promise<void>
}

/**
 * The part of an end-customer auth client this contract drives.
 *
 * @since 0.1.0
 * @category models
 */
export interface TransportCustomerAuth {
  loginWithPassword(input: {
    readonly identifierType: "MOBILE"
    readonly identifierValue: string
    readonly password: string
  }): Promise<{ fetch(input: string, init?: RequestInit): Promise<Response> }>
  close(): Promise<void>
}

/**
 * A runtime's runner of the transport contract. The factories take the runtime's options (with `proxy` and
 * `fetch`); each throws `ConfigError` at once on bad options.
 *
 * @since 0.1.0
 * @category models
 */
export interface TransportRunner<Options, CaptureOptions, CustomerOptions, Secret> {
  /** Declares one test (`it` of vitest, `Deno.test`, ...). Tests must run one at a time, in order. */
  readonly test: (name: string, fn: () => Promise<void>) => void
  readonly createClient: (options: Options) => ContractPromiseClient<Secret>
  readonly createCaptureClient: (options: CaptureOptions) => TransportCaptureClient
  readonly createCustomerAuth: (options: CustomerOptions) => TransportCustomerAuth
  /** The process environment; each test sets the proxy variables it needs (the rest unset) and restores them. */
  readonly env: ContractEnv
  /**
   * Whether proxy variables set while the process runs reach a client made afterwards (Node: read when a client
   * is made; Deno: its fetch reads them once per process, so its runner checks them in a child process).
   */
  readonly envAtRuntime: boolean
  /** Renders a value as the runtime's console would (`util.inspect`, `Deno.inspect`), deeply. */
  readonly inspect: (value: unknown) => string
}

const PROXY_VARS = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"] as const

const TOKEN_PATH = "/v3/oauth/token/generate"
const CUSTOMER = "/v2/customers/1"
const credentials = { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }
const PROXY_USER = "proxy-user"
/** Short and odd, so only scrubbing by value could hide it (and the `@` must be percent-encoded in a URL). */
const PROXY_PASSWORD = "pr0xy@pass"

const pathOf = (target: string) => {
  try {
    return new URL(target).pathname
  } catch {
    return target
  }
}

/** The paths the proxy forwarded, in order. */
const forwarded = (proxy: TestProxy) =>
  proxy.seen.filter((s) => s.kind === "forward").map((s) => `${s.method} ${pathOf(s.target)}`)

/** What the proxy itself was sent (its own headers, and the whole of any CONNECT): never a secret or a token. */
const assertNothingForTheProxy = (seen: ReadonlyArray<ProxySeen>, secrets: ReadonlyArray<string>) => {
  for (const entry of seen) {
    const own = Object.entries(entry.headers).filter(([name]) => name.startsWith("proxy-"))
    const text =
      entry.kind === "connect"
        ? `${entry.target} ${JSON.stringify(entry.headers)}`
        : own.map(([name, value]) => `${name}: ${value}`).join("\n")
    for (const secret of secrets) {
      assert.ok(
        !text.includes(secret),
        `the proxy itself was sent a secret or token (${entry.method} ${entry.target})`
      )
    }
  }
}

/**
 * Declares the transport contract's tests with `runner.test`, in order.
 *
 * @since 0.1.0
 * @category testing
 */
export const transportContract = <Options, CaptureOptions, CustomerOptions, Secret>(
  runner: TransportRunner<Options, CaptureOptions, CustomerOptions, Secret>
): void => {
  const { collected, rejection, thrown } = collector()

  const scope = () => {
    const closers: Array<() => Promise<void>> = []
    const environment = envOverride(runner.env, PROXY_VARS)
    const simulator = async () => {
      const sim = await startSimulator({ port: 0, sharedKey: true })
      closers.push(() => sim.close())
      return sim
    }
    const proxy = async (auth?: { username: string; password: string }) => {
      const p = await startProxy({ auth })
      closers.push(() => p.close())
      return p
    }
    const track = <C extends { close(): Promise<void> }>(client: C) => {
      closers.unshift(() => client.close()) // clients close before the servers they talk to
      return client
    }
    const client = (options: Record<string, unknown>) => track(runner.createClient(options as Options))
    const dispose = async () => {
      for (const close of closers.splice(0)) await close().catch(() => undefined)
      environment.restore()
    }
    // Every test starts with no proxy variable at all: the developer's (or CI's) own never leak in.
    environment.set({})
    return { simulator, proxy, client, track, setEnv: environment.set, dispose }
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

  /** A token request, two API calls, then (the token expired) a 498, a new token and the replay. */
  const exercise = async (sim: Simulator, cap: ContractPromiseClient<Secret>) => {
    for (let i = 0; i < 2; i++) {
      const response = await cap.fetch(CUSTOMER)
      assert.equal(response.status, 200)
      assert.equal(((await response.json()) as { id: number }).id, 1)
    }
    sim.expireAllTokens()
    const renewed = await cap.fetch(CUSTOMER)
    assert.equal(renewed.status, 200)
    await renewed.body?.cancel()
    assert.equal(sim.stats().tokenRequestsTotal, 2)
  }
  const exercised = [
    `POST ${TOKEN_PATH}`,
    `GET ${CUSTOMER}`,
    `GET ${CUSTOMER}`,
    `GET ${CUSTOMER}`, // answered 498
    `POST ${TOKEN_PATH}`,
    `GET ${CUSTOMER}` // the replay
  ]
  const secretsOf = (sim: Simulator) => [credentials.secret, ...sim.tokens.map((t) => t.token)]

  test("transport 1. proxy: the token request, the API calls and the replay after a 498 all go through it", async (s) => {
    const sim = await s.simulator()
    const proxy = await s.proxy()
    const cap = s.client({ baseUrl: sim.url, credentials, proxy: proxy.url })
    await exercise(sim, cap)
    assert.deepEqual(forwarded(proxy), exercised)
    assert.deepEqual(
      sim.requests.map((r) => `${r.method} ${r.path}`),
      exercised,
      "everything the simulator received came through the proxy"
    )
    assertNothingForTheProxy(proxy.seen, secretsOf(sim))
  })

  test("transport 2. proxy credentials in the URL are sent as Proxy-Authorization, and shown nowhere", async (s) => {
    const sim = await s.simulator()
    const proxy = await s.proxy({ username: PROXY_USER, password: PROXY_PASSWORD })
    const withAuth = `http://${PROXY_USER}:${encodeURIComponent(PROXY_PASSWORD)}@127.0.0.1:${proxy.port}`
    const cap = s.client({ baseUrl: sim.url, credentials, proxy: withAuth })
    await exercise(sim, cap)
    assert.deepEqual(forwarded(proxy), exercised)
    const basic = `Basic ${btoa(`${PROXY_USER}:${PROXY_PASSWORD}`)}`
    assert.ok(proxy.seen.every((seen) => seen.headers["proxy-authorization"] === basic))
    assert.ok(
      sim.requests.every((r) => r.headers["proxy-authorization"] === undefined),
      "Proxy-Authorization stops at the proxy"
    )
    assertNothingForTheProxy(proxy.seen, secretsOf(sim))
    const printed = runner.inspect(cap)
    assert.ok(!printed.includes(PROXY_PASSWORD) && !printed.includes(encodeURIComponent(PROXY_PASSWORD)))

    // The wrong password: the proxy refuses (407) and the client rejects with a typed error that does not show it.
    const wrong = s.client({
      baseUrl: sim.url,
      credentials,
      proxy: `http://${PROXY_USER}:wr0ng-${encodeURIComponent(PROXY_PASSWORD)}@127.0.0.1:${proxy.port}`
    })
    const error = await rejection("2 wrong proxy password", wrong.fetch(CUSTOMER))
    assert.equal(typeof error._tag, "string", `a typed error, got ${String(error)}`)
    assert.equal(sim.stats().tokenRequestsTotal, 2, "nothing reached the simulator past the proxy")
  })

  test("transport 3. a custom fetch sends every request: the token request (cache: no-store), API calls, the replay", async (s) => {
    const sim = await s.simulator()
    const seen: Array<{ method: string; path: string; cache: string | undefined }> = []
    const fetch = (input: string | URL | Request, init?: RequestInit) => {
      const url = input instanceof Request ? input.url : String(input)
      seen.push({ method: init?.method ?? "GET", path: new URL(url).pathname, cache: init?.cache })
      return globalThis.fetch(input, init)
    }
    const cap = s.client({ baseUrl: sim.url, credentials, fetch })
    await exercise(sim, cap)
    assert.deepEqual(
      seen.map((r) => `${r.method} ${r.path}`),
      exercised
    )
    assert.ok(
      seen.filter((r) => r.path === TOKEN_PATH).every((r) => r.cache === "no-store"),
      "capauth's own requests are never served from a fetch cache"
    )
  })

  test("transport 4. proxy with fetch, or a proxy that is not an http(s) origin, is a ConfigError without the password", async (s) => {
    const sim = await s.simulator()
    const both = thrown("4 both", () =>
      s.client({ baseUrl: sim.url, credentials, proxy: "http://127.0.0.1:9", fetch: globalThis.fetch })
    )
    assert.equal(both._tag, "ConfigError")
    assert.equal(both.field, "proxy")
    for (const proxy of [
      "socks5://127.0.0.1:1080",
      `http://user:${PROXY_PASSWORD}@bad host:8080`,
      `http://user:${PROXY_PASSWORD}@127.0.0.1:3128/path`,
      "not a url"
    ]) {
      const error = thrown(`4 ${proxy}`, () => s.client({ baseUrl: sim.url, credentials, proxy }))
      assert.equal(error._tag, "ConfigError", proxy)
      assert.equal(error.field, "proxy", proxy)
      assert.ok(!`${error.message} ${runner.inspect(error)}`.includes(PROXY_PASSWORD))
    }
    const notFetch = thrown("4 fetch", () => s.client({ baseUrl: sim.url, credentials, fetch: "fetch" }))
    assert.equal(notFetch._tag, "ConfigError")
    assert.equal(notFetch.field, "fetch")
    assert.equal(sim.requests.length, 0, "nothing is sent before the options are valid")
  })

  test("transport 5. the Capture client: its calls go through the proxy, or through a custom fetch with no-store", async (s) => {
    const sim = await s.simulator()
    const proxy = await s.proxy()
    const options = {
      baseUrl: sim.captureUrl,
      clientId: SAMPLE_CAPTURE_CLIENT.clientId,
      clientSecret: SAMPLE_CAPTURE_CLIENT.clientSecret,
      clientAuth: "basic"
    }
    const viaProxy = s.track(runner.createCaptureClient({ ...options, proxy: proxy.url } as CaptureOptions))
    await viaProxy.call("entity.count", { type_name: "user" })
    assert.deepEqual(forwarded(proxy), ["POST /capture/entity.count"])
    assertNothingForTheProxy(proxy.seen, [
      SAMPLE_CAPTURE_CLIENT.clientSecret,
      btoa(`${SAMPLE_CAPTURE_CLIENT.clientId}:${SAMPLE_CAPTURE_CLIENT.clientSecret}`)
    ])

    const caches: Array<string | undefined> = []
    const fetch = (input: string | URL | Request, init?: RequestInit) => {
      caches.push(init?.cache)
      return globalThis.fetch(input, init)
    }
    const viaFetch = s.track(runner.createCaptureClient({ ...options, fetch } as CaptureOptions))
    await viaFetch.call("entity.count", { type_name: "user" })
    assert.deepEqual(caches, ["no-store"])
  })

  test("transport 6. end-customer auth: Auth Engine requests and gateway calls go through the proxy", async (s) => {
    const sim = await s.simulator()
    const proxy = await s.proxy()
    const auth = s.track(
      runner.createCustomerAuth({
        baseUrl: sim.authEngineUrl,
        gatewayUrl: sim.authEngineGatewayUrl,
        brand: SAMPLE_AUTH_ENGINE_BRAND.name,
        deviceId: SAMPLE_AUTH_ENGINE_DEVICE_ID,
        proxy: proxy.url
      } as CustomerOptions)
    )
    const session = await auth.loginWithPassword({
      identifierType: "MOBILE",
      identifierValue: SAMPLE_AUTH_ENGINE_USER.mobile ?? "",
      password: SAMPLE_AUTH_ENGINE_USER.password ?? ""
    })
    const profile = await session.fetch("/v1/customer/profile")
    assert.equal(profile.status, 200)
    await profile.body?.cancel()
    assert.deepEqual(forwarded(proxy), [
      "POST /auth-engine/auth/v1/token/generate",
      "POST /auth-engine/auth/v1/password/validate",
      "GET /auth-engine/gateway/v1/customer/profile"
    ])
    assertNothingForTheProxy(proxy.seen, [
      SAMPLE_AUTH_ENGINE_USER.password ?? "",
      ...sim.authEngine.tokens.map((t) => t.token)
    ])
  })

  if (runner.envAtRuntime) {
    test("transport 7. without proxy: HTTP_PROXY from the environment carries every request", async (s) => {
      const sim = await s.simulator()
      const proxy = await s.proxy()
      s.setEnv({ HTTP_PROXY: proxy.url })
      const cap = s.client({ baseUrl: sim.url, credentials })
      await exercise(sim, cap)
      assert.deepEqual(forwarded(proxy), exercised)
      assertNothingForTheProxy(proxy.seen, secretsOf(sim))
    })

    test("transport 8. NO_PROXY (or no_proxy) naming the host bypasses the environment's proxy", async (s) => {
      const sim = await s.simulator()
      const proxy = await s.proxy()
      for (const vars of [
        { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: "localhost,127.0.0.1" },
        { http_proxy: proxy.url, no_proxy: "127.0.0.1" }
      ]) {
        s.setEnv(vars)
        const cap = s.client({ baseUrl: sim.url, credentials })
        const response = await cap.fetch(CUSTOMER)
        assert.equal(response.status, 200)
        await response.body?.cancel()
        await cap.close()
      }
      assert.deepEqual(proxy.seen, [], "the proxy saw nothing")
      assert.equal(sim.stats().tokenRequestsTotal, 2)
    })

    test("transport 9. an explicit proxy wins over the environment's", async (s) => {
      const sim = await s.simulator()
      const chosen = await s.proxy()
      const other = await s.proxy()
      s.setEnv({ HTTP_PROXY: other.url })
      const cap = s.client({ baseUrl: sim.url, credentials, proxy: chosen.url })
      const response = await cap.fetch(CUSTOMER)
      await response.body?.cancel()
      assert.deepEqual(forwarded(chosen), [`POST ${TOKEN_PATH}`, `GET ${CUSTOMER}`])
      assert.deepEqual(other.seen, [])
    })
  }

  runner.test("transport 10. no error of this suite shows a proxy password or a client secret", async () => {
    assert.ok(collected.length >= 6, `collected ${collected.length} errors`)
    for (const { where, error } of collected) {
      const text = `${String(error)} ${runner.inspect(error)} ${JSON.stringify(error)}`
      for (const secret of [PROXY_PASSWORD, encodeURIComponent(PROXY_PASSWORD), credentials.secret]) {
        assert.ok(!text.includes(secret), `${where}: the error shows a secret`)
      }
    }
  })
}
