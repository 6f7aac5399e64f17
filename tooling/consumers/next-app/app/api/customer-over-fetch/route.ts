// The same client with `fetch: Next's own fetch` (the one Next patches), in a route where Next caches every fetch
// that does not opt out (`fetchCache = "default-cache"`): capauth's token requests say `cache: "no-store"`, so a
// token is never served from Next's fetch cache. `?control=1` sends the same token request as a plain fetch, without
// that: drive.mjs checks Next does cache that one here, so the proof means something.
import { createCapillaryClient } from "@capauth/node"

export const fetchCache = "default-cache"

const baseUrl = () => process.env.CAPILLARY_BASE_URL ?? ""
const key = () => process.env.CAPILLARY_CLIENT_KEY ?? ""
const secret = () => process.env.CAPILLARY_CLIENT_SECRET ?? ""

let client: ReturnType<typeof createCapillaryClient> | undefined
const capillary = () =>
  (client ??= createCapillaryClient({
    baseUrl: baseUrl(),
    credentials: { key: key(), secret: secret() },
    fetch: (input, init) => fetch(input, init) // Next's fetch, looked up at each call
  }))

export async function GET(request: Request): Promise<Response> {
  const url = new URL(request.url)
  if (url.searchParams.has("control")) {
    const res = await fetch(`${baseUrl()}/v3/oauth/token/generate?control=1`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ key: key(), secret: secret() })
    })
    await res.arrayBuffer()
    return Response.json({ status: res.status })
  }
  const mobile = url.searchParams.get("mobile") ?? "919876543210"
  try {
    // An API call is the caller's own: this one opts out of the cache, as a read of live data should.
    const res = await capillary().fetch(
      `/v1.1/customer/get?format=json&mobile=${encodeURIComponent(mobile)}`,
      {
        cache: "no-store"
      }
    )
    return Response.json(await res.json(), { status: res.status })
  } catch (error) {
    const { _tag, requestId } = error as { _tag?: string; requestId?: string }
    return Response.json({ error: _tag ?? "Error", requestId }, { status: 502 })
  }
}
