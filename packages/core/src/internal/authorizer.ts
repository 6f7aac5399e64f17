/**
 * How a request gets its credentials, shared by the Effect middleware and the Promise facade: a token from the
 * `TokenManager` (renewable: a rejection drops exactly that token and asks for another) or a fixed Basic header.
 */
import * as Effect from "effect/Effect"
import type { AccessToken } from "../AccessToken.ts"
import type { AuthError } from "../AuthError.ts"
import * as AuthHeaders from "../AuthHeaders.ts"
import type { CapillaryConfig } from "../CapillaryConfig.ts"
import type { Till } from "../Credentials.ts"
import type { Service as TokenManager } from "../TokenManager.ts"

export interface Authorized {
  readonly headers: Record<string, string>
  /** The token these headers carry; undefined for Basic. */
  readonly token: AccessToken | undefined
}

/**
 * Which attribution headers to send: `undefined` for the configured default, an attribution to override it,
 * `null` for none (the request carries its own).
 */
export type AttributionChoice = AuthHeaders.Attribution | null | undefined

export interface Authorizer {
  readonly authorize: (attribution: AttributionChoice) => Effect.Effect<Authorized, AuthError>
  /** Synchronous warm path: headers if a fresh token is cached (or Basic), else undefined. */
  readonly unsafeAuthorize: (attribution: AttributionChoice) => Authorized | undefined
  readonly invalidate: (authorized: Authorized) => Effect.Effect<void>
  /** Whether a rejection can be cured by fresh credentials (OAuth yes, Basic no). */
  readonly renewable: boolean
}

/** The settings of a client that do not depend on where credentials come from. */
export type Settings = Pick<
  CapillaryConfig,
  "baseUrl" | "attribution" | "legacyTillHeader" | "mapForbidden"
> &
  Partial<Pick<CapillaryConfig, "crossOriginRedirect">>

export const make = (config: CapillaryConfig, tokens: TokenManager): Authorizer =>
  config.credentials._tag === "Till" ? basic(config, config.credentials) : oauth(config, tokens)

const chosen = (config: Settings, attribution: AttributionChoice) =>
  attribution === null ? undefined : (attribution ?? config.attribution)

export const basic = (config: Settings, till: Till): Authorizer => {
  const options: AuthHeaders.Options = { legacyTillHeader: config.legacyTillHeader }
  const authorization = AuthHeaders.basicAuthorization(till)
  const headersFor = (attribution: AttributionChoice): Authorized => ({
    headers: AuthHeaders.basic(authorization, chosen(config, attribution), options),
    token: undefined
  })
  return {
    authorize: (attribution) => Effect.sync(() => headersFor(attribution)),
    unsafeAuthorize: headersFor,
    invalidate: () => Effect.void,
    renewable: false
  }
}

export const oauth = (config: Settings, tokens: TokenManager): Authorizer => {
  const options: AuthHeaders.Options = { legacyTillHeader: config.legacyTillHeader }
  const withToken = (token: AccessToken, attribution: AttributionChoice): Authorized => ({
    headers: AuthHeaders.oauth(token.value, chosen(config, attribution), options),
    token
  })
  return {
    authorize: (attribution) => Effect.map(tokens.get, (token) => withToken(token, attribution)),
    unsafeAuthorize: (attribution) => {
      const token = tokens.unsafeFresh()
      return token === undefined ? undefined : withToken(token, attribution)
    },
    invalidate: (authorized) =>
      authorized.token === undefined ? Effect.void : Effect.asVoid(tokens.invalidate(authorized.token)),
    renewable: true
  }
}
