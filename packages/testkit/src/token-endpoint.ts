import type { SimContext } from "./context.ts"
import { json, type SimReply } from "./reply.ts"

/** Simulator's choice: Capillary documents no code for a disabled client. */
const CODE_CLIENT_DISABLED = 320002
const CODE_INVALID_CREDENTIALS = 320001
/** Simulator's choice for a body that is not `{"key": string, "secret": string}` JSON. */
const CODE_BAD_REQUEST = 400

const failure = (status: number, code: number, message: string): SimReply =>
  json(status, { data: null, errors: [{ code, message }] })

/**
 * `POST /v3/oauth/token/generate` with `{"key","secret"}`: a new RS256 token on every call, or the v3 error
 * envelope (320001 for bad credentials, at `tokenErrorStatus`, since Capillary does not document one).
 */
export const generateToken = async (core: SimContext, body: unknown): Promise<SimReply> => {
  const b = body as { key?: unknown; secret?: unknown } | null
  if (typeof b !== "object" || b === null || typeof b.key !== "string" || typeof b.secret !== "string") {
    return failure(400, CODE_BAD_REQUEST, 'Request body must be JSON {"key": string, "secret": string}')
  }
  const client = core.registry.clients.get(b.key)
  if (client === undefined || client.secret !== b.secret) {
    return failure(core.tokenErrorStatus, CODE_INVALID_CREDENTIALS, "Invalid client key and secret")
  }
  if (!client.enabled) return failure(core.tokenErrorStatus, CODE_CLIENT_DISABLED, "API client is disabled")
  const iat = Math.floor(core.clock.now() / 1000)
  const exp = iat + client.ttlSeconds
  const jti = crypto.randomUUID()
  const token = await core.signer.sign({
    iss: "Capillary",
    iat,
    exp,
    jti,
    sub: `${client.orgId}_${client.clientId}`,
    client_id: client.clientId,
    org_id: client.orgId,
    token_use: "token_access",
    client_key: client.key,
    default_till: client.defaultTill,
    has_psi_access: client.hasPsiAccess,
    scopes: Object.entries(client.accessGroup)
      .map(([resource, level]) => `${resource}:${level}`)
      .join(" ")
  })
  core.recordToken({ jti, clientKey: client.key, iat, exp, token })
  return json(200, { data: { accessToken: token, ttlSeconds: client.ttlSeconds }, errors: null })
}
