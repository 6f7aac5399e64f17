/**
 * HS256 JWTs for the Auth Engine, with node:crypto (Node, Deno and Bun all provide it). Header and claims follow
 * the tokens in Capillary's reference: a header carrying the identifier (`idv`), the device (`dev`) and the org
 * (`org`) beside `alg`, and claims `uid`, `iss`, `iat`, `exp` (none on the mobile key) and `rol`.
 */
import { createHmac, timingSafeEqual } from "node:crypto"

/** The JOSE header of an Auth Engine token or key. */
export interface Hs256Header {
  /** `["<identifierType>|<identifierValue>"]`. */
  readonly idv: readonly string[]
  /** The device id; null on web tokens. */
  readonly dev: string | null
  /** The brand, upper-cased. */
  readonly org: string
  readonly alg: "HS256"
}

/** Claims of an Auth Engine token (`rol` VIEW or USER) or mobile key (`rol` AUTH, no `exp`). */
export interface Hs256Claims {
  readonly uid: string
  readonly iss: string
  readonly mfa?: boolean
  readonly exp?: number
  readonly iat: number
  readonly rol: "VIEW" | "USER" | "AUTH"
  /** Simulator's addition, so two tokens issued in the same second differ. */
  readonly jti: string
}

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value), "utf8").toString("base64url")

const mac = (secret: string, input: string): Buffer => createHmac("sha256", secret).update(input).digest()

/** Signs `header.claims` with HMAC-SHA256. */
export const signHs256 = (secret: string, header: Hs256Header, claims: Hs256Claims): string => {
  const input = `${encode(header)}.${encode(claims)}`
  return `${input}.${mac(secret, input).toString("base64url")}`
}

/** The header and claims of a token signed with `secret`, or null (malformed, another alg, bad signature). */
export const verifyHs256 = (
  secret: string,
  token: string
): { readonly header: Hs256Header; readonly claims: Hs256Claims } | null => {
  const parts = token.split(".")
  if (parts.length !== 3) return null
  const [h, p, s] = parts as [string, string, string]
  try {
    const expected = mac(secret, `${h}.${p}`)
    const given = Buffer.from(s, "base64url")
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
    const header = JSON.parse(Buffer.from(h, "base64url").toString("utf8"))
    const claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8"))
    if (header?.alg !== "HS256" || typeof claims !== "object" || claims === null) return null
    if (typeof claims.jti !== "string") return null
    return { header, claims }
  } catch {
    return null
  }
}
