/**
 * Capture's signed client authentication, recomputed on the server side from the documented algorithm (as
 * Janrain's own Python library computes it), never shared with a client:
 *
 * ```
 * Date: YYYY-MM-DD HH:MM:SS                       (UTC)
 * Authorization: Signature <client_id>:<base64(HMAC-SHA1(client_secret, text))>
 * text = endpoint + "\n" + date + "\n" + sorted("k=v" for every param) each followed by "\n"
 * ```
 *
 * `endpoint` has its leading `/` (`/entity.count`); values are as received (form-decoded, not URL-encoded);
 * `client_id`, `client_secret` and `access_token` are never signed; with no parameters the text is
 * `endpoint\ndate\n`. The `k=v` strings are sorted whole, by code point (Python's `list.sort`).
 */
import { createHmac, timingSafeEqual } from "node:crypto"

/** Parameters that are never part of the signed text. */
const UNSIGNED = new Set(["client_id", "client_secret", "access_token"])

/** Compares by Unicode code point, as Python 3 sorts `str` (JS's default sort uses UTF-16 code units). */
const byCodePoint = (a: string, b: string): number => {
  const ai = a[Symbol.iterator]()
  const bi = b[Symbol.iterator]()
  for (;;) {
    const x = ai.next()
    const y = bi.next()
    if (x.done) return y.done ? 0 : -1
    if (y.done) return 1
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!
    if (d !== 0) return d
  }
}

/** The text that is signed. */
export const signingText = (
  endpoint: string,
  date: string,
  params: ReadonlyArray<readonly [string, string]>
): string => {
  const lines = params
    .filter(([k]) => !UNSIGNED.has(k))
    .map(([k, v]) => `${k}=${v}`)
    .sort(byCodePoint)
  return `${endpoint}\n${date}\n${lines.map((l) => `${l}\n`).join("")}`
}

/** base64(HMAC-SHA1(secret, text)). */
export const hmacSha1Base64 = (secret: string, text: string): string =>
  createHmac("sha1", secret).update(text, "utf8").digest("base64")

/** Constant-time comparison of two signatures. */
export const sameSignature = (a: string, b: string): boolean => {
  const x = new TextEncoder().encode(a)
  const y = new TextEncoder().encode(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

const DATE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/

/** Parses a `YYYY-MM-DD HH:MM:SS` UTC date to epoch ms; undefined when malformed or not a real date. */
export const parseSignatureDate = (value: string): number | undefined => {
  const m = DATE.exec(value.trim())
  if (m === null) return undefined
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number]
  const ms = Date.UTC(y, mo - 1, d, h, mi, s)
  // Rejects 2024-02-30 and 25:00:00, which Date.UTC would roll over.
  return new Date(ms).toISOString().slice(0, 19) === `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`
    ? ms
    : undefined
}
