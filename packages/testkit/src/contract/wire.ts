/**
 * The wire contract of a capauth Promise client (`createCapillaryClient` of `@capauth/node`, `@capauth/deno`,
 * ...), written once and run by a thin runner per runtime: where credentials may travel, bodies handed on
 * byte for byte and still streaming, typed rejections, aborts, one-shot bodies, and no secret or token in any
 * error. Everything runtime-specific comes from the runner (how a test is declared, how a web-standard handler
 * is served on 127.0.0.1, the client factory, `inspect`); this module imports neither `@capauth/core` nor any
 * runtime API, and checks errors by their `_tag` and fields.
 *
 * Capillary is the testkit simulator (started per test that needs it), fronted where needed by small servers
 * of the test's own (an "API" server that proxies what it does not answer itself to the simulator, and an
 * "other" origin), all plain `Request -> Response` handlers.
 *
 * @example
 * // vitest on Node
 * describe("wire contract", () => {
 *   wireContract({ test: it, serve: serveNode, createClient: createCapillaryClient, inspect: (v) => inspect(v) })
 * })
 * @module
 * @since 0.1.0
 */
import assert from "node:assert/strict"
import { basicAuthorization } from "../basic.ts"
import { SAMPLE_CLIENT } from "../defaults.ts"
import { md5hex } from "../registry.ts"
import { type Simulator, startSimulator } from "../simulator.ts"
import { collector, type Tagged } from "./collect.ts"

// ---------------------------------------------------------------------------------------------------------
// What a runner supplies.

/**
 * A web-standard handler, as `Deno.serve` and the Node adapter (`serveNode`) take it.
 *
 * @since 0.1.0
 * @category models
 */
export type WebHandler = (request: Request) => Response | Promise<Response>

/**
 * A handler served on 127.0.0.1.
 *
 * @since 0.1.0
 * @category models
 */
export interface ContractServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string
  /** Stops the server, dropping every connection. */
  close(): Promise<void>
}

/**
 * A per-request attribution, as the client takes it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ContractAttribution {
  readonly type?: "TILL" | "STORE_CODE" | undefined
  readonly code: string
}

/**
 * The part of a capauth Promise client the contract drives.
 *
 * @since 0.1.0
 * @category models
 */
export interface ContractClient {
  fetch(
    input: string | URL | Request,
    init?: RequestInit & { readonly attribution?: ContractAttribution | undefined }
  ): Promise<Response>
  readonly ky: {
    get(url: string, options: { readonly attribution: ContractAttribution; readonly retry: number }): unknown
  }
  close(): Promise<void>
}

/**
 * A runtime's runner of the wire contract.
 *
 * @since 0.1.0
 * @category models
 */
export interface WireRunner<Options> {
  /** Declares one test (`it` of vitest, `Deno.test`, ...). Tests must run one at a time, in order. */
  readonly test: (name: string, fn: () => Promise<void>) => void
  /** Serves `handler` on 127.0.0.1 (any port). Request bodies may be read; `request.signal` aborts when the client goes. */
  readonly serve: (handler: WebHandler) => Promise<ContractServer>
  /** The runtime's `createCapillaryClient`. Must throw `ConfigError` at once on invalid options. */
  readonly createClient: (options: Options) => ContractClient
  /** Renders a value as the runtime's console would (`util.inspect`, `Deno.inspect`), deeply. */
  readonly inspect: (value: unknown) => string
}

// ---------------------------------------------------------------------------------------------------------
// Known values: every one of them must stay out of every error.

/** Shorter than 32 characters, so no "looks like a secret" pattern can mask it: only scrubbing by value can. */
const SECRET = "s3cr3t-short-value"
const KEY = "wire-key"
const TILL = { id: "wire.till", password: "t1ll-pw-short" }
const URL_PASSWORD = "pa55w0rd-in-url"
const TOKEN_PATH = "/v3/oauth/token/generate"
const TOKEN_HEADER = "x-cap-api-oauth-token"

// ---------------------------------------------------------------------------------------------------------
// Bytes without Buffer.

const encoder = new TextEncoder()
const utf8 = (text: string) => encoder.encode(text)

const concat = (...parts: ReadonlyArray<Uint8Array | string | ReadonlyArray<number>>): Uint8Array => {
  const chunks = parts.map((p) => (typeof p === "string" ? utf8(p) : Uint8Array.from(p)))
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff)

const randomBytes = (length: number): Uint8Array => {
  const out = new Uint8Array(length)
  for (let at = 0; at < length; at += 65_536) crypto.getRandomValues(out.subarray(at, at + 65_536))
  return out
}

const randomHex = (bytes: number) =>
  Array.from(randomBytes(bytes), (b) => b.toString(16).padStart(2, "0")).join("")

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array): boolean =>
  a !== undefined && a.length === b.length && a.every((byte, i) => byte === b[i])

const gzip = async (bytes: Uint8Array): Promise<Uint8Array> =>
  new Uint8Array(
    await new Response(
      new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"))
    ).arrayBuffer()
  )

// ---------------------------------------------------------------------------------------------------------
// Assertions.

/** Each of `fields` equals the error's own (`_tag`, `reason`, `status`, `field`, ...). */
const assertTagged = (error: unknown, fields: Record<string, unknown>) => {
  assert.ok(typeof error === "object" && error !== null, `expected an error object, got ${String(error)}`)
  for (const [name, value] of Object.entries(fields)) {
    assert.deepEqual(
      (error as Record<string, unknown>)[name],
      value,
      `${name} of ${String((error as { _tag?: unknown })._tag)}: ${String(error)}`
    )
  }
}

