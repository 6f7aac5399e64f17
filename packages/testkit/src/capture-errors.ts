/**
 * Capture's error envelope: `{"stat":"error","code","error","error_description"|"message",
 * "request_id"|"request_token"}`, in the spelling the configured {@link CaptureErrorStyle} picks.
 */
import type { CaptureErrorStyle } from "./capture-types.ts"

/** Capture error codes and their `error` names (Janrain's documented list; 310 from the same list). */
const CAPTURE_ERRORS: Readonly<Record<number, string>> = {
  100: "missing_argument",
  200: "invalid_argument",
  201: "duplicate_argument",
  205: "invalid_auth_method",
  210: "invalid_credentials",
  310: "record_not_found",
  402: "invalid_client_credentials",
  403: "client_permission_error",
  413: "no_access_grant",
  414: "access_token_expired",
  415: "authorization_code_expired",
  417: "creation_token_expired",
  420: "redirect_uri_mismatch",
  480: "api_feature_disabled",
  500: "unexpected_error",
  510: "api_limit_error",
  540: "triggered_error"
}

const DEFAULT_DESCRIPTIONS: Readonly<Record<number, string>> = {
  480: "this feature is temporarily disabled for maintenance",
  510: "too many simultaneous API calls",
  500: "an unexpected error occurred"
}

/** A Capture error before it is spelled out: the code and a description. */
export interface CaptureError {
  readonly code: number
  readonly description: string
}

export const captureError = (code: number, description: string): CaptureError => ({ code, description })

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"

/** A random lowercase alphanumeric string (Capture's codes, tokens and request ids look like this). */
export const randomId = (length: number): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(length))
  let out = ""
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length]
  return out
}

// Order of the `alternate` cycle: [message key, request id key].
const CYCLE = [
  ["error_description", "request_id"],
  ["message", "request_token"],
  ["error_description", "request_token"],
  ["message", "request_id"]
] as const

/** Spells error envelopes in a style; `alternate` keeps a counter, restarted by `restart()`. */
export class CaptureEnvelopes {
  private count = 0

  constructor(public style: CaptureErrorStyle) {}

  restart(style: CaptureErrorStyle): void {
    this.style = style
    this.count = 0
  }

  /** The error body for `code` (named from {@link CAPTURE_ERRORS}, else `simulated_error`). */
  body(code: number, description?: string): Record<string, unknown> {
    const [messageKey, idKey] =
      this.style === "standard" ? CYCLE[0] : this.style === "legacy" ? CYCLE[1] : CYCLE[this.count++ % 4]!
    return {
      stat: "error",
      code,
      error: CAPTURE_ERRORS[code] ?? "simulated_error",
      [messageKey]: description ?? DEFAULT_DESCRIPTIONS[code] ?? `simulated error ${code}`,
      [idKey]: randomId(16)
    }
  }
}
