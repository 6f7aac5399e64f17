/**
 * RS256 JWT signing and verification with WebCrypto, so it runs unchanged on Node, Deno and browsers.
 * The key pair is generated per simulator: a token from one simulator is garbage to another.
 */

const ALG = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const
const KID = "k1"
const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Claims the simulator puts in every access token. */
export interface AccessClaims {
  readonly iss: string
  readonly iat: number
  readonly exp: number
  readonly jti: string
  readonly sub: string
  readonly client_id: number
  readonly org_id: number
  readonly token_use: "token_access"
  readonly client_key: string
  readonly default_till: string
  readonly has_psi_access: boolean
  readonly scopes: string
}

/** The RS256 public key as a JWK. */
export interface PublicJwk {
  readonly kty: string
  readonly n: string
  readonly e: string
  readonly kid: string
  readonly alg: string
  readonly use: string
}

/** A public key as a JSON Web Key Set, as served at `/.well-known/jwks.json`. */
export interface Jwks {
  readonly keys: readonly PublicJwk[]
}

// Spelled via `crypto.subtle` so the source compiles without the DOM lib (Node-only consumers).
type Key = Parameters<typeof crypto.subtle.sign>[1]
interface KeyPair {
  readonly publicKey: Key
  readonly privateKey: Key
}

const base64url = (bytes: Uint8Array): string => {
  let bin = ""
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]!)
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
}

export const fromBase64url = (s: string): Uint8Array<ArrayBuffer> => {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"))
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

const HEADER_B64 = base64url(encoder.encode(JSON.stringify({ kid: KID, typ: "JWT", alg: "RS256" })))

let sharedSigner: Promise<TokenSigner> | undefined

/** Signs and verifies the simulator's tokens; verification results are cached per token string. */
export class TokenSigner {
  private readonly cache = new Map<string, AccessClaims | null>()

  private constructor(
    private readonly keys: KeyPair,
    /** The public key as a JWKS (computed once). */
    readonly jwks: Jwks
  ) {}

  /** Generates a fresh 2048-bit RSA key pair, or reuses the process-wide one when `shared`. */
  static async create(shared = false): Promise<TokenSigner> {
    if (shared) {
      sharedSigner ??= TokenSigner.create(false)
      const s = await sharedSigner
      return new TokenSigner(s.keys, s.jwks)
    }
    const keys = (await crypto.subtle.generateKey(
      { ...ALG, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
      true,
      ["sign", "verify"]
    )) as KeyPair
    const jwk = await crypto.subtle.exportKey("jwk", keys.publicKey)
    const publicJwk = { kty: jwk.kty!, n: jwk.n!, e: jwk.e!, kid: KID, alg: "RS256", use: "sig" }
    return new TokenSigner(keys, { keys: [publicJwk] })
  }

  async sign(claims: AccessClaims): Promise<string> {
    const input = `${HEADER_B64}.${base64url(encoder.encode(JSON.stringify(claims)))}`
    const sig = await crypto.subtle.sign(ALG, this.keys.privateKey, encoder.encode(input))
    const token = `${input}.${base64url(new Uint8Array(sig))}`
    this.remember(token, claims)
    return token
  }

  /** Returns the claims of a token this signer issued, or null for anything else. */
  async verify(token: string): Promise<AccessClaims | null> {
    const cached = this.cache.get(token)
    if (cached !== undefined) return cached
    const claims = await this.verifyUncached(token)
    this.remember(token, claims)
    return claims
  }

  private async verifyUncached(token: string): Promise<AccessClaims | null> {
    const parts = token.split(".")
    if (parts.length !== 3) return null
    const [h, p, s] = parts as [string, string, string]
    try {
      const header = JSON.parse(decoder.decode(fromBase64url(h)))
      if (header?.alg !== "RS256" || header?.kid !== KID) return null
      const ok = await crypto.subtle.verify(
        ALG,
        this.keys.publicKey,
        fromBase64url(s),
        encoder.encode(`${h}.${p}`)
      )
      if (!ok) return null
      const claims = JSON.parse(decoder.decode(fromBase64url(p)))
      return typeof claims === "object" && claims !== null ? (claims as AccessClaims) : null
    } catch {
      return null
    }
  }

  // Bounded so that a flood of garbage tokens cannot grow memory without limit.
  private remember(token: string, claims: AccessClaims | null): void {
    if (this.cache.size >= 50_000) this.cache.clear()
    this.cache.set(token, claims)
  }
}
