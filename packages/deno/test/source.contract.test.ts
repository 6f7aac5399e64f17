/**
 * The source contract (`@capauth/testkit/contract`) run against `TokenEndpoint.source` over Deno's HTTP client
 * (`DenoCapillary.httpLayer`, the runtime's `fetch`): the path every Deno token request takes.
 */
import { AuthError, Credentials, TokenEndpoint } from "@capauth/core"
import { sourceContract } from "@capauth/testkit/contract"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { DenoCapillary } from "../mod.ts"

sourceContract<Redacted.Redacted<string>>({
  // Ops and resources are sanitized: a test that leaves a timer or a socket open fails.
  test: (name, fn) => Deno.test({ name, fn, sanitizeOps: true, sanitizeResources: true }),
  makeSource: async ({ url, key, secret, timeoutMillis }) => {
    const runtime = ManagedRuntime.make(DenoCapillary.httpLayer)
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
  inspect: (value) => Deno.inspect(value, { depth: 10 })
})
