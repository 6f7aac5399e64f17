/**
 * Capture client authentication, three ways: `Authorization: Basic base64(client_id:client_secret)`, the
 * legacy `client_id` / `client_secret` parameters, and the signed scheme (see `capture-signature.ts`).
 */
import { type CaptureError, captureError } from "./capture-errors.ts"
import { hmacSha1Base64, parseSignatureDate, sameSignature, signingText } from "./capture-signature.ts"
import type { CaptureClientFeature } from "./capture-types.ts"

/** A registered Capture client with defaults filled in. */
export interface CaptureClient {
  readonly clientId: string
  readonly clientSecret: string
  readonly features: ReadonlySet<CaptureClientFeature>
  readonly accessTokenTtlSeconds: number
}

/** What a client-authentication attempt gives. `signature` says whether a signature was checked. */
export type ClientAuthResult =
  | {
      readonly ok: true
      readonly mode: "basic" | "params" | "signed"
      readonly client: CaptureClient
      readonly signature?: "passed"
    }
  | {
      readonly ok: false
      readonly mode: "basic" | "params" | "signed" | "none"
      readonly clientId?: string
      readonly error: CaptureError
      readonly signature?: "failed"
    }

/** The request as client authentication sees it. */
export interface AuthInput {
  /** Lowercased header names. */
  readonly headers: Readonly<Record<string, string>>
  /** Every received parameter, in order (query first, then the form body). */
  readonly params: ReadonlyArray<readonly [string, string]>
  /** The operation with its leading `/`, as signed: `/entity.count`. */
  readonly endpoint: string
  readonly now: number
  readonly windowMs: number
}

const decodeBase64 = (b64: string): string | undefined => {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
    )
  } catch {
    return undefined
  }
}

const BAD_CREDENTIALS = "client_id and client_secret do not match a client"

/**
 * Authenticates the calling client. An `Authorization` header decides the mode (`Basic`, `Signature`; any
 * other scheme is 205 invalid_auth_method); without one, the `client_id` / `client_secret` parameters.
 */
export const authenticateClient = (
  clients: ReadonlyMap<string, CaptureClient>,
  input: AuthInput
): ClientAuthResult => {
  const param = (k: string) => input.params.find(([name]) => name === k)?.[1]
  const authorization = input.headers.authorization?.trim()

  if (authorization !== undefined && authorization !== "") {
    const space = authorization.indexOf(" ")
    const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase()
    const value = space < 0 ? "" : authorization.slice(space + 1).trim()

    if (scheme === "basic") {
      const decoded = decodeBase64(value)
      const colon = decoded?.indexOf(":") ?? -1
      if (decoded === undefined || colon < 0) {
        return { ok: false, mode: "basic", error: captureError(402, "malformed Basic credentials") }
      }
      const clientId = decoded.slice(0, colon)
      const client = clients.get(clientId)
      if (client === undefined || client.clientSecret !== decoded.slice(colon + 1)) {
        return { ok: false, mode: "basic", clientId, error: captureError(402, BAD_CREDENTIALS) }
      }
      return { ok: true, mode: "basic", client }
    }

    if (scheme === "signature") {
      const colon = value.lastIndexOf(":")
      if (colon <= 0) {
        return {
          ok: false,
          mode: "signed",
          error: captureError(402, "Authorization must be Signature <client_id>:<signature>")
        }
      }
      const clientId = value.slice(0, colon)
      const given = value.slice(colon + 1)
      const date = input.headers.date
      if (date === undefined) {
        return {
          ok: false,
          mode: "signed",
          clientId,
          error: captureError(100, "a signed request needs a Date header")
        }
      }
      const dateMs = parseSignatureDate(date)
      if (dateMs === undefined) {
        return {
          ok: false,
          mode: "signed",
          clientId,
          error: captureError(200, "Date must be YYYY-MM-DD HH:MM:SS (UTC)")
        }
      }
      if (Math.abs(input.now - dateMs) > input.windowMs) {
        return {
          ok: false,
          mode: "signed",
          clientId,
          error: captureError(402, `Date is more than ${input.windowMs / 1000} s from the server clock`)
        }
      }
      const client = clients.get(clientId)
      if (client === undefined) {
        return {
          ok: false,
          mode: "signed",
          clientId,
          signature: "failed",
          error: captureError(402, BAD_CREDENTIALS)
        }
      }
      const expected = hmacSha1Base64(
        client.clientSecret,
        signingText(input.endpoint, date.trim(), input.params)
      )
      if (!sameSignature(expected, given)) {
        return {
          ok: false,
          mode: "signed",
          clientId,
          signature: "failed",
          error: captureError(402, "the signature does not match")
        }
      }
      return { ok: true, mode: "signed", client, signature: "passed" }
    }

    return {
      ok: false,
      mode: "none",
      error: captureError(205, `unsupported authorization scheme for client authentication: ${scheme}`)
    }
  }

  const clientId = param("client_id")
  const secret = param("client_secret")
  if (clientId === undefined) {
    return { ok: false, mode: "none", error: captureError(100, "client_id is required") }
  }
  if (secret === undefined) {
    return { ok: false, mode: "params", clientId, error: captureError(100, "client_secret is required") }
  }
  const client = clients.get(clientId)
  if (client === undefined || client.clientSecret !== secret) {
    return { ok: false, mode: "params", clientId, error: captureError(402, BAD_CREDENTIALS) }
  }
  return { ok: true, mode: "params", client }
}
