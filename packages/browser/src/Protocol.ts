/**
 * The messages between a page and the token worker: plain structured-clone data with request ids. Nothing the
 * worker sends carries the token: responses are status, headers (token headers stripped) and body bytes;
 * token information is its timeline only.
 *
 * @module
 * @since 0.1.0
 */
import * as AuthError from "@capauth/core/AuthError"
import type { TokenEvent } from "@capauth/core/TokenManager"
import type { Input } from "./BrowserConfig.ts"

/**
 * A token's timeline, local clock ms. Never its value.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenInfo {
  readonly obtainedAt: number
  readonly refreshAt: number
  readonly staleAt: number
  readonly expiresAt: number
  readonly lifetimeMillis: number
}

/**
 * A capauth error as data (core's one wire form): the tag picks the class on the page.
 *
 * @since 0.1.0
 * @category models
 */
export type WireError = AuthError.Wire

/**
 * Lifecycle events, as `TokenManager` publishes them, with the error of `Failed` as plain data.
 *
 * @since 0.1.0
 * @category models
 */
export type WireEvent =
  | Exclude<TokenEvent, { readonly _tag: "Failed" }>
  | { readonly _tag: "Failed"; readonly error: WireError; readonly cooldownMillis: number }

/**
 * A message from the page to the worker: the configuration, a request, an abort, a token query or close.
 *
 * @since 0.1.0
 * @category models
 */
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

/**
 * A message from the worker to the page: readiness, a response, token information, an error or a lifecycle
 * event.
 *
 * @since 0.1.0
 * @category models
 */
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

/**
 * Response headers never forwarded to the page (a server echoing credentials must not leak them).
 *
 * @since 0.1.0
 * @category constants
 */
export const strippedHeaders: ReadonlySet<string> = new Set([
  "x-cap-api-oauth-token",
  "cap-api-access-token",
  "authorization",
  "set-cookie"
])

/**
 * The serialisable fields of an error (any of capauth's, or a plain `Error`).
 *
 * @since 0.1.0
 * @category codecs
 */
export const toWire = AuthError.toWire
