import * as Duration from "effect/Duration"
import * as Headers from "effect/http/Headers"
import * as Result from "effect/Result"
import * as Err from "../AuthError.ts"
import type { Verdict } from "./lifecycle.ts"
import { excerpt } from "./redact.ts"
import { isRedirect } from "./transport.ts"

/** What is known of a response once its body has been read. */
export interface ResponseFacts {
  readonly status: number
  readonly requestId: string | undefined
  readonly retryAfter: string | undefined
  readonly date: string | undefined
  readonly text: string
  readonly json: unknown
}

export const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const utf8 = new TextDecoder()

/** A body held whole: its text (decoded as `Response.text()` does), its JSON if it parses, and its envelope code. */
export interface WholeBody {
  readonly text: string
  readonly json: unknown
  readonly code: number | undefined
}

/**
 * Read a whole (small) body once. Parsing is far cheaper than the streaming scanner on small bodies, gives the
 * reference answer (`bodyCode`), and the parsed JSON is handed to the caller's `json()` instead of parsing twice.
 */
export const readWhole = (bytes: Uint8Array): WholeBody => {
  const text = utf8.decode(bytes)
  const json = parseJson(text)
  return { text, json, code: bodyCode(json) }
}

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * The status code inside a body, wherever the envelope puts it: v1.1 `response.status.code` (string or
 * number), v2 `errors[0].code`, v3 `errors[0].code`, the access-group `errorCode`.
 */
export const bodyCode = (json: unknown): number | undefined => {
  if (!isRecord(json)) return undefined
  const response = json.response
  if (isRecord(response) && isRecord(response.status)) return toCode(response.status.code)
  if (json.errorCode !== undefined) return toCode(json.errorCode)
  if (Array.isArray(json.errors) && isRecord(json.errors[0])) return toCode(json.errors[0].code)
  return undefined
}

const toCode = (u: unknown): number | undefined => {
  const n =
    typeof u === "number" ? u : typeof u === "string" && /^\d+$/.test(u.trim()) ? Number(u) : Number.NaN
  return Number.isFinite(n) ? n : undefined
}

/** The first entry of a v2/v3 `errors` array, if any. */
const firstError = (json: unknown): { code: number | string | undefined; message: string } | undefined => {
  if (!isRecord(json) || !Array.isArray(json.errors) || json.errors.length === 0) return undefined
  const e: unknown = json.errors[0]
  if (!isRecord(e)) return { code: undefined, message: "unspecified error" }
  const code = toCode(e.code) ?? (typeof e.code === "string" ? excerpt(e.code, 40) : undefined)
  return { code, message: typeof e.message === "string" ? excerpt(e.message) : "unspecified error" }
}

/**
 * `Retry-After` as milliseconds (Effect's parser: delta-seconds or an HTTP date). A date is read against the
 * response's own `Date`, not the local clock, so a skewed server clock does not stretch or cut the wait.
 */
export const retryAfterMillis = (header: string | undefined, date: string | undefined, now: number) => {
  if (header === undefined) return undefined
  const parsed = Headers.parseRetryAfter(header)
  if (Result.isFailure(parsed)) return undefined
  const reference = date === undefined ? Number.NaN : Date.parse(date)
  const delay = Headers.retryAfterDelay(parsed.success, Number.isNaN(reference) ? now : reference)
  return Duration.toMillis(delay)
}

const retryLater = new Set([461, 521])

/** The transient class of a status, if it has one: 429, 5xx, 461, 521 (4001 comes as 503). */
const transientError = (facts: ResponseFacts, now: number, message: string, code?: number | string) => {
  const common = { requestId: facts.requestId, status: facts.status, code }
  if (facts.status === 429) {
    return new Err.RateLimited({
      ...common,
      message: `${message}: rate limited (429)`,
      retryAfterMillis: retryAfterMillis(facts.retryAfter, facts.date, now)
    })
  }
  if (facts.status >= 500 || retryLater.has(facts.status) || code === 4001) {
    return new Err.ServiceUnavailable({
      ...common,
      message: `${message}: service unavailable (${facts.status})`
    })
  }
  return undefined
}

/**
 * Map a failed token request to the error family (the facts, sections 2 and 7). `errors[]` wins by its code:
 * 320001 bad credentials, 4000 (or an access-group message) access denied, 4001 transient. Then the HTTP status:
 * 429, 5xx, 461, 521 transient; 401 bad credentials and 403 access denied (v3's own mapping). Anything else in
 * `errors[]` (an unknown code, an entry without one, whatever the HTTP status, 200 included) is not a documented
 * refusal: a transient `ServiceUnavailable` (or `MalformedResponse` for an entry with no code), retried with
 * backoff, never remembered as bad credentials.
 */
