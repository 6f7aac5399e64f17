/**
 * The token broker on Deno: core's runtime-neutral `TokenBroker` (its handler, statuses and envelope are
 * documented there). `Deno.serve` takes its fetch-style handler as is.
 *
 * @example
 * ```ts
 * import { createCapillaryClient, TokenBroker } from "@capauth/deno"
 *
 * const cap = createCapillaryClient() // CAPILLARY_* from Deno.env
 * const broker = TokenBroker.make({
 *   client: cap,
 *   authorize: (request) => request.headers.get("cookie")?.includes("session=") ?? false // your session check
 * })
 * Deno.serve({ port: 8080 }, broker.fetch)
 * ```
 * @module
 * @since 0.1.0
 */
export {
  /**
   * Build a broker over a client.
   *
   * @since 0.1.0
   * @category constructors
   */
  make,
  type Options,
  /**
   * Request header by which a worker reports the token Capillary refused (its fingerprint, never the token).
   *
   * @since 0.1.0
   * @category constants
   */
  rejectedTokenHeader,
  type TokenBroker
} from "@capauth/core/TokenBroker"
