/**
 * The messages between a page and the token worker: plain structured-clone data with request ids. Nothing the
 * worker sends carries the token: responses are status, headers (token headers stripped) and body bytes;
 * token information is its timeline only.
 *
 * @since 0.1.0
 */
import type { TokenEvent } from "@capauth/core/TokenManager"
import type { Input } from "./BrowserConfig.ts"

/** A token's timeline, local clock ms. Never its value. */
export interface TokenInfo {
  readonly obtainedAt: number
  readonly refreshAt: number
  readonly staleAt: number
  readonly expiresAt: number
  readonly lifetimeMillis: number
}

/** A capauth error as data: the tag picks the class on the page. */
export interface WireError {
  readonly _tag: string
  readonly message: string
  readonly status?: number | undefined
  readonly code?: number | string | undefined
  readonly requestId?: string | undefined
  readonly field?: string | undefined
  readonly reason?: string | undefined
  readonly retryAfterMillis?: number | undefined
}

/** Lifecycle events, as `TokenManager` publishes them, with the error of `Failed` as plain data. */
export type WireEvent =
  | Exclude<TokenEvent, { readonly _tag: "Failed" }>
  | { readonly _tag: "Failed"; readonly error: WireError; readonly cooldownMillis: number }

export type ToWorker =
  | { readonly type: "init"; readonly config?: Input | undefined }
  | {
      readonly type: "fetch"
      readonly id: number
      readonly path: string
      readonly method: string
      readonly headers: ReadonlyArray<readonly [string, string]>
      readonly body: ArrayBuffer | string | undefined
      readonly attribution?: { readonly type?: string | undefined; readonly code: string } | undefined
    }
  | { readonly type: "abort"; readonly id: number }
  | { readonly type: "token"; readonly id: number }
  | { readonly type: "close" }

export type FromWorker =
  | { readonly type: "ready" }
  | { readonly type: "init-error"; readonly error: WireError }
  | {
      readonly type: "response"
      readonly id: number
      readonly status: number
      readonly headers: ReadonlyArray<readonly [string, string]>
      readonly body: ArrayBuffer
    }
  | { readonly type: "token"; readonly id: number; readonly info: TokenInfo }
  | { readonly type: "error"; readonly id: number; readonly error: WireError }
  | { readonly type: "event"; readonly event: WireEvent }

/** Response headers never forwarded to the page (a server echoing credentials must not leak them). */
export const strippedHeaders: ReadonlySet<string> = new Set([
  "x-cap-api-oauth-token",
  "cap-api-access-token",
  "authorization",
  "set-cookie"
])

/** The serialisable fields of an error (any of capauth's, or a plain `Error`). */
export const toWire = (error: unknown): WireError => {
  const e = (typeof error === "object" && error !== null ? error : {}) as Record<string, unknown>
  const pick = <K extends keyof WireError>(k: K, type: string) => (typeof e[k] === type ? { [k]: e[k] } : {})
  return {
    _tag: typeof e._tag === "string" ? e._tag : "Error",
    message: typeof e.message === "string" ? e.message : String(error),
    ...pick("status", "number"),
    ...(typeof e.code === "number" || typeof e.code === "string" ? { code: e.code } : {}),
    ...pick("requestId", "string"),
    ...pick("field", "string"),
    ...pick("reason", "string"),
    ...pick("retryAfterMillis", "number")
  }
}
