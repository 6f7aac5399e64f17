import { SAMPLE_CLIENT, type Simulator } from "@capauth/testkit"
import { Cause, Effect, type Exit, Redacted, Result } from "effect"
import { FetchHttpClient } from "effect/http"
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
    const client = Result.getOrThrow(
      Credentials.oauthClient({ key: credentials.key, secret: Redacted.make(credentials.secret) })
    )
    const source = yield* TokenEndpoint.source(new URL(sim.url), client)
    return yield* TokenManager.make({ ...options, source })
  }).pipe(Effect.provide(FetchHttpClient.layer))

/**
 * The typed error of an exit whose cause is exactly one failure (what Effect 3 wrote `cause._tag === "Fail"`;
 * an Effect 4 `Cause` is a flat list of reasons). `undefined` for a success, a defect, an interruption or
 * several reasons.
 */
export const soleFailure = <A, E>(exit: Exit.Exit<A, E>): E | undefined => {
  if (exit._tag !== "Failure" || exit.cause.reasons.length !== 1) return undefined
  const reason = exit.cause.reasons[0]!
  return Cause.isFailReason(reason) ? reason.error : undefined
}
