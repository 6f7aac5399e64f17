/**
 * The wire path of the Deno Promise client against servers of the test's own (`Deno.serve` on 127.0.0.1):
 * where credentials travel on redirects, a token endpoint that redirects or hands out an unsafe token, bodies
 * passed on byte for byte and still streaming, aborts while a token is awaited, and one-shot stream bodies.
 */

import assert from "node:assert/strict"
import { MalformedResponse, TokenExpired, TransportError } from "@capauth/core"
import { createCapillaryClient } from "../mod.ts"

const credentials = { key: "wire-key", secret: "wire-secret-value" }
const tokenPath = "/v3/oauth/token/generate"
const tokenHeader = "x-cap-api-oauth-token"

interface Seen {
  readonly method: string
  readonly path: string
  readonly headers: Headers
}

interface TestServer extends AsyncDisposable {
  readonly url: string
  readonly requests: Array<Seen>
  /** The requests to paths other than the token endpoint. */
  readonly apiRequests: () => Array<Seen>
}

/** A server on 127.0.0.1 (any port) that records every request and answers with `handler`. */
const serve = (handler: (request: Request, path: string) => Response | Promise<Response>): TestServer => {
  const requests: Array<Seen> = []
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const path = new URL(request.url).pathname
    requests.push({ method: request.method, path, headers: new Headers(request.headers) })
    return handler(request, path)
  })
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    apiRequests: () => requests.filter((r) => r.path !== tokenPath),
    [Symbol.asyncDispose]: () => server.shutdown()
  }
}

const tokenResponse = (accessToken: string) =>
  Response.json({ data: { accessToken, ttlSeconds: 3600 }, errors: null })

/** A Capillary stand-in: the token endpoint hands out `token`; every other path goes to `api`. */
const capillary = (
  api: (request: Request, path: string) => Response | Promise<Response>,
  token = "wire-token-1"
) => serve((request, path) => (path === tokenPath ? tokenResponse(token) : api(request, path)))

/** A server that should never be called: it answers 200 and records what it got. */
const elsewhere = () => serve(() => new Response("elsewhere", { status: 200 }))

const redirectTo = (location: string, status = 307) => new Response(null, { status, headers: { location } })

/** The rejection of `promise`; fails the test if it resolves. */
const rejection = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise
  } catch (error) {
    return error
  }
  assert.fail("expected a rejection")
}

const deferred = <A = void>() => {
  let resolve!: (value: A) => void
  const promise = new Promise<A>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

const bytesOf = (...parts: Array<string | ReadonlyArray<number>>) => {
  const chunks = parts.map((p) => (typeof p === "string" ? new TextEncoder().encode(p) : Uint8Array.from(p)))
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

Deno.test("a cross-origin 307 from the API is refused (TransportError Redirect); the other origin gets nothing", async () => {
  await using other = elsewhere()
  await using api = capillary(() => redirectTo(`${other.url}/landing`))
  const cap = createCapillaryClient({ baseUrl: api.url, credentials })
  try {
    const error = await rejection(cap.fetch("/v2/customers/1"))
    assert.ok(error instanceof TransportError, `expected a TransportError, got ${String(error)}`)
    assert.equal(error.reason, "Redirect")
    assert.equal(error.status, 307)
    assert.equal(api.apiRequests().length, 1)
    assert.equal(api.apiRequests()[0]?.headers.get(tokenHeader), "wire-token-1")
    assert.equal(other.requests.length, 0)
  } finally {
    await cap.close()
  }
})

Deno.test('with crossOriginRedirect "strip" the redirect is followed without the token or attribution', async () => {
  await using other = elsewhere()
  await using api = capillary(() => redirectTo(`${other.url}/landing?x=1`))
  const cap = createCapillaryClient({
    baseUrl: api.url,
    credentials,
    crossOriginRedirect: "strip",
    attribution: { type: "TILL", code: "store.till1" }
  })
  try {
    const response = await cap.fetch("/v2/customers/1")
    assert.equal(response.status, 200)
    assert.equal(await response.text(), "elsewhere")
    assert.equal(api.apiRequests()[0]?.headers.get(tokenHeader), "wire-token-1")
    assert.equal(other.requests.length, 1)
    const seen = other.requests[0]
    assert.equal(seen?.path, "/landing")
    assert.equal(seen?.headers.get(tokenHeader), null)
    assert.equal(seen?.headers.get("authorization"), null)
    assert.equal(seen?.headers.get("x-cap-api-attribution-entity-code"), null)
    assert.equal(seen?.headers.get("x-cap-api-attribution-entity-type"), null)
  } finally {
    await cap.close()
  }
})

Deno.test("a token endpoint answering 307 is a MalformedResponse and the redirect target gets nothing", async () => {
  await using other = elsewhere()
  await using api = serve((_, path) =>
    path === tokenPath ? redirectTo(`${other.url}${tokenPath}`) : new Response("{}", { status: 200 })
  )
  const cap = createCapillaryClient({ baseUrl: api.url, credentials })
  try {
    const error = await rejection(cap.fetch("/v2/customers/1"))
    assert.ok(error instanceof MalformedResponse, `expected a MalformedResponse, got ${String(error)}`)
    assert.equal(other.requests.length, 0)
    assert.equal(api.apiRequests().length, 0)
    assert.ok(!String(error.message).includes(credentials.secret))
  } finally {
    await cap.close()
  }
})

Deno.test("a JSON body (BOM + invalid UTF-8) reaches the caller byte for byte", async () => {
  const payload = bytesOf([0xef, 0xbb, 0xbf], '{"name":"', [0xff, 0xfe, 0x80], '","n":1}', [0xff, 0xfe, 0x80])
  await using api = capillary(
    () => new Response(payload, { status: 200, headers: { "content-type": "application/json" } })
  )
  const cap = createCapillaryClient({ baseUrl: api.url, credentials })
  try {
    const response = await cap.fetch("/v2/customers/1")
    assert.equal(response.status, 200)
    assert.equal(response.headers.get("content-type"), "application/json")
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), payload)
  } finally {
    await cap.close()
  }
})