/** Settle `promise` within `ms` or report "pending": a bounded wait, never a timing assertion by itself. */
const within = <A>(promise: Promise<A>, ms: number): Promise<{ value: A } | { error: unknown } | "pending"> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve("pending"), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve({ value })
      },
      (error: unknown) => {
        clearTimeout(timer)
        resolve({ error })
      }
    )
  })

// ---------------------------------------------------------------------------------------------------------
// Our own servers.

interface Seen {
  readonly method: string
  /** Path and query as received. */
  readonly path: string
  readonly headers: Headers
  readonly body: Uint8Array
}

type Handler = (seen: Seen, request: Request) => Response | Promise<Response>

interface Own {
  readonly url: string
  readonly seen: Array<Seen>
  /** Answer `path` (without query) with `handler`; anything unrouted is proxied to the simulator or 404. */
  readonly route: (path: string, handler: Handler) => void
  /** Resolves once `count` requests to `path` have arrived (their bodies read). */
  readonly arrived: (path: string, count?: number) => Promise<void>
  readonly requestsTo: (path: string) => Array<Seen>
}

const pathOnly = (path: string) => path.split("?")[0] ?? path

/** Hop-by-hop and framing headers: not forwarded by the proxy. */
const hop = new Set([
  "host",
  "connection",
  "keep-alive",
  "content-length",
  "transfer-encoding",
  "content-encoding"
])

/** A response with an exact `content-length` (JSON unless told). */
const send = (status: number, body: string | Uint8Array, headers: Record<string, string> = {}) => {
  const bytes = typeof body === "string" ? utf8(body) : body
  return new Response(bytes.length === 0 ? null : (bytes as Uint8Array<ArrayBuffer>), {
    status,
    headers: { "content-type": "application/json", "content-length": String(bytes.length), ...headers }
  })
}

const tokenBody = (accessToken: string, ttlSeconds = 3600) =>
  JSON.stringify({ data: { accessToken, ttlSeconds }, errors: null })

const CRED_HEADERS = [TOKEN_HEADER, "authorization"]
const credentialOrAttribution = (headers: Headers | undefined) => {
  const names: Array<string> = []
  headers?.forEach((_value, name) => {
    if (CRED_HEADERS.includes(name) || name.startsWith("x-cap-api-attribution")) names.push(name)
  })
  return names
}

const bytesOf = async (response: Response) => new Uint8Array(await response.arrayBuffer())

// ---------------------------------------------------------------------------------------------------------

/**
 * Declares the wire contract's tests with `runner.test`, in order; the last one checks every error collected
 * by the others, so run them all (no filtering) for that one to mean something.
 *
 * @since 0.1.0
 * @category testing
 */
