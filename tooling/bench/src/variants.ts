/**
 * The clients compared on the warm path, each configured as its own README says, with no logic added that it
 * lacks. Each reads the answer as a caller would: JSON parsed, ndjson streamed to the end chunk by chunk.
 */

import { OAuth2Client, OAuth2Fetch } from "@badgateway/oauth2-client"
import { CapillaryClient, CapillaryConfig } from "@capauth/core"
import { createCapillaryClient } from "@capauth/node"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import axios, { type AxiosInstance } from "axios"
import { createAuthRefresh } from "axios-auth-refresh"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Stream from "effect/Stream"
import ky from "ky"

const TOKEN_PATH = "/v3/oauth/token/generate"
export const TOKEN_HEADER = "x-cap-api-oauth-token"
export const credentials = { key: "bench-key", secret: "bench-secret" }

/** What a request reads: a small JSON answer, a 1 MB JSON answer, or a streamed ndjson answer. */
export type Shape = "small" | "big" | "ndjson"
export const shapes: ReadonlyArray<Shape> = ["small", "big", "ndjson"]
export const shapeLabel: Record<Shape, string> = {
  small: "small JSON",
  big: "1 MB JSON",
  ndjson: "streamed ndjson"
}

/** A client ready to send: `call(path, shape)` sends one GET and consumes the answer; throws on a failure. */
export interface Client {
  readonly call: (path: string, shape: Shape) => Promise<void>
  readonly close: () => Promise<void>
}

export interface Variant {
  readonly name: string
  readonly make: (base: string) => Promise<Client>
}

/** Read a web body to its end, chunk by chunk, as a streaming consumer would. */
export const drain = async (body: ReadableStream<Uint8Array> | null): Promise<void> => {
  if (body === null) return
  const reader = body.getReader()
  for (;;) if ((await reader.read()).done) return
}

const consume = (response: Response, shape: Shape): Promise<unknown> => {
  if (!response.ok) {
    void response.body?.cancel()
    throw new Error(`HTTP ${response.status}`)
  }
  return shape === "ndjson" ? drain(response.body) : response.json()
}

/** Capillary's token request, as a team writes it by hand (the peers need one). */
export const fetchToken = async (base: string): Promise<{ accessToken: string; ttlSeconds: number }> => {
  const r = await fetch(base + TOKEN_PATH, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(credentials)
  })
  const json = (await r.json()) as { data: { accessToken: string; ttlSeconds: number } }
  return json.data
}

/** raw fetch: the global fetch with one static header (the token fetched once, up front). */
export const rawFetch: Variant = {
  name: "raw fetch",
  make: async (base) => {
    const { accessToken } = await fetchToken(base)
    const headers = { [TOKEN_HEADER]: accessToken }
    return {
      call: (path, shape) => fetch(base + path, { headers }).then((r) => consume(r, shape)) as Promise<void>,
      close: async () => undefined
    }
  }
}

const capInput = (base: string): CapillaryConfig.Input => ({
  baseUrl: base,
  credentials,
  attribution: { type: "TILL", code: "store.till1" }
})

/** capauth's Promise facade, `cap.fetch`. */
export const capFetch: Variant = {
  name: "capauth fetch",
  make: async (base) => {
    const cap = createCapillaryClient(capInput(base))
    return {
      call: (path, shape) => cap.fetch(path).then((r) => consume(r, shape)) as Promise<void>,
      close: () => cap.close()
    }
  }
}

/**
 * The same facade sending over Node's global fetch (its `fetch` option): the transport it had before the warm-path
 * work, kept as a reference row so every run shows what the undici transport is worth.
 */
const capFetchGlobal: Variant = {
  name: "capauth fetch over global fetch",
  make: async (base) => {
    const cap = createCapillaryClient({
      ...capInput(base),
      fetch: (input, init) => globalThis.fetch(input, init)
    })
    return {
      call: (path, shape) => cap.fetch(path).then((r) => consume(r, shape)) as Promise<void>,
      close: () => cap.close()
    }
  }
}

/** capauth's Promise facade, `cap.ky`. */
const capKy: Variant = {
  name: "capauth ky",
  make: async (base) => {
    const cap = createCapillaryClient(capInput(base))
    return {
      call: async (path, shape) => {
        if (shape === "ndjson") await drain((await cap.ky.get(path.slice(1))).body)
        else await cap.ky.get(path.slice(1)).json()
      },
      close: () => cap.close()
    }
  }
}

const effectCall =
  <E>(runtime: ManagedRuntime.ManagedRuntime<never, unknown>, client: HttpClient.HttpClient.With<E>) =>
  (path: string, shape: Shape): Promise<void> =>
    runtime.runPromise(
      Effect.flatMap(client.get(path), (r: HttpClientResponse.HttpClientResponse) =>
        r.status !== 200
          ? Effect.die(new Error(`HTTP ${r.status}`))
          : shape === "ndjson"
            ? Stream.runDrain(r.stream)
            : Effect.asVoid(r.json)
      ) as Effect.Effect<void, unknown>
    )

/** Effect's `HttpClient` over undici (`NodeHttpClient.layerUndici`) with one static header: no auth. */
const effectPlain: Variant = {
  name: "Effect HttpClient",
  make: async (base) => {
    const { accessToken } = await fetchToken(base)
    const runtime = ManagedRuntime.make(NodeHttpClient.layerUndici)
    const client = await runtime.runPromise(
      Effect.map(HttpClient.HttpClient, (http) =>
        http.pipe(
          HttpClient.mapRequest(HttpClientRequest.prependUrl(base)),
          HttpClient.mapRequest(HttpClientRequest.setHeader(TOKEN_HEADER, accessToken))
        )
      )
    )
    return {
      call: effectCall(runtime as ManagedRuntime.ManagedRuntime<never, unknown>, client),
      close: () => runtime.dispose()
    }
  }
}

