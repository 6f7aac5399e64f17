/**
 * The source contract (`@capauth/testkit/contract`) run against `TokenEndpoint.source` over Node's HTTP client
 * (`NodeCapillary.httpLayer`, undici): the path every Node token request takes.
 */
import { inspect } from "node:util"
import { AuthError, Credentials, TokenEndpoint } from "@capauth/core"
import { sourceContract } from "@capauth/testkit/contract"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { describe, it } from "vitest"
import { NodeCapillary } from "../src/index.ts"

describe("TokenEndpoint.source over NodeCapillary.httpLayer: the source contract", () => {
  sourceContract<Redacted.Redacted<string>>({
    test: (name, fn) => void it(name, fn),
    makeSource: async ({ url, key, secret, timeoutMillis }) => {
      const runtime = ManagedRuntime.make(NodeCapillary.httpLayer)
      const client = Result.getOrThrow(Credentials.oauthClient({ key, secret: Redacted.make(secret) }))
      const source = await runtime.runPromise(
        TokenEndpoint.source(new URL(url), client, { timeout: timeoutMillis })
      )
      return {
        source: { id: source.id, fetch: () => runtime.runPromise(source.fetch) },
        close: () => runtime.dispose()
      }
    },
    redacted: Redacted,
    isTransient: (error) => AuthError.isAuthError(error) && AuthError.isTransient(error),
    inspect: (value) => inspect(value, { depth: 10 })
  })
})