export const wireContract = <Options>(runner: WireRunner<Options>): void => {
  const { inspect } = runner
  /** Every token value handed to a client (short ones of our own, the simulators' JWTs added as they close). */
  const tokensUsed = new Set<string>()
  /** Every rejection in the suite, checked by the last test. */
  const { collected, rejection, thrown } = collector()

  const createClient = (options: Record<string, unknown>) => runner.createClient(options as Options)

  /** What one test opened: released, closed and shut down (in that order) when it ends. */
  const scope = () => {
    const gates: Array<() => void> = []
    const clients: Array<ContractClient> = []
    const servers: Array<ContractServer> = []
    let sim: Promise<Simulator> | undefined

    const simulator = () => {
      sim ??= startSimulator({
        port: 0,
        sharedKey: true,
        clients: [SAMPLE_CLIENT, { key: KEY, secret: SECRET, ttlSeconds: 3600, defaultTill: "store.till1" }],
        tills: [TILL]
      })
      return sim
    }

    const gate = () => {
      let open!: () => void
      const opened = new Promise<void>((resolve) => {
        open = resolve
      })
      gates.push(open)
      return { opened, open }
    }

    const proxyToSim: Handler = async (seen) => {
      const { url } = await simulator()
      const headers = new Headers()
      seen.headers.forEach((value, name) => {
        if (!hop.has(name)) headers.set(name, value)
      })
      const upstream = await fetch(url + seen.path, {
        method: seen.method,
        headers,
        body: seen.method === "GET" || seen.method === "HEAD" ? null : (seen.body as Uint8Array<ArrayBuffer>),
        redirect: "manual"
      })
      const out: Record<string, string> = {}
      upstream.headers.forEach((value, name) => {
        if (!hop.has(name)) out[name] = value
      })
      return send(upstream.status, await bytesOf(upstream), out)
    }

    const serve = async (options: { readonly proxy?: boolean } = {}): Promise<Own> => {
      const routes = new Map<string, Handler>()
      const seen: Array<Seen> = []
      const waiters: Array<() => void> = []
      const server = await runner.serve(async (request) => {
        const url = new URL(request.url)
        const entry: Seen = {
          method: request.method,
          path: url.pathname + url.search,
          headers: new Headers(request.headers),
          body: new Uint8Array(await request.arrayBuffer())
        }
        seen.push(entry)
        for (const wake of waiters.splice(0)) wake()
        const handler =
          routes.get(url.pathname) ??
          (options.proxy === true
            ? proxyToSim
            : () => new Response("no such route", { status: 404, headers: { "content-type": "text/plain" } }))
        return handler(entry, request)
      })
      servers.push(server)
      const requestsTo = (path: string) => seen.filter((s) => pathOnly(s.path) === path)
      return {
        url: server.url,
        seen,
        route: (path, handler) => void routes.set(path, handler),
        requestsTo,
        arrived: async (path, count = 1) => {
          while (requestsTo(path).length < count) {
            await new Promise<void>((resolve) => waiters.push(resolve))
          }
        }
      }
    }

    /** A token endpoint of our own issuing short tokens (`wt<n>-<hex>`, 12 characters) to KEY/SECRET. */
    const shortTokens = (own: Own) => {
      const issued: Array<string> = []
      own.route(TOKEN_PATH, (seen) => {
        const asked = JSON.parse(new TextDecoder().decode(seen.body)) as { key?: string; secret?: string }
        if (asked.key !== KEY || asked.secret !== SECRET) {
          return send(401, JSON.stringify({ data: null, errors: [{ code: 320001, message: "Invalid" }] }))
        }
        const token = `wt${issued.length + 1}-${randomHex(4)}`
        issued.push(token)
        tokensUsed.add(token)
        return send(200, tokenBody(token))
      })
      return issued
    }

    const client = (baseUrl: string, extra: Record<string, unknown> = {}) => {
      const cap = createClient({ baseUrl, credentials: { key: KEY, secret: SECRET }, ...extra })
      clients.push(cap)
      return cap
    }

    /** An own API server with its own short-token endpoint, and a client of it. */
    const ownApi = async (extra: Record<string, unknown> = {}) => {
      const api = await serve()
      const issued = shortTokens(api)
      return { api, issued, cap: client(api.url, extra) }
    }

    const dispose = async () => {
      for (const open of gates.splice(0)) open()
      await Promise.allSettled(clients.splice(0).map((c) => c.close()))
      await Promise.allSettled(servers.splice(0).map((s) => s.close()))
      if (sim !== undefined) {
        const running = await sim
        for (const t of running.tokens) tokensUsed.add(t.token)
        await running.close()
      }
    }

    return { simulator, gate, serve, client, ownApi, dispose }
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

  // -------------------------------------------------------------------------------------------------------
  // 1. The token stays with its origin.

  test("1a. a 307 to another path on the same origin is followed with x-cap-api-oauth-token", async (s) => {
    const api = await s.serve({ proxy: true })
    api.route("/hop", () => send(307, "", { location: "/v2/customers/1" }))
    const cap = s.client(api.url)
    const response = await cap.fetch("/hop")
    assert.equal(response.status, 200)
    assert.equal(((await response.json()) as { id: number }).id, 1)
    const target = api.requestsTo("/v2/customers/1")
    assert.equal(target.length, 1)
    const token = target[0]?.headers.get(TOKEN_HEADER)
    assert.equal(typeof token, "string")
    const sim = await s.simulator()
    assert.ok(sim.tokens.map((t) => t.token).includes(token as string), "a token the simulator issued")
    assert.equal(api.requestsTo("/hop")[0]?.headers.get(TOKEN_HEADER), token)
  })

  test("1b. a 307 to another origin is refused (TransportError Redirect); the other server gets nothing", async (s) => {
    const other = await s.serve()
    other.route("/collect", () => send(200, "{}"))
    const { api, issued, cap } = await s.ownApi()
    api.route("/away", () => send(307, "", { location: `${other.url}/collect` }))
    const error = await rejection("1b", cap.fetch("/away"))
    assertTagged(error, { _tag: "TransportError", reason: "Redirect", status: 307 })
    assert.ok(error.message.includes(other.url), error.message)
    assert.equal(api.requestsTo("/away").length, 1)
    // The first hop did carry the token: the refusal is about where it would go next.
    assert.equal(api.requestsTo("/away")[0]?.headers.get(TOKEN_HEADER), issued[0])
    assert.equal(other.seen.length, 0)
  })

  test('1c. crossOriginRedirect: "strip" follows it with no credential or attribution header', async (s) => {
    const other = await s.serve()
    other.route("/collect", () => send(200, '{"elsewhere":true}'))
    const { api, cap } = await s.ownApi({
      crossOriginRedirect: "strip",
      attribution: { type: "TILL", code: "store.till1" },
      legacyTillHeader: true
    })
    api.route("/away", () => send(307, "", { location: `${other.url}/collect?x=1` }))
    const response = await cap.fetch("/away", { attribution: { type: "TILL", code: "store.till2" } })
    assert.equal(response.status, 200)
    assert.deepEqual(await response.json(), { elsewhere: true })
    // The first hop carried them all (so "absent" below means stripped, not never sent).
    const first = api.requestsTo("/away")[0]?.headers
    assert.equal(typeof first?.get(TOKEN_HEADER), "string")
    assert.equal(first?.get("x-cap-api-attribution-entity-code"), "store.till2")
    assert.equal(first?.get("x-cap-api-attribution-entity-type"), "TILL")
    assert.equal(first?.get("x-cap-api-attribution-till-code"), "store.till2")
    assert.equal(other.seen.length, 1)
    assert.equal(other.seen[0]?.path, "/collect?x=1")
    assert.deepEqual(credentialOrAttribution(other.seen[0]?.headers), [])
    assert.equal(other.seen[0]?.headers.get(TOKEN_HEADER), null)
    assert.equal(other.seen[0]?.headers.get("authorization"), null)
    assert.equal(other.seen[0]?.headers.get("x-cap-api-attribution-entity-code"), null)
    assert.equal(other.seen[0]?.headers.get("x-cap-api-attribution-entity-type"), null)
  })

  test("1d. a 303 after a POST becomes a GET without a body", async (s) => {
    const api = await s.serve({ proxy: true })
    api.route("/submit", () => send(303, "", { location: "/landing" }))
    api.route("/landing", () => send(200, '{"landed":true}'))
    const cap = s.client(api.url)
    const body = JSON.stringify({ profiles: [{ name: "x".repeat(500) }] })
    const response = await cap.fetch("/submit", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body
    })
    assert.equal(response.status, 200)
    assert.deepEqual(await response.json(), { landed: true })
    const posted = api.requestsTo("/submit")[0]
    assert.equal(posted?.method, "POST")
    assert.equal(new TextDecoder().decode(posted?.body), body)
    const landing = api.requestsTo("/landing")
    assert.equal(landing.length, 1)
    assert.equal(landing[0]?.method, "GET")
    assert.equal(landing[0]?.body.length, 0)
    assert.equal(landing[0]?.headers.get("content-type"), null)
    assert.equal(landing[0]?.headers.get("transfer-encoding"), null)
    assert.equal(Number(landing[0]?.headers.get("content-length") ?? "0"), 0)
    // Same origin: the token still goes along.
    const sim = await s.simulator()
    const token = landing[0]?.headers.get(TOKEN_HEADER)
    assert.ok(sim.tokens.map((t) => t.token).includes(token as string), "a token the simulator issued")
  })

  test('1e. redirect: "manual" hands the 3xx response itself to the caller', async (s) => {
    const other = await s.serve()
    const { api, cap } = await s.ownApi()
    api.route("/hop", () => send(307, "", { location: "/target", "x-custom": "kept" }))
    api.route("/away", () => send(302, "", { location: `${other.url}/collect` }))
    const same = await cap.fetch("/hop", { redirect: "manual" })
    assert.equal(same.status, 307)
    assert.equal(same.headers.get("location"), "/target")
    assert.equal(same.headers.get("x-custom"), "kept")
    await same.body?.cancel()
    // Even a cross-origin one: nothing is followed, so nothing is refused either.
    const away = await cap.fetch("/away", { redirect: "manual" })
    assert.equal(away.status, 302)
    assert.equal(away.headers.get("location"), `${other.url}/collect`)
    await away.body?.cancel()
    assert.equal(api.requestsTo("/target").length, 0)
    assert.equal(other.seen.length, 0)
  })

  test("1f. a token endpoint answering 307 elsewhere: MalformedResponse, the key/secret go nowhere else", async (s) => {
    const other = await s.serve()
    other.route(TOKEN_PATH, () => send(200, tokenBody("wt-stolen")))
    const api = await s.serve()
    api.route(TOKEN_PATH, () => send(307, "", { location: `${other.url}${TOKEN_PATH}` }))
    const cap = s.client(api.url)
    const error = await rejection("1f", cap.fetch("/v2/customers/1"))
    assertTagged(error, { _tag: "MalformedResponse", status: 307 })
    assert.match(error.message, /redirect/i)
    assert.ok(!String(error.message).includes(SECRET))
    assert.equal(other.seen.length, 0)
    assert.equal(api.requestsTo(TOKEN_PATH).length, 1)
    assert.equal(api.requestsTo("/v2/customers/1").length, 0)
    assert.equal(api.seen.filter((seen) => pathOnly(seen.path) !== TOKEN_PATH).length, 0)
  })

  test("1g. an absolute URL on another origin is a ConfigError before anything is sent", async (s) => {
    const other = await s.serve()
    const { api, cap } = await s.ownApi()
    for (const input of [`${other.url}/v2/customers/1`, new URL("/v2/customers/1", other.url)]) {
      const error = await rejection("1g", cap.fetch(input))
      assertTagged(error, { _tag: "ConfigError", field: "url" })
    }
    const viaRequest = await rejection("1g request", cap.fetch(new Request(`${other.url}/v2/customers/1`)))
    assertTagged(viaRequest, { _tag: "ConfigError", field: "url" })
    const withUserinfo = await rejection(
      "1g userinfo",
      cap.fetch(`http://user:${URL_PASSWORD}@127.0.0.1:9/v2/customers/1`)
    )
    assertTagged(withUserinfo, { _tag: "ConfigError", field: "url" })
    assert.equal(other.seen.length, 0)
    assert.equal(api.seen.length, 0) // not even a token request
  })

  test("1h. Basic (till) credentials: a cross-origin redirect is refused too, or stripped of Authorization", async (s) => {
    const other = await s.serve()
    other.route("/collect", () => send(200, "{}"))
    const api = await s.serve({ proxy: true })
    api.route("/away", () => send(308, "", { location: `${other.url}/collect` }))
    const till = { till: TILL.id, password: TILL.password }
    const refusing = s.client(api.url, { credentials: till })
    const error = await rejection("1h", refusing.fetch("/away"))
    assertTagged(error, { _tag: "TransportError", reason: "Redirect", status: 308 })
    assert.equal(
      api.requestsTo("/away")[0]?.headers.get("authorization"),
      basicAuthorization(TILL.id, TILL.password)
    )
    assert.equal(other.seen.length, 0)
    const stripping = s.client(api.url, { credentials: till, crossOriginRedirect: "strip" })
    const stripped = await stripping.fetch("/away")
    assert.equal(stripped.status, 200)
    await stripped.body?.cancel()
    assert.equal(other.seen.length, 1)
    assert.deepEqual(credentialOrAttribution(other.seen[0]?.headers), [])
    // And the same origin still works with Basic (through the simulator).
    const same = await refusing.fetch("/v2/customers/1")
    assert.equal(same.status, 200)
    await same.body?.cancel()
  })

  // -------------------------------------------------------------------------------------------------------
  // 2. Bodies are byte-identical and streamed.

  const cases: ReadonlyArray<{
    readonly name: string
    readonly contentType: string
    readonly body: () => Uint8Array
    readonly gzip?: boolean
  }> = [
    {
      name: "a UTF-8 BOM before JSON",
      contentType: "application/json; charset=utf-8",
      body: () => concat([0xef, 0xbb, 0xbf], '{"name":"Müller","id":1}')
    },
    {
      name: "invalid UTF-8 bytes (FF FE 80) in a JSON string",
      contentType: "application/json",
      body: () => concat('{"v":"', [0xff, 0xfe, 0x80], '","n":2}')
    },
    {
      name: "a BOM, then invalid UTF-8 (FF FE 80) inside and after the JSON",
      contentType: "application/json",
      body: () => concat([0xef, 0xbb, 0xbf], '{"name":"', [0xff, 0xfe, 0x80], '","n":1}', [0xff, 0xfe, 0x80])
    },
    {
      name: "latin-1 bytes with charset=iso-8859-1",
      contentType: "application/json; charset=iso-8859-1",
      body: () => latin1('{"name":"José Müller","city":"Zürich"}')
    },
    {
      name: "random binary sent as application/json (beyond the 64 KiB peek)",
      contentType: "application/json",
      body: () => randomBytes(200_000)
    },
    {
      name: "gzip (content-encoding: gzip): the decoded bytes",
      contentType: "application/json",
      body: () =>
        utf8(
          JSON.stringify({ data: Array.from({ length: 5000 }, (_, i) => ({ i, s: "é€" })), errors: null })
        ),
      gzip: true
    },
    {
      name: "non-JSON binary (application/octet-stream)",
      contentType: "application/octet-stream",
      body: () => randomBytes(100_000)
    }
  ]

  for (const c of cases) {
    test(`2. ${c.name}: bytes, headers and url unchanged`, async (s) => {
      const { api, cap } = await s.ownApi()
      const body = c.body()
      const wire = c.gzip === true ? await gzip(body) : body
      api.route("/body", () =>
        send(200, wire, {
          "content-type": c.contentType,
          "x-custom": "custom-value",
          ...(c.gzip === true ? { "content-encoding": "gzip" } : {})
        })
      )
      const response = await cap.fetch("/body?x=1")
      assert.equal(response.status, 200)
      assert.equal(response.url, `${api.url}/body?x=1`)
      assert.equal(response.headers.get("content-type"), c.contentType)
      assert.equal(response.headers.get("content-length"), String(wire.length))
      assert.equal(response.headers.get("x-custom"), "custom-value")
      if (c.gzip === true) assert.equal(response.headers.get("content-encoding"), "gzip")
      const got = await bytesOf(response)
      assert.equal(got.length, body.length)
      assert.ok(sameBytes(got, body), "the bytes differ")
    })
  }

  test("2. ndjson streams: the first line reaches the caller before the server writes the rest", async (s) => {
    const { api, cap } = await s.ownApi()
    const release = s.gate()
    const lines = ['{"n":1,"first":true}\n', '{"n":2}\n', '{"n":3,"last":true}\n']
    api.route("/stream", () => {
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(utf8(lines[0] ?? ""))
          await release.opened
          controller.enqueue(utf8(lines[1] ?? ""))
          controller.enqueue(utf8(lines[2] ?? ""))
          controller.close()
        }
      })
      return new Response(body, {
        status: 200,
        headers: { "content-type": "application/x-ndjson", "x-custom": "nd" }
      })
    })
    const outcome = await within(cap.fetch("/stream"), 10_000)
    if (outcome === "pending" || "error" in outcome) {
      throw new Error(`cap.fetch did not hand the streaming response over: ${inspect(outcome)}`)
    }
    const response = outcome.value
    assert.equal(response.status, 200)
    assert.equal(response.headers.get("x-custom"), "nd")
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    let text = ""
    while (!text.includes("\n")) {
      const next = await reader.read()
      assert.equal(next.done, false, "the body ended before the first line")
      if (next.done) break
      text += decoder.decode(next.value, { stream: true })
    }
    // Read while the server still holds the rest back: the body was streamed, not buffered.
    assert.equal(text, lines[0])
    release.open()
    for (;;) {
      const next = await reader.read()
      if (next.done) break
      text += decoder.decode(next.value, { stream: true })
    }
    assert.equal(text, lines.join(""))
  })

  const expiredBodies: ReadonlyArray<{ readonly name: string; readonly expired: string }> = [
    {
      name: 'v1.1 response.status.code "498" (string)',
      expired: JSON.stringify({
        response: {
          guid: "g-1",
          meta: { padding: "p".repeat(2000), list: [1, 2, { code: 200 }] },
          status: { success: false, code: "498", message: "Token expired" }
        }
      })
    },
    {
      name: "v1.1 response.status.code 498 (number)",
      expired: JSON.stringify({
        response: {
          customers: { count: 0, customer: [] },
          status: { success: false, code: 498, message: "Token expired" }
        }
      })
    },
    {
      name: "v2 errors[0].code 498",
      expired: JSON.stringify({
        warnings: [{ code: 200, message: "w" }],
        data: { id: null, code: 200 },
        errors: [{ status: false, code: 498, message: "Token expired" }]
      })
    }
  ]
  for (const { name, expired } of expiredBodies) {
    test(`2. expiry in the body (${name}, after other keys) is recovered with exactly one new token`, async (s) => {
      const { api, issued, cap } = await s.ownApi()
      const answer = JSON.stringify({ id: 1, answer: "real" })
      api.route("/res", (seen) => send(200, seen.headers.get(TOKEN_HEADER) === issued[0] ? expired : answer))
      const response = await cap.fetch("/res")
      assert.equal(response.status, 200)
      assert.equal(await response.text(), answer)
      assert.equal(issued.length, 2)
      const calls = api.requestsTo("/res")
      assert.deepEqual(
        calls.map((seen) => seen.headers.get(TOKEN_HEADER)),
        [issued[0], issued[1]]
      )
    })
  }

  test("2. a 498 only in a per-record item_status is not an expiry: no token request, body as is", async (s) => {
    const { api, issued, cap } = await s.ownApi()
    const bodies = [
      JSON.stringify({
        response: {
          customers: {
            customer: [{ mobile: "919876543210", item_status: { success: false, code: 498, message: "x" } }]
          },
          status: { success: true, code: 200, message: "Success" }
        }
      }),
      JSON.stringify({
        response: { customers: { customer: [{ item_status: { code: 498 } }] } }
      })
    ]
    for (const [i, body] of bodies.entries()) {
      api.route(`/items${i}`, () => send(200, body))
      const response = await cap.fetch(`/items${i}`)
      assert.equal(response.status, 200)
      assert.equal(await response.text(), body)
      assert.equal(api.requestsTo(`/items${i}`).length, 1)
    }
    assert.equal(issued.length, 1)
  })

  // -------------------------------------------------------------------------------------------------------
  // 3. Every rejection is typed.

  /** Tokens the server hands out that no header can carry; each must be refused before it is ever sent. */
  const badTokens: ReadonlyArray<{ readonly name: string; readonly token: string }> = [
    { name: "CR/LF", token: "wtA\r\nx-evil: 1" },
    { name: "LF", token: "wtB\nx-injected: 1" },
    { name: "whitespace-only", token: "\t \t  \t" },
    { name: "10,000 characters", token: `wtLong-${"q".repeat(9993)}` }
  ]
  for (const { name, token } of badTokens) {
    test(`3. a token with ${name} is MalformedResponse, never sent, never shown`, async (s) => {
      tokensUsed.add(token)
      const api = await s.serve()
      api.route(TOKEN_PATH, () => send(200, tokenBody(token)))
      api.route("/v2/customers/1", () => send(200, "{}"))
      // One attempt: a malformed answer is otherwise retried with backoff (it is transient).
      const cap = s.client(api.url, { tokenMaxAttempts: 1 })
      const error = await rejection(`3 ${name}`, cap.fetch("/v2/customers/1"))
      assertTagged(error, { _tag: "MalformedResponse" })
      assert.equal(api.requestsTo(TOKEN_PATH).length, 1)
      assert.equal(api.seen.filter((seen) => pathOnly(seen.path) !== TOKEN_PATH).length, 0)
      const escaped = JSON.stringify(token).slice(1, -1)
      for (const shown of [error.message, String(error), inspect(error), JSON.stringify(error)]) {
        assert.equal(shown.includes(token) || shown.includes(escaped), false, `the token shows in ${shown}`)
      }
    })
  }

  test("3. close() while a cold token fetch is pending rejects that fetch with ConfigError (closed)", async (s) => {
    const api = await s.serve()
    const never = s.gate() // never answers (until the test's scope ends)
    api.route(TOKEN_PATH, async () => {
      await never.opened
      return send(503, "{}")
    })
    const cap = s.client(api.url)
    const pending = cap.fetch("/v2/customers/1")
    await api.arrived(TOKEN_PATH)
    const closing = cap.close()
    const outcome = await within(rejection("3 close", pending), 10_000)
    if (outcome === "pending" || "error" in outcome) throw new Error(`fetch still pending after close()`)
    assertTagged(outcome.value, { _tag: "ConfigError" })
    assert.match(outcome.value.message, /closed/)
    assert.deepEqual(await within(closing, 10_000), { value: undefined })
    assert.equal(api.seen.filter((seen) => pathOnly(seen.path) !== TOKEN_PATH).length, 0)
  })

  const invalid: ReadonlyArray<{ readonly field: string; readonly options: Record<string, unknown> }> = [
    { field: "tokenTimeoutMillis", options: { tokenTimeoutMillis: "5000" } },
    { field: "legacyTillHeader", options: { legacyTillHeader: "yes" } },
    { field: "attribution.code", options: { attribution: { code: "a\r\nb" } } },
    { field: "crossOriginRedirect", options: { crossOriginRedirect: "sometimes" } },
    { field: "refresh.refreshAtFraction", options: { refresh: { refreshAtFraction: Number.NaN } } },
    { field: "tokenStore", options: { tokenStore: {} } }
  ]
  test("3. invalid options are a ConfigError naming the field, before any request", async (s) => {
    const api = await s.serve()
    for (const { field, options } of invalid) {
      const error = thrown(`3 option ${field}`, () =>
        createClient({ baseUrl: api.url, credentials: { key: KEY, secret: SECRET }, ...options })
      )
      assertTagged(error, { _tag: "ConfigError", field })
      assert.ok(error.message.includes(field), error.message)
    }
    assert.equal(api.seen.length, 0)
  })

  test("3. a per-request attribution with CR/LF is a ConfigError and nothing is sent", async (s) => {
    const { api, cap } = await s.ownApi()
    const viaFetch = await rejection(
      "3 attribution fetch",
      cap.fetch("/v2/customers/1", { attribution: { code: "store1\r\nx-injected: 1" } })
    )
    assertTagged(viaFetch, { _tag: "ConfigError", field: "attribution.code" })
    const viaKy = await rejection(
      "3 attribution ky",
      cap.ky.get("v2/customers/1", {
        attribution: { type: "STORE_CODE", code: "a\nb" },
        retry: 0
      }) as Promise<unknown>
    )
    assertTagged(viaKy, { _tag: "ConfigError", field: "attribution.code" })
    assert.equal(api.seen.length, 0)
  })

  // -------------------------------------------------------------------------------------------------------
  // 4. Aborts are honoured at once.

  test("4. an abort while waiting for the token rejects with the signal's reason; other callers go on", async (s) => {
    const api = await s.serve()
    const release = s.gate()
    let tokenRequests = 0
    let held: string | undefined
    api.route(TOKEN_PATH, async () => {
      tokenRequests++
      await release.opened
      held = `wt-held-${randomHex(3)}`
      tokensUsed.add(held)
      return send(200, tokenBody(held))
    })
    api.route("/v2/customers/1", () => send(200, '{"id":1}'))
    const cap = s.client(api.url)
    const controller = new AbortController()
    const aborting = rejection("4 token abort", cap.fetch("/v2/customers/1", { signal: controller.signal }))
    const chosen = new AbortController()
    const abortingChosen = rejection(
      "4 token abort (own reason)",
      cap.fetch("/v2/customers/1", { signal: chosen.signal })
    )
    const patient = cap.fetch("/v2/customers/1")
    await api.arrived(TOKEN_PATH)
    controller.abort()
    const reason = new Error("the caller gave up")
    chosen.abort(reason)
    // The token endpoint is still held: the aborted callers must not wait for it.
    const outcome = await within(aborting, 5_000)
    if (outcome === "pending" || "error" in outcome)
      throw new Error("the aborted caller waited for the token")
    assert.equal(outcome.value, controller.signal.reason)
    assert.equal(outcome.value.name, "AbortError")
    const outcomeChosen = await within(abortingChosen, 5_000)
    if (outcomeChosen === "pending" || "error" in outcomeChosen)
      throw new Error("the aborted caller (own reason) waited for the token")
    assert.equal(outcomeChosen.value, reason)
    // Settled while the token endpoint still holds its answer: nothing reached the API.
    assert.equal(api.requestsTo("/v2/customers/1").length, 0)
    assert.equal(await within(patient, 200), "pending")
    release.open()
    const response = await patient
    assert.equal(response.status, 200)
    assert.deepEqual(await response.json(), { id: 1 })
    assert.equal(tokenRequests, 1)
    assert.equal(api.requestsTo("/v2/customers/1").length, 1)
    assert.equal(api.requestsTo("/v2/customers/1")[0]?.headers.get(TOKEN_HEADER), held)
    // The shared token flight went on; the next call uses it too.
    const next = await cap.fetch("/v2/customers/1")
    assert.equal(next.status, 200)
    await next.body?.cancel()
    assert.equal(tokenRequests, 1)
    assert.equal(api.requestsTo("/v2/customers/1")[1]?.headers.get(TOKEN_HEADER), held)
  })

  test("4. an abort during the request (the server holding its answer) rejects with the AbortError", async (s) => {
    const { api, cap } = await s.ownApi()
    const hold = s.gate()
    let serverSawClose!: () => void
    const closedByClient = new Promise<void>((resolve) => {
      serverSawClose = resolve
    })
    api.route("/slow", async (_seen, request) => {
      if (request.signal.aborted) serverSawClose()
      else request.signal.addEventListener("abort", () => serverSawClose(), { once: true })
      await hold.opened
      return send(200, "{}")
    })
    const controller = new AbortController()
    const aborting = rejection("4 request abort", cap.fetch("/slow", { signal: controller.signal }))
    await api.arrived("/slow")
    const reason = new DOMException("caller gave up", "AbortError")
    controller.abort(reason)
    const outcome = await within(aborting, 5_000)
    if (outcome === "pending" || "error" in outcome) throw new Error("the aborted request was still pending")
    assert.equal(outcome.value, reason)
    assert.equal(outcome.value.name, "AbortError")
    assert.deepEqual(await within(closedByClient, 5_000), { value: undefined })
  })

  // -------------------------------------------------------------------------------------------------------
  // 5. One-shot bodies are sent once, never replayed.

  const parts = Array.from({ length: 8 }, (_, i) => utf8(`{"part":${i},"pad":"${"z".repeat(20_000)}"}\n`))
  const whole = concat(...parts)
  const kinds: ReadonlyArray<{ readonly name: string; readonly make: () => unknown }> = [
    {
      name: "a ReadableStream",
      make: () =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            for (const part of parts) controller.enqueue(part.slice())
            controller.close()
          }
        })
    },
    {
      name: "an async generator",
      make: () =>
        (async function* () {
          for (const part of parts) yield part.slice()
        })()
    }
  ]
  for (const { name, make } of kinds) {
    test(`5. ${name}: a 498 is TokenExpired (not replayable), one request; a 200 gets the full body`, async (s) => {
      const { api, issued, cap } = await s.ownApi()
      let status = 498
      api.route("/upload", () => send(status, JSON.stringify({ errors: [{ code: status, message: "m" }] })))
      const post = () =>
        cap.fetch("/upload", {
          method: "POST",
          headers: { "content-type": "application/x-ndjson" },
          body: make() as BodyInit
        })
      const error = await rejection(`5 ${name}`, post())
      assertTagged(error, { _tag: "TokenExpired", status: 498 })
      assert.match(error.message, /cannot be replayed/)
      const first = api.requestsTo("/upload")
      assert.equal(first.length, 1)
      assert.ok(sameBytes(first[0]?.body, whole), "the first request did not carry the whole body")
      assert.equal(issued.length, 1)
      status = 200
      const response = await post()
      assert.equal(response.status, 200)
      await response.body?.cancel()
      const both = api.requestsTo("/upload")
      assert.equal(both.length, 2)
      assert.ok(sameBytes(both[1]?.body, whole), "the second request did not carry the whole body")
      // The 498'd token was dropped, not sent again.
      assert.equal(both[1]?.headers.get(TOKEN_HEADER), issued[1])
    })
  }

  // -------------------------------------------------------------------------------------------------------
  // 6. No secret or token in any output.

  const failingTokenEndpoint = async (s: Scope, answer: Handler) => {
    const api = await s.serve()
    api.route(TOKEN_PATH, answer)
    return { api, cap: s.client(api.url) }
  }

  test("6. a token endpoint echoing the secret in its errors envelope: InvalidCredentials, scrubbed", async (s) => {
    // HTTP 401 makes an unknown code a refusal (with HTTP 200 it would be transient and retried).
    const { cap } = await failingTokenEndpoint(s, () =>
      send(401, JSON.stringify({ data: null, errors: [{ code: 999, message: `bad secret ${SECRET}` }] }))
    )
    const error = await rejection("6 envelope", cap.fetch("/v2/customers/1"))
    assertTagged(error, { _tag: "InvalidCredentials", code: 999 })
    assert.ok(error.message.includes("bad secret <redacted>"), error.message)
  })

  test("6. a token endpoint answering HTTP 500 text with the secret: ServiceUnavailable, scrubbed", async (s) => {
    const { api, cap } = await failingTokenEndpoint(s, () =>
      send(500, `internal error for secret=${SECRET}`, { "content-type": "text/plain" })
    )
    const error = await rejection("6 500", cap.fetch("/v2/customers/1"))
    assertTagged(error, { _tag: "ServiceUnavailable", status: 500 })
    assert.ok(api.requestsTo(TOKEN_PATH).length >= 1)
  })

  test("6. a token endpoint answering HTTP 418 text with the secret: MalformedResponse whose excerpt is scrubbed", async (s) => {
    const { cap } = await failingTokenEndpoint(s, () =>
      send(418, `teapot says ${SECRET}`, { "content-type": "text/plain" })
    )
    const error = await rejection("6 418", cap.fetch("/v2/customers/1"))
    assertTagged(error, { _tag: "MalformedResponse", status: 418 })
    assert.equal(error.excerpt, "teapot says <redacted>")
  })

  test("6. a token endpoint answering malformed JSON with the secret: MalformedResponse, scrubbed", async (s) => {
    const { cap } = await failingTokenEndpoint(s, () =>
      send(200, `{"data":{"note":"${SECRET}","accessToken":`)
    )
    const error = await rejection("6 malformed", cap.fetch("/v2/customers/1"))
    assertTagged(error, { _tag: "MalformedResponse" })
    assert.match(error.message, /not JSON/)
    assert.ok(error.excerpt?.includes("<redacted>"), String(error.excerpt))
  })

  test("6. a token endpoint echoing the previous (short) token after a 498: scrubbed by value", async (s) => {
    const api = await s.serve()
    const first = `wt-echo-${randomHex(3)}`
    tokensUsed.add(first)
    let calls = 0
    api.route(TOKEN_PATH, () => {
      calls++
      if (calls === 1) return send(200, tokenBody(first))
      return send(
        401,
        JSON.stringify({ data: null, errors: [{ code: 999, message: `token ${first} revoked` }] })
      )
    })
    api.route("/v2/customers/1", () => send(498, '{"errors":[{"code":498}]}'))
    const cap = s.client(api.url)
    const error = await rejection("6 token echo", cap.fetch("/v2/customers/1"))
    assert.equal(calls, 2)
    assertTagged(error, { _tag: "InvalidCredentials", code: 999 })
    assert.ok(error.message.includes("token <redacted> revoked"), error.message)
  })

  test("6. a base URL with user:password@ is a ConfigError without the password", async () => {
    for (const baseUrl of [
      `http://user:${URL_PASSWORD}@127.0.0.1:9`,
      `https://user:${URL_PASSWORD}@eu.api.capillarytech.com`,
      `http://user:${URL_PASSWORD}@[not a url`
    ]) {
      const error = thrown(`6 userinfo ${baseUrl.slice(0, 5)}`, () =>
        createClient({ baseUrl, credentials: { key: KEY, secret: SECRET } })
      )
      assertTagged(error, { _tag: "ConfigError", field: "baseUrl" })
    }
  })

  test("6. no error collected in this suite shows a secret, a token or a URL password, in any form", async () => {
    const known = [
      SECRET,
      TILL.password,
      md5hex(TILL.password),
      basicAuthorization(TILL.id, TILL.password),
      URL_PASSWORD,
      ...tokensUsed
    ]
    const forms = known.flatMap((value) => [value, JSON.stringify(value).slice(1, -1)])
    // Every section contributed (a guard against this check passing on nothing).
    const sections = new Set(collected.map((c) => c.where.split(" ")[0]?.replace(/[a-z]$/, "")))
    assert.deepEqual([...sections].sort(), ["1", "3", "4", "5", "6"])
    assert.ok(collected.length >= 30, `only ${collected.length} errors collected`)
    for (const { where, error } of collected) {
      const e = error as Tagged
      const shown = [
        String(e),
        e.message,
        inspect(e),
        JSON.stringify(e) ?? "",
        typeof e.excerpt === "string" ? e.excerpt : ""
      ]
      for (const text of shown) {
        for (const value of forms) {
          if (text.includes(value))
            throw new Error(`${where}: ${inspect(value.slice(0, 40))} shows in ${text}`)
        }
      }
    }
  })
}