/** capauth's Effect middleware: `CapillaryClient` over the same undici client. */
const effectCapauth: Variant = {
  name: "capauth Effect",
  make: async (base) => {
    const runtime = ManagedRuntime.make(
      CapillaryClient.layer.pipe(
        Layer.provide(CapillaryConfig.layer(capInput(base))),
        Layer.provide(NodeHttpClient.layerUndici)
      )
    )
    const client = await runtime.runPromise(CapillaryClient.CapillaryClient)
    return {
      call: effectCall(runtime as ManagedRuntime.ManagedRuntime<never, unknown>, client),
      close: () => runtime.dispose()
    }
  }
}

/**
 * ky with the README's refresh recipe: a `beforeRequest` hook sets the token, an `afterResponse` hook fetches a
 * new one on an auth status and retries with `ky.retry`. Capillary's expiry status (498) is listed beside 401.
 */
export const kyRecipe: Variant = {
  name: "ky (README refresh recipe)",
  make: async (base) => {
    let token: string | undefined
    const api = ky.create({
      prefixUrl: base,
      hooks: {
        beforeRequest: [
          (request, _options, { retryCount }) => {
            if (retryCount === 0 && token !== undefined) request.headers.set(TOKEN_HEADER, token)
          }
        ],
        afterResponse: [
          async (request, _options, response, state) => {
            if ((response.status === 401 || response.status === 498) && state.retryCount === 0) {
              const { data } = await ky
                .post(base + TOKEN_PATH, { json: credentials })
                .json<{ data: { accessToken: string } }>()
              token = data.accessToken
              const headers = new Headers(request.headers)
              headers.set(TOKEN_HEADER, token)
              return ky.retry({ request: new Request(request, { headers }), code: "TOKEN_REFRESHED" })
            }
            return undefined
          }
        ]
      }
    })
    return {
      call: async (path, shape) => {
        if (shape === "ndjson") await drain((await api.get(path.slice(1))).body)
        else await api.get(path.slice(1)).json()
      },
      close: async () => undefined
    }
  }
}

/**
 * axios + axios-auth-refresh as its README shows: a request interceptor reads the current token, the refresh
 * logic posts to the token endpoint and patches the failed request. Status codes 401 and 498.
 */
export const axiosRefresh: Variant = {
  name: "axios + axios-auth-refresh",
  make: async (base) => {
    let token: string | undefined
    const instance: AxiosInstance = axios.create({ baseURL: base })
    instance.interceptors.request.use((request) => {
      if (token !== undefined) request.headers[TOKEN_HEADER] = token
      return request
    })
    // axios-auth-refresh types against its own copy of axios' types (CJS): the instance is the same object.
    createAuthRefresh(
      instance as unknown as Parameters<typeof createAuthRefresh>[0],
      (failedRequest: { response: { config: { headers: Record<string, string> } } }) =>
        axios.post(base + TOKEN_PATH, credentials).then((r) => {
          token = (r.data as { data: { accessToken: string } }).data.accessToken
          failedRequest.response.config.headers[TOKEN_HEADER] = token
          return Promise.resolve()
        }),
      { statusCodes: [401, 498] }
    )
    return {
      call: async (path, shape) => {
        if (shape === "ndjson") {
          const r = await instance.get(path, { responseType: "stream" })
          for await (const _ of r.data as AsyncIterable<unknown>);
        } else await instance.get(path, { responseType: "json" })
      },
      close: async () => undefined
    }
  }
}

/**
 * @badgateway/oauth2-client's fetch wrapper (`OAuth2Fetch`, its `getNewToken` doing Capillary's token request),
 * used as the README's middleware: `mw()(request, next)`. Capillary reads the token from its own header, so
 * `next` moves the wrapper's `Authorization: Bearer` there (the only adaptation; the wrapper renews on 401).
 */
export const badgateway: Variant = {
  name: "@badgateway/oauth2-client",
  make: async (base) => {
    const wrapper = new OAuth2Fetch({
      client: new OAuth2Client({ server: base, clientId: credentials.key, tokenEndpoint: TOKEN_PATH }),
      getNewToken: async () => {
        const { accessToken, ttlSeconds } = await fetchToken(base)
        return { accessToken, expiresAt: Date.now() + ttlSeconds * 1000, refreshToken: null }
      }
    })
    const mw = wrapper.mw()
    const next = (request: Request) => {
      const bearer = request.headers.get("authorization") ?? ""
      request.headers.delete("authorization")
      request.headers.set(TOKEN_HEADER, bearer.slice("Bearer ".length))
      return fetch(request)
    }
    return {
      call: (path, shape) =>
        mw(new Request(base + path), next).then((r) => consume(r, shape)) as Promise<void>,
      close: async () => undefined
    }
  }
}

/** Warm-path variants, baseline first. */
export const warmVariants: ReadonlyArray<Variant> = [
  rawFetch,
  capFetch,
  capFetchGlobal,
  capKy,
  effectPlain,
  effectCapauth,
  kyRecipe,
  axiosRefresh,
  badgateway
]
