import { SAMPLE_CLIENT, type Simulator } from "@capauth/testkit"
import { FetchHttpClient } from "@effect/platform"
import { Effect, Either, Redacted } from "effect"
import { Credentials, TokenEndpoint, TokenManager } from "../src/index.ts"

let counter = 0

/** Register a fresh API client on the simulator so each test counts only its own token requests. */
export const freshClient = (sim: Simulator, overrides: Partial<typeof SAMPLE_CLIENT> = {}) => {
  const key = `client-${++counter}-${Math.random().toString(36).slice(2, 8)}`
  sim.addClient({ ...SAMPLE_CLIENT, key, secret: `${key}-secret`, ...overrides })
  return {
    key,
    secret: overrides.secret ?? `${key}-secret`,
    requests: () => sim.stats().tokenRequests[key] ?? 0
  }
}

/** A TokenManager over the simulator's real token endpoint (FetchHttpClient), in the test's scope. */
export const managerFor = (
  sim: Simulator,
  credentials: { key: string; secret: string },
  options: Omit<TokenManager.Options, "source"> = {}
) =>
  Effect.gen(function* () {
    const client = Either.getOrThrow(
      Credentials.oauthClient({ key: credentials.key, secret: Redacted.make(credentials.secret) })
    )
    const source = yield* TokenEndpoint.source(new URL(sim.url), client)
    return yield* TokenManager.make({ ...options, source })
  }).pipe(Effect.provide(FetchHttpClient.layer))
