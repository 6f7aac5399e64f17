// A Cloudflare Worker (run here by workerd, the open-source Workers runtime) using @capauth/core's Promise facade
// over the runtime's fetch. Bundled by esbuild; config from the Worker's env bindings.
//
// One client per request, closed before the response: workerd binds async work to the request that started it
// (Effect's fibers capture an AsyncResource when the runtime offers node:async_hooks, which workerd does at current
// compatibility dates), so a client kept across requests fails the first time a later request wakes a fiber that
// an earlier one parked (a token renewal does). The token is shared through an in-memory TokenStore per isolate
// instead: a fresh client reads it before asking for a new one.
import { TokenStore } from "@capauth/core"
import * as PromiseClient from "@capauth/core/PromiseClient"
import * as FetchHttpClient from "effect/http/FetchHttpClient"

interface Env {
  readonly CAPILLARY_BASE_URL: string
  readonly CAPILLARY_CLIENT_KEY: string
  readonly CAPILLARY_CLIENT_SECRET: string
}

const tokenStore = TokenStore.memory()

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname !== "/customer") return new Response("not found", { status: 404 })
    const cap = PromiseClient.make(
      {
        baseUrl: env.CAPILLARY_BASE_URL,
        credentials: { key: env.CAPILLARY_CLIENT_KEY, secret: env.CAPILLARY_CLIENT_SECRET },
        tokenStore
      },
      { httpLayer: FetchHttpClient.layer, env: () => undefined } // the options come from the bindings
    )
    try {
      const mobile = url.searchParams.get("mobile") ?? ""
      const response = await cap.fetch(`/v1.1/customer/get?format=json&mobile=${encodeURIComponent(mobile)}`)
      return Response.json({
        status: response.status,
        runtime: navigator.userAgent,
        body: await response.json()
      })
    } catch (error) {
      const { _tag, message } = error as { _tag?: string; message?: string }
      return Response.json({ error: _tag ?? "Error", message }, { status: 502 })
    } finally {
      await cap.close()
    }
  }
}