export const tokenFailure = (facts: ResponseFacts, now: number): Err.AuthError | undefined => {
  const common = { requestId: facts.requestId, status: facts.status }
  const error = firstError(facts.json)
  if (error !== undefined) {
    const what = `token request refused (code ${String(error.code ?? "none")}): ${error.message}`
    if (error.code === 320001)
      return new Err.InvalidCredentials({ ...common, code: error.code, message: what })
    if (error.code === 4000 || /access group|permission|access is denied/i.test(error.message)) {
      return new Err.AccessDenied({ ...common, code: error.code, message: what })
    }
    const transient = transientError(facts, now, "token request failed", error.code)
    if (transient !== undefined) return transient
    if (facts.status === 401)
      return new Err.InvalidCredentials({ ...common, code: error.code, message: what })
    if (facts.status === 403) return new Err.AccessDenied({ ...common, code: error.code, message: what })
    return error.code === undefined
      ? new Err.MalformedResponse({
          ...common,
          message: "token response has an errors entry without a code: not a documented refusal",
          excerpt: excerpt(facts.text)
        })
      : new Err.ServiceUnavailable({
          ...common,
          code: error.code,
          message: `token request failed with an undocumented code ${String(error.code)} (HTTP ${facts.status}): ${error.message}; retrying with backoff`
        })
  }
  if (facts.status >= 200 && facts.status < 300) return undefined
  if (isRedirect(facts.status)) {
    return new Err.MalformedResponse({
      ...common,
      message: `token request answered a redirect (HTTP ${facts.status}): capauth never follows one with the key and secret; set the base URL to the API host itself`
    })
  }
  const code = bodyCode(facts.json)
  const transient = transientError(facts, now, "token request failed", code)
  if (transient !== undefined) return transient
  if (facts.status === 401) {
    return new Err.InvalidCredentials({
      ...common,
      code,
      message: "token request refused (401): invalid credentials"
    })
  }
  if (facts.status === 403) {
    return new Err.AccessDenied({ ...common, code, message: "token request refused (403): access denied" })
  }
  return new Err.MalformedResponse({
    ...common,
    code,
    message: `token request answered HTTP ${facts.status} without a documented error body`,
    excerpt: excerpt(facts.text)
  })
}

/** How an API response speaks of the credentials it was sent with (the type lives with the rules). */
export type { Verdict }

/**
 * Whether a body is a JSON document by its `Content-Type` (`application/json`, `text/json`, any `+json`, with
 * or without parameters): the only bodies an envelope code is looked for in. Streams of JSON records
 * (`application/x-ndjson`, `jsonl`, `json-seq`) are not documents: no envelope comes that way, and they are
 * handed on without a look (no layer between the caller and the bytes).
 */
export const isJsonDocument = (contentType: string | null | undefined): boolean => {
  if (contentType === null || contentType === undefined) return false
  const semicolon = contentType.indexOf(";")
  const type = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase()
  return type === "application/json" || type === "text/json" || type.endsWith("+json")
}

/** Statuses that decide the verdict alone, before any body is looked at. */
export const isAuthStatus = (status: number): boolean => status === 498 || status === 401 || status === 403

/**
 * HTTP status first; then the envelope's code (v1.1 sends 498 inside an HTTP 200), as found by `bodyCode` on a
 * parsed body or by `internal/peek.ts` on a streamed one.
 */
export const verdictOf = (status: number, envelopeCode: number | undefined): Verdict => {
  const code = isAuthStatus(status) ? status : envelopeCode
  return code === 498 ? "expired" : code === 401 ? "rejected" : code === 403 ? "forbidden" : "ok"
}

/**
 * What the caller gets for a verdict, the same for the Effect middleware and the Promise facade: `undefined`
 * to pass the response through, or the error. `renewed`: this response answered a request replayed with a new
 * token, so a second expiry or rejection is final.
 */
export const verdictError = (
  v: Verdict,
  response: { readonly requestId: string | undefined; readonly status: number },
  renewed: boolean,
  mapForbidden: boolean
): Err.AuthError | undefined => {
  const common = { requestId: response.requestId, status: response.status }
  switch (v) {
    case "ok":
      return undefined
    case "forbidden":
      return mapForbidden
        ? new Err.AccessDenied({ ...common, code: 403, message: "access denied (403) for this resource" })
        : undefined
    case "expired":
      return new Err.TokenExpired({
        ...common,
        code: 498,
        message: renewed
          ? "token expired again right after renewal"
          : "token expired and the request cannot be replayed"
      })
    case "rejected":
      return renewed
        ? new Err.TokenRejected({
            ...common,
            code: 401,
            message: "token rejected (401) again right after renewal"
          })
        : new Err.InvalidCredentials({ ...common, code: 401, message: "credentials rejected (401)" })
  }
}
