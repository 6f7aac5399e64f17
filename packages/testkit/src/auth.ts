import type { Principal, SimContext } from "./context.ts"
import { type BodyCode, errorBody, type Family } from "./envelopes.ts"
import { permits } from "./registry.ts"
import { json, type SimReply } from "./reply.ts"
import type { AccessLevel } from "./types.ts"

const MSG_UNAUTHORIZED = "Unauthorized"
const MSG_BAD_BASIC = "Please check your username/password or authentication token"
const MSG_V11_FORBIDDEN = "Client doesn't have access to the requested resource"
const MSG_ACCESS_DENIED = "Not authorized. Access is denied!"

// atob + TextDecoder instead of Buffer so the core also runs on Deno and in browsers.
const decodeBase64 = (b64: string): string => {
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)))
  } catch {
    return ""
  }
}

/** Formats like Capillary's example `2019-12-02T12:31:15.000+0530` (IST, the vendor's home zone). */
export const formatExpiry = (epochMs: number): string =>
  `${new Date(epochMs + 330 * 60_000).toISOString().slice(0, 23)}+0530`

/**
 * A 401/403 in the configured auth-failure signal. v1.1 carries the HTTP code in the body; v2/v3 carry the
 * access-group errorCode 4000 for 403.
 */
const authFailure = (core: SimContext, family: Family, http: 401 | 403, message: string): SimReply => {
  const code = http === 403 && family !== "v1.1" ? 4000 : http
  switch (core.authFailureSignal) {
    case "both":
      return json(http, errorBody(family, code, message))
    case "status":
      return json(http, errorBody(family, undefined, message))
    case "body":
      return json(200, errorBody(family, code, message))
  }
}

const expired = (core: SimContext, family: Family, atMs: number): SimReply => {
  const message = `Token expired at ${formatExpiry(atMs)}`
  const code: BodyCode = core.expirySignal === "body-string" ? "498" : 498
  return json(core.expirySignal === "http-498" ? 498 : 200, errorBody(family, code, message))
}

/**
 * Authenticates an API call by `X-CAP-API-OAUTH-TOKEN` (or `CAP-API-ACCESS-TOKEN`) or by Basic till
 * credentials, then checks the access group for `resource` at `needed`. Returns the principal or the reply.
 */
export const authenticate = async (
  core: SimContext,
  headers: Readonly<Record<string, string>>,
  family: Family,
  resource: string,
  needed: AccessLevel
): Promise<Principal | SimReply> => {
  const token = headers["x-cap-api-oauth-token"] ?? headers["cap-api-access-token"]
  if (token !== undefined) {
    const claims = await core.signer.verify(token.trim())
    if (claims === null || core.revoked.has(token.trim()))
      return authFailure(core, family, 401, MSG_UNAUTHORIZED)
    const client = core.registry.clients.get(claims.client_key)
    if (client === undefined || !client.enabled) return authFailure(core, family, 401, MSG_UNAUTHORIZED)
    const now = core.clock.now()
    if (now >= claims.exp * 1000) return expired(core, family, claims.exp * 1000)
    const forced = core.forcedExpiry(claims.jti)
    if (forced !== undefined) return expired(core, family, Math.min(forced, claims.exp * 1000))
    if (!permits(client.accessGroup[resource], needed)) {
      return authFailure(core, family, 403, family === "v1.1" ? MSG_V11_FORBIDDEN : MSG_ACCESS_DENIED)
    }
    return { kind: "oauth", client, name: `oauth:${client.key}`, defaultTill: client.defaultTill }
  }

  const authorization = headers.authorization
  if (authorization === undefined) return authFailure(core, family, 401, MSG_UNAUTHORIZED)
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(authorization.trim())
  if (m === null) return authFailure(core, family, 401, MSG_BAD_BASIC)
  const decoded = decodeBase64(m[1]!)
  const colon = decoded.indexOf(":")
  const tillId = decoded.slice(0, colon)
  // Exact comparison on purpose: the scheme is lowercase hex md5 with no space after the colon.
  if (colon < 0 || core.registry.tills.get(tillId) !== decoded.slice(colon + 1)) {
    return authFailure(core, family, 401, MSG_BAD_BASIC)
  }
  // Tills have no access group: Basic is the POS integration's full access.
  return { kind: "basic", tillId, name: `basic:${tillId}`, defaultTill: tillId }
}
