/**
 * What a caller got back, judged from outside: accepted, a typed capauth error (an `AuthError` tag), an Effect
 * `HttpClientError` (typed, but not capauth's), another HTTP answer, or an untyped failure (a defect).
 */
import { AuthError } from "@capauth/core"

export type Outcome =
  | { readonly kind: "accepted" }
  | { readonly kind: "typed"; readonly tag: string }
  | { readonly kind: "http-client-error"; readonly reason: string }
  | { readonly kind: "status"; readonly status: number }
  | { readonly kind: "untyped"; readonly name: string; readonly message: string }

/** A rejection or failure, as a caller sees it. */
export const outcomeOfError = (error: unknown): Outcome => {
  if (AuthError.isAuthError(error)) return { kind: "typed", tag: error._tag }
  if (typeof error === "object" && error !== null && "_tag" in error && error._tag === "HttpClientError") {
    const reason = (error as { reason?: { _tag?: unknown } }).reason?._tag
    return { kind: "http-client-error", reason: String(reason) }
  }
  const e = error as { name?: unknown; message?: unknown } | null
  return { kind: "untyped", name: String(e?.name ?? typeof error), message: String(e?.message ?? error) }
}

/** Counts by a key. */
export class Tally {
  readonly counts = new Map<string, number>()
  add(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n)
  }
  get(key: string): number {
    return this.counts.get(key) ?? 0
  }
  total(): number {
    let n = 0
    for (const v of this.counts.values()) n += v
    return n
  }
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)))
  }
}

export const keyOf = (o: Outcome): string =>
  o.kind === "accepted"
    ? "accepted"
    : o.kind === "typed"
      ? `typed:${o.tag}`
      : o.kind === "http-client-error"
        ? `HttpClientError:${o.reason}`
        : o.kind === "status"
          ? `status:${o.status}`
          : `untyped:${o.name}`

/** The q-quantile (0..1) of `values` (sorted in place). */
export const quantile = (values: Array<number>, q: number): number => {
  if (values.length === 0) return 0
  values.sort((a, b) => a - b)
  return values[Math.min(values.length - 1, Math.floor(q * values.length))]!
}