Deno.test("an application/x-ndjson answer streams: the first line is readable before the rest is sent", async () => {
  const release = deferred()
  const encoder = new TextEncoder()
  await using api = capillary(() => {
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(encoder.encode('{"line":1}\n'))
        await release.promise
        controller.enqueue(encoder.encode('{"line":2}\n{"line":3}\n'))
        controller.close()
      }
    })
    return new Response(body, { status: 200, headers: { "content-type": "application/x-ndjson" } })
  })
  const cap = createCapillaryClient({ baseUrl: api.url, credentials })
  try {
    const response = await cap.fetch("/v2/export")
    assert.equal(response.status, 200)
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
    let text = ""
    while (!text.includes("\n")) {
      const { done, value } = await reader.read()
      assert.equal(done, false, "the body ended before the first line")
      text += value
    }
    assert.equal(text, '{"line":1}\n')
    release.resolve()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      text += value
    }
    assert.equal(text, '{"line":1}\n{"line":2}\n{"line":3}\n')
  } finally {
    release.resolve()
    await cap.close()
  }
})

for (const [label, token] of [
  ["CR/LF", "wire-token\r\nx-injected: 1"],
  ["LF", "wire-token\nx-injected: 1"],
  ["whitespace only", "   "]
] as const) {
  Deno.test(`a token with ${label} is a MalformedResponse and is never sent`, async () => {
    await using api = capillary(() => new Response("{}", { status: 200 }), token)
    const cap = createCapillaryClient({ baseUrl: api.url, credentials })
    try {
      const error = await rejection(cap.fetch("/v2/customers/1"))
      assert.ok(error instanceof MalformedResponse, `expected a MalformedResponse, got ${String(error)}`)
      assert.equal(api.apiRequests().length, 0)
      assert.ok(api.requests.length >= 1)
    } finally {
      await cap.close()
    }
  })
}

Deno.test("an abort while the token is awaited rejects at once with the signal's reason", async () => {
  const tokenAsked = deferred()
  const answerToken = deferred()
  await using api = serve(async (_, path) => {
    if (path !== tokenPath) return new Response("{}", { status: 200 })
    tokenAsked.resolve()
    await answerToken.promise
    return tokenResponse("wire-token-late")
  })
  const cap = createCapillaryClient({ baseUrl: api.url, credentials })
  try {
    const controller = new AbortController()
    const pending = cap.fetch("/v2/customers/1", { signal: controller.signal })
    await tokenAsked.promise
    const reason = new Error("the caller gave up")
    controller.abort(reason)
    const error = await rejection(pending)
    assert.equal(error, reason)
    // Settled while the token endpoint still holds its answer: nothing reached the API.
    assert.equal(api.apiRequests().length, 0)
    answerToken.resolve()
    // The shared token flight went on; the next call uses it.
    const response = await cap.fetch("/v2/customers/1")
    assert.equal(response.status, 200)
    await response.body?.cancel()
    assert.equal(api.requests.filter((r) => r.path === tokenPath).length, 1)
    assert.equal(api.apiRequests()[0]?.headers.get(tokenHeader), "wire-token-late")
  } finally {
    answerToken.resolve()
    await cap.close()
  }
})

Deno.test("a ReadableStream body answered 498 is TokenExpired and sent exactly once", async () => {
  const received: Array<string> = []
  await using api = capillary(async (request) => {
    received.push(await request.text())
    return new Response(null, { status: 498 })
  })
  const cap = createCapillaryClient({ baseUrl: api.url, credentials })
  try {
    const encoder = new TextEncoder()
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('{"root":'))
        controller.enqueue(encoder.encode('{"customer":[]}}'))
        controller.close()
      }
    })
    const error = await rejection(
      cap.fetch("/v1.1/customer/add?format=json", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body
      })
    )
    assert.ok(error instanceof TokenExpired, `expected a TokenExpired, got ${String(error)}`)
    assert.equal(api.apiRequests().length, 1)
    assert.deepEqual(received, ['{"root":{"customer":[]}}'])
  } finally {
    await cap.close()
  }
})
