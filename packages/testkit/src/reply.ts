/**
 * The transport-neutral request and reply the simulator core works on. Adapters turn node:http or
 * web-standard `Request`/`Response` into these, which keeps the core cheap (no stream objects per call).
 */

/** A received request. `headers` have lowercased names. */
export interface SimRequest {
  readonly method: string
  /** Path and query, e.g. `/v1.1/customer/get?format=json`. */
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** What to do with the connection. `reset` and `no-response` need socket access (node server only). */
export type SimOutcome =
  | { readonly kind: "reply"; readonly reply: SimReply; readonly afterwards?: "reset" | "no-response" }
  | { readonly kind: "reset" }
  | { readonly kind: "no-response" }

export interface SimReply {
  status: number
  headers: Record<string, string>
  body: string
}

/** A JSON reply. */
export const json = (status: number, body: unknown, headers: Record<string, string> = {}): SimReply => ({
  status,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body)
})
