// A Next.js App Router route handler using the Node facade, as a team would write it.
import { createCapillaryClient } from "@capauth/node"

// Per request, never prerendered at build time (a route reading a customer is).
export const dynamic = "force-dynamic"

// One client per server process, made on first use: it keeps the token and shares one token request among
// concurrent calls. First use, not import: `next build` imports route modules (without CAPILLARY_* set).
let client: ReturnType<typeof createCapillaryClient> | undefined
const capillary = () => (client ??= createCapillaryClient()) // CAPILLARY_BASE_URL, _CLIENT_KEY, _CLIENT_SECRET

export async function GET(request: Request): Promise<Response> {
  const mobile = new URL(request.url).searchParams.get("mobile") ?? "919876543210"
  try {
    const res = await capillary().fetch(`/v1.1/customer/get?format=json&mobile=${encodeURIComponent(mobile)}`)
    return Response.json(await res.json(), { status: res.status })
  } catch (error) {
    // capauth rejects with typed errors (`_tag`, `requestId`) that never hold the secret or the token.
    const { _tag, requestId } = error as { _tag?: string; requestId?: string }
    return Response.json({ error: _tag ?? "Error", requestId }, { status: 502 })
  }
}
