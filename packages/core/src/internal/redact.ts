/**
 * A short excerpt of a server body for error messages, with anything that looks like a token or a secret
 * masked: JWTs, long opaque strings, and the values of secret-ish JSON fields.
 */
export const excerpt = (text: string, max = 120): string => {
  const masked = text
    .replace(
      /("(?:secret|accessToken|access_token|refresh_token|token|password|key|client_secret)"\s*:\s*)"[^"]*"/gi,
      '$1"<redacted>"'
    )
    .replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, "<redacted>")
    .replace(/[A-Za-z0-9+/_=-]{32,}/g, "<redacted>")
  return masked.length > max ? `${masked.slice(0, max)}…` : masked
}
