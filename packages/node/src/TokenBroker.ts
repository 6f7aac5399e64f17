/**
 * A token broker for browser apps: an endpoint of YOUR server that hands a short-lived Capillary access token
 * (never the client secret) to callers your app authorises. Usable as a fetch-style handler
 * (`(Request) => Promise<Response>`, for Hono, Next.js route handlers, `Deno.serve`-like servers) and with
 * `node:http` (`(req, res) => void`, for `http.createServer` or Express).
 *
 * Answers `GET` and `POST` (`HEAD`/others: 405). Every answer carries `Cache-Control: no-store`,
 * `Pragma: no-cache` and `Content-Type: application/json`, and uses the envelope of Capillary's own token
 * endpoint, so a browser can decode it with the same code:
 *
 * | case | status | body |
 * | --- | --- | --- |
 * | authorised | 200 | `{"data":{"accessToken":"…","ttlSeconds":N},"errors":null}` (`N` = whole seconds left, floored) |
 * | `authorize` said no | 403 | `{"data":null,"errors":[{"code":403,"message":"…"}]}` |
 * | `authorize` threw | 500 | errors envelope, code 500 (fails closed: no token) |
 * | Capillary refused our credentials / access (`InvalidCredentials`, `AccessDenied`, `TokenRejected`, `TokenExpired`, `MalformedResponse`) | 502 | errors envelope with the error tag and request id |
 * | Capillary unreachable or busy (`ServiceUnavailable`, `TransportError`, `RateLimited`) | 503 | errors envelope; `Retry-After` when known |
 * | the client is misconfigured or closed (`ConfigError`, e.g. till Basic credentials have no token) | 500 | errors envelope |
 *
 * Error bodies hold only capauth's error messages (which never contain a secret or a token) and the
 * `X-Cap-Requestid` of the failed upstream call, for Capillary support. CORS is left to your app.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http"
 * import { createCapillaryClient, TokenBroker } from "@capauth/node"
 *
 * const cap = createCapillaryClient() // CAPILLARY_* from the environment
 * const broker = TokenBroker.make({
 *   client: cap,
 *   authorize: (request) => request.headers.get("cookie")?.includes("session=") ?? false // your session check
 * })
 * createServer(broker.node).listen(8080)
 * // or, fetch-style: app.get("/capillary/token", (c) => broker.fetch(c.req.raw))
 * ```
 * @since 0.1.0
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import type { AuthError } from "@capauth/core/AuthError"
import type { CapillaryPromiseClient } from "@capauth/core/PromiseClient"
import * as Redacted from "effect/Redacted"

export interface Options {
  /** The server-side client whose token is handed out. */
  readonly client: CapillaryPromiseClient
  /** Your app's decision: may the caller of this request have a token? Throwing counts as "no" (500). */
  readonly authorize: (request: Request) => boolean | Promise<boolean>
}

export interface TokenBroker {
  /** Fetch-style handler. Never rejects: every failure is an answer. */
  readonly fetch: (request: Request) => Promise<Response>
  /** `node:http` handler (`http.createServer(broker.node)`, or an Express route). */
  readonly node: (req: IncomingMessage, res: ServerResponse) => void
}

const baseHeaders = {
  "cache-control": "no-store",
  pragma: "no-cache",
  "content-type": "application/json"
} as const

const answer = (status: number, body: unknown, extra?: Record<string, string>): Response =>
  new Response(JSON.stringify(body), { status, headers: { ...baseHeaders, ...extra } })

const refusal = (
  status: number,
  message: string,
  extra?: Record<string, string>,
  detail?: object
): Response => answer(status, { data: null, errors: [{ code: status, message, ...detail }] }, extra)

const upstreamStatus = (tag: string): number => {
  switch (tag) {
    case "ServiceUnavailable":
    case "TransportError":
    case "RateLimited":
      return 503
    case "ConfigError":
      return 500
    default:
      return 502
  }
}

const isTagged = (u: unknown): u is AuthError =>
  typeof u === "object" && u !== null && typeof (u as { _tag?: unknown })._tag === "string"

const upstreamFailure = (error: unknown): Response => {
  if (!isTagged(error)) return refusal(500, "token broker failed")
  const status = upstreamStatus(error._tag)
  const extra: Record<string, string> = {}
  const retryAfter = (error as { retryAfterMillis?: unknown }).retryAfterMillis
  if (typeof retryAfter === "number" && retryAfter > 0)
    extra["retry-after"] = String(Math.ceil(retryAfter / 1000))
  const detail: Record<string, unknown> = { tag: error._tag }
  if (error.requestId !== undefined) detail.requestId = error.requestId
  return refusal(status, `upstream token request failed: ${error.message}`, extra, detail)
}

/**
 * Request header by which a worker reports the token Capillary refused: its `AccessToken.fingerprint`
 * (SHA-256, 32 hex characters), never the token itself.
 */
export const rejectedTokenHeader = "x-capauth-rejected-token"

/** Build a broker over a client. */
export const make = (options: Options): TokenBroker => {
  const fetch = async (request: Request): Promise<Response> => {
    if (request.method !== "GET" && request.method !== "POST") {
      return refusal(405, `method ${request.method} not allowed: use GET or POST`, { allow: "GET, POST" })
    }
    let allowed: boolean
    try {
      allowed = (await options.authorize(request)) === true
    } catch {
      return refusal(500, "authorization check failed")
    }
    if (!allowed) return refusal(403, "not authorised to obtain a Capillary token")
    try {
      // A worker whose token Capillary refused names it by fingerprint; drop it only if it is still ours
      // (compare-and-invalidate), so a stale report never throws away a fresh token.
      const rejected = request.headers.get(rejectedTokenHeader)
      if (rejected !== null && /^[0-9a-f]{32}$/.test(rejected)) {
        await options.client.invalidate({ fingerprint: rejected })
      }
      const info = await options.client.token()
      const ttlSeconds = Math.max(0, Math.floor(info.remainingMillis / 1000))
      return answer(200, { data: { accessToken: Redacted.value(info.value), ttlSeconds }, errors: null })
    } catch (error) {
      return upstreamFailure(error)
    }
  }

  const node = (req: IncomingMessage, res: ServerResponse): void => {
    void toRequest(req)
      .then(fetch, () => refusal(400, "could not read the request"))
      .then((response) => writeResponse(response, res))
      .catch(() => {
        if (!res.headersSent) res.writeHead(500, baseHeaders)
        res.end()
      })
  }

  return { fetch, node }
}

/** Requests bodies larger than this are cut off: the broker needs none, `authorize` may peek at a small one. */
const maxBody = 64 * 1024

const toRequest = async (req: IncomingMessage): Promise<Request> => {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(":")) continue
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else headers.set(name, value)
  }
  let url: URL
  try {
    url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`)
  } catch {
    url = new URL(req.url ?? "/", "http://localhost")
  }
  const method = req.method ?? "GET"
  let body: ArrayBuffer | undefined
  if (method !== "GET" && method !== "HEAD") {
    const chunks: Array<Buffer> = []
    let size = 0
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > maxBody) break
      chunks.push(chunk)
    }
    const all = Buffer.concat(chunks)
    body = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer
  }
  return new Request(url, { method, headers, ...(body === undefined ? {} : { body }) })
}

const writeResponse = async (response: Response, res: ServerResponse): Promise<void> => {
  const text = await response.text()
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    headers[name] = value
  })
  headers["content-length"] = String(Buffer.byteLength(text))
  res.writeHead(response.status, headers)
  res.end(text)
}
