/**
 * What the fetch-based Promise facades (`PromiseClient`, `CustomerPromiseClient`) share: the caller's abort, typed
 * send failures, one-shot bodies, and rebuilding a response over the bytes the server sent.
 */
import { isAuthError, TransportError } from "../AuthError.ts"
import { isJsonDocument } from "./classify.ts"

/** The caller's own abort: its `signal.reason` (an `AbortError` unless they chose another), passed through as is. */
export const callerAbort = (signal: AbortSignal | null | undefined): unknown =>
  signal?.aborted === true ? signal.reason : undefined

/** A failure of `fetch` itself (no response): the caller's abort as is, anything else a `TransportError`. */
export const sendFailure = (error: unknown, signal: AbortSignal | null | undefined): unknown => {
  if (isAuthError(error)) return error
  const aborted = callerAbort(signal)
  if (aborted !== undefined) return aborted
  const name = (error as { name?: unknown } | null)?.name
  return name === "AbortError" || name === "TimeoutError"
    ? new TransportError({
        reason: name === "AbortError" ? "Aborted" : "Timeout",
        message: `request ${String(name)}`
      })
    : new TransportError({
        reason: "Network",
        message: `request failed: ${String((error as Error)?.message ?? error).slice(0, 120)}`
      })
}

/** Settle with `promise`, or at once with the caller's abort: the shared work behind `promise` goes on. */
export const abortable = <A>(promise: Promise<A>, signal: AbortSignal | null | undefined): Promise<A> => {
  if (signal === null || signal === undefined) return promise
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<A>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener("abort", onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort)
        reject(error)
      }
    )
  })
}

/**
 * A body that can be read only once (a stream, an async iterable such as a Node `Readable`): it is sent once and
 * never replayed; a 498 on it is a `TokenExpired` saying so. Everything else fetch accepts is replayable.
 */
export const isOneShot = (body: unknown): boolean =>
  typeof body === "object" &&
  body !== null &&
  (body instanceof ReadableStream ||
    Symbol.asyncIterator in body ||
    typeof (body as { pipe?: unknown }).pipe === "function")

/**
 * Cancel a body that will never be read, without waiting for the cancel to settle. A fetch may hand back one
 * branch of a `tee()`d body (Next.js memoizes GET responses that way and keeps the other branch): cancelling one
 * branch settles only once the other is cancelled or read to the end, which may be never.
 */
export const release = (response: Response): void => {
  response.body?.cancel().catch(() => undefined)
}

/** Statuses whose responses carry no body (a `Response` cannot be built with one). */
export const nullBodyStatuses = new Set([101, 103, 204, 205, 304])

/** Whether a response's body is a JSON document (`classify.isJsonDocument`), the only kind looked into. */
export const isJson = (response: Response) => isJsonDocument(response.headers.get("content-type"))

/** The same response (status, headers, url) over `body`: the bytes the server sent, read or still streaming. */
export const withBody = (response: Response, body: BodyInit): Response => {
  const rebuilt = new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers
  })
  return Object.defineProperties(rebuilt, {
    url: { value: response.url },
    redirected: { value: response.redirected }
  })
}
