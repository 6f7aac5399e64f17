/**
 * What the request handlers (auth, the token endpoint, the customer routes) need from the simulator, as an
 * interface that {@link SimulatorCore} implements. The handlers depend on this module, never on the core, so
 * the core depends on its handlers and not the reverse.
 */
import type { SimClock } from "./clock.ts"
import type { CustomerStore } from "./customer-store.ts"
import type { TokenSigner } from "./jwt.ts"
import type { Registry, ResolvedClient } from "./registry.ts"
import type { Attribution, AuthFailureSignal, ExpirySignal, TokenRecord } from "./types.ts"

/** Who made an authenticated call. */
export type Principal =
  | {
      readonly kind: "oauth"
      readonly client: ResolvedClient
      readonly name: string
      readonly defaultTill: string
    }
  | { readonly kind: "basic"; readonly tillId: string; readonly name: string; readonly defaultTill: string }

/** The simulator state and hooks the handlers use. */
export interface SimContext {
  readonly registry: Registry
  readonly clock: SimClock
  readonly signer: TokenSigner
  readonly customers: CustomerStore
  /** Revoked token strings. */
  readonly revoked: ReadonlySet<string>
  readonly expirySignal: ExpirySignal
  readonly authFailureSignal: AuthFailureSignal
  readonly tokenErrorStatus: number
  /** When `expireAllTokens` covered this token, the clock time it did so. */
  forcedExpiry(jti: string): number | undefined
  /** Records an issued token. */
  recordToken(record: TokenRecord): void
  /** Records an accepted write and returns its unique id. */
  recordWrite(ctx: RouteContext): string
}

/** What a route handler receives once auth and attribution passed. */
export interface RouteContext {
  readonly core: SimContext
  readonly principal: Principal
  readonly attribution: Attribution
  readonly body: unknown
  readonly query: URLSearchParams
  readonly params: readonly string[]
  readonly path: string
  readonly method: string
}
