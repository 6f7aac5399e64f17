import * as Redacted from "effect/Redacted"
import type { AuthError } from "../AuthError.ts"

/** How much of a body `excerpt` looks at. */
const excerptScanChars = 4096

/**
 * A short excerpt of a server body for error messages, with anything that looks like a token or a secret
 * masked: JWTs, long opaque strings, and the values of secret-ish JSON fields.
 */
export const excerpt = (text: string, max = 120): string => {
  // Mask a bounded head only: V8's regex engine overflows its stack on a multi-MiB run of one class. The cut
  // drops the word it falls in, so no value is shown half-masked.
  const head =
    text.length > excerptScanChars ? text.slice(0, excerptScanChars).replace(/[^\s",:{}[\]]*$/, "") : text
  const masked = head
    .replace(
      /("(?:secret|accessToken|access_token|refresh_token|refreshToken|token|password|key|client_secret|clientSecret|authorizationCode|authorization_code|creation_token|creationToken)"\s*:\s*)"[^"]*"/gi,
      '$1"<redacted>"'
    )
    .replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, "<redacted>")
    .replace(/[A-Za-z0-9+/_=-]{32,}/g, "<redacted>")
  return masked.length > max ? `${masked.slice(0, max)}…` : masked
}

/** `//user:password@host` -> `//<redacted>@host`: a URL echoed in a message never carries its userinfo. */
export const stripUserinfo = (text: string): string => text.replace(/\/\/[^/?#\s@]*@/g, "//<redacted>@")

/**
 * Replace every occurrence of each known secret or token value, whatever its length (longest first, so a value
 * containing another is replaced whole). Patterns in `excerpt` catch what looks secret; this catches what *is*.
 */
const scrub = (text: string, known: ReadonlyArray<Known>): string => {
  let out = stripUserinfo(text)
  const values = known.map((k) => (typeof k === "string" ? k : Redacted.value(k)))
  for (const value of values.sort((a, b) => b.length - a.length)) {
    if (value !== "" && out.includes(value)) out = out.split(value).join("<redacted>")
  }
  return out
}

/** A value to keep out of output, in clear or still wrapped (revealed only to be searched for). */
export type Known = string | Redacted.Redacted<string>

/**
 * The same error with every known value replaced in its message, excerpt and (Capture's) description: a server
 * may echo a secret, a code or a token in an error body. Returns the error itself when there was nothing to
 * replace.
 */
export const scrubError = <E extends AuthError>(error: E, known: ReadonlyArray<Known>): E => {
  const message = scrub(error.message, known)
  const before = error._tag === "MalformedResponse" ? error.excerpt : undefined
  const excerpt = before === undefined ? undefined : scrub(before, known)
  const description = error.description === undefined ? undefined : scrub(error.description, known)
  if (message === error.message && excerpt === before && description === error.description) return error
  const Rebuild = error.constructor as new (props: object) => E
  return new Rebuild({
    ...error,
    message,
    ...(excerpt === undefined ? {} : { excerpt }),
    ...(description === undefined ? {} : { description })
  })
}
