/**
 * Routes through a forward proxy on Node: one undici dispatcher (a `ProxyAgent` for an explicit `proxy`, an
 * `EnvHttpProxyAgent` for `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY`) carries token requests (as the
 * `NodeHttpClient` dispatcher) and API calls (undici's own `fetch`) alike. The process-wide global dispatcher is
 * never touched. On Bun, its own `fetch` (which reads the proxy variables itself) with its `proxy` option.
 */
import { Buffer } from "node:buffer"
import type { Transport } from "@capauth/core"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Undici from "@effect/platform-node/Undici"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"

/** The variables naming a proxy (`NO_PROXY` only narrows them). */
const proxyVars = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"] as const

const envNamesProxy = (): boolean => proxyVars.some((name) => (process.env[name] ?? "").trim() !== "")

/**
 * The proxy's origin and, when the URL carries credentials, the `Proxy-Authorization` they make: the agent never
 * holds the URL with its password (undici errors may name the proxy URL).
 */
const agentOptions = (url: URL): Undici.ProxyAgent.Options => {
  const uri = `${url.protocol}//${url.host}`
  if (url.username === "" && url.password === "") return { uri }
  const user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
  return { uri, token: `Basic ${Buffer.from(user).toString("base64")}` }
}

/**
 * `fetch` over undici's own fetch with `dispatcher`. Node's global fetch (the undici bundled with Node) cannot take
 * a dispatcher of the undici package (their handler interfaces differ), and undici's fetch answers with its own
 * `Response` class and does not know Node's global `FormData`: both are translated, so callers see standard ones.
 */
const fetchVia =
  (dispatcher: Undici.Dispatcher): typeof globalThis.fetch =>
  async (input, init) => {
    let body = init?.body
    let headers = init?.headers
    if (body instanceof FormData) {
      const encoded = new Response(body)
      const withType = new Headers(headers)
      withType.set("content-type", encoded.headers.get("content-type") ?? "multipart/form-data")
      headers = withType
      body = await encoded.arrayBuffer()
    }
    const target = input instanceof Request ? input.url : String(input)
    const answer = await Undici.fetch(target, {
      ...init,
      body,
      headers,
      dispatcher
    } as Undici.RequestInit)
    const response = new Response(answer.body as ReadableStream<Uint8Array> | null, {
      status: answer.status,
      statusText: answer.statusText,
      headers: answer.headers as unknown as Headers
    })
    return Object.defineProperties(response, {
      url: { value: answer.url },
      redirected: { value: answer.redirected }
    })
  }

/** Bun: its fetch takes a `proxy` option and reads the proxy variables itself. */
const bunRoute = (url: URL | undefined): Transport.Route | undefined => {
  if (url === undefined) return undefined
  const proxy = url.href
  const fetch: typeof globalThis.fetch = (input, init) =>
    globalThis.fetch(input, { ...init, proxy } as RequestInit)
  return {
    httpLayer: Layer.provide(FetchHttpClient.layer, Layer.succeed(FetchHttpClient.Fetch, fetch)),
    fetch,
    close: () => Promise.resolve()
  }
}

/**
 * The route through `url`, or through the proxy the environment names (`undefined` when it names none).
 */
export const proxyRoute = (url: URL | undefined): Transport.Route | undefined => {
  if (typeof process.versions.bun === "string") return bunRoute(url)
  if (url === undefined && !envNamesProxy()) return undefined
  // EnvHttpProxyAgent reads the variables once, here (NO_PROXY again whenever it changes).
  const dispatcher: Undici.Dispatcher =
    url === undefined ? new Undici.EnvHttpProxyAgent() : new Undici.ProxyAgent(agentOptions(url))
  return {
    httpLayer: Layer.provide(
      NodeHttpClient.layerUndiciNoDispatcher,
      Layer.succeed(NodeHttpClient.Dispatcher, dispatcher)
    ),
    fetch: fetchVia(dispatcher),
    close: () => dispatcher.close()
  }
}
