/**
 * The source contract (`@capauth/testkit/contract`) run against `TokenEndpoint.source`, Capillary's
 * token/generate over `FetchHttpClient`. What is the endpoint's own (the request it builds, every envelope and
 * status it decodes) is in TokenEndpoint.test.ts.
 */
import { inspect } from "node:util"
import { sourceContract } from "@capauth/testkit/contract"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { describe, it } from "vitest"
import { AuthError, Credentials, TokenEndpoint } from "../src/index.ts"

describe("TokenEndpoint.source: the source contract", () => {
  sourceContract<Redacted.Redacted<string>>({
    test: (name, fn) => void it(name, fn),
    makeSource: async ({ url, key, secret, timeoutMillis }) => {
      const client = Result.getOrThrow(Credentials.oauthClient({ key, secret: Redacted.make(secret) }))
      const source = await Effect.runPromise(
        TokenEndpoint.source(new URL(url), client, { timeout: timeoutMillis }).pipe(
          Effect.provide(FetchHttpClient.layer)
        )
      )
      return {
        source: {
          id: source.id,
          fetch: () => Effect.runPromise(source.fetch)
        }
      }
    },
    redacted: Redacted,
    isTransient: (error) => AuthError.isAuthError(error) && AuthError.isTransient(error),
    inspect: (value) => inspect(value, { depth: 10 })
  })
})
