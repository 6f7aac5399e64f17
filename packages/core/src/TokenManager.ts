/**
 * The token lifecycle service: obtain, cache, refresh ahead, single flight, compare-and-invalidate, backoff.
 * Generic over a `TokenSource`. Every rule (when to refresh, the windows, jitter, backoff, retries, cooldown,
 * adoption from a store, compare-and-invalidate) is a pure function in `internal/lifecycle.ts`; this module
 * only carries out their decisions: it owns the state, the one flight, the sleeps, the events and the counters.
 *
 * @example
 * ```ts
 * import { TokenManager } from "@capauth/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const tokens = yield* TokenManager.TokenManager
 *   const token = yield* tokens.get            // cached, refreshed ahead, single flight
 *   yield* tokens.invalidate(token)            // only if it is still the current token
 * })
 * ```
 * @module
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import * as Random from "effect/Random"
import type * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { IssuedToken } from "./AccessToken.ts"
import * as AccessToken from "./AccessToken.ts"
import { type AuthError, ConfigError, TransportError } from "./AuthError.ts"
import * as Lifecycle from "./internal/lifecycle.ts"
import type { TokenSource } from "./TokenSource.ts"
import type { Lease, TokenStore, TokenStoreError } from "./TokenStore.ts"

/**
 * What happened to the token, for logs, dashboards and the sample app. Never carries the token value.
 *
 * @since 0.1.0
 * @category models
 */
export type TokenEvent =
  | {
      readonly _tag: "Fetched"
      readonly expiresAt: number
      readonly lifetimeMillis: number
      readonly ahead: boolean
    }
  | { readonly _tag: "Adopted"; readonly expiresAt: number }
  | { readonly _tag: "Invalidated" }
  | {
      readonly _tag: "Retrying"
      readonly attempt: number
      readonly delayMillis: number
      readonly error: AuthError["_tag"]
    }
  | { readonly _tag: "Failed"; readonly error: AuthError; readonly cooldownMillis: number }
  /**
   * A shared (lease-capable) store stopped answering: until it answers again this process makes its own single
   * flight. Published once per outage, with one log warning; `message` never carries a token.
   */
  | { readonly _tag: "StoreUnavailable"; readonly message: string }
  /** The shared store answers again: flights coordinate across processes again. */
  | { readonly _tag: "StoreRecovered" }
  /**
   * A warning: the credential `from` was refused as invalid credentials and the source switched to `to` (a
   * `TokenSource.fallback` over a credential list, e.g. during a rotation). Published once per switch, with the
   * first token obtained under `to`; ids are the sources' non-secret ids.
   */
  | { readonly _tag: "CredentialSwitched"; readonly from: string; readonly to: string }

/**
 * Counters since the manager started.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenStats {
  /** Tokens obtained from the source. */
  readonly fetched: number
  /** Of those, tokens obtained ahead of expiry while the previous one was still served. */
  readonly refreshed: number
  /** Calls answered from the cache with no waiting. */
  readonly reused: number
  /** Compare-and-invalidate calls that did drop the current token. */
  readonly invalidated: number
  /** Flights that ended in an error (after their retries). */
  readonly failed: number
  /** Requests sent to the source, retries included. */
  readonly requests: number
}

/**
 * How token requests are retried within one flight (default 4 attempts, 250 ms doubling, capped at 30 s).
 *
 * @since 0.1.0
 * @category models
 */
export type BackoffPolicy = Lifecycle.BackoffPolicy

/**
 * Options of {@link make} and {@link layer}: the source, and optionally the refresh and backoff policies, the
 * cooldown after a permanent failure, the token timeout and a store shared with other processes. A policy
 * setting that is not finite or out of range (`Lifecycle.policyBounds`) makes `make` die with a `ConfigError`
 * naming it: validate user input first (`CapillaryConfig.make` does).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly source: TokenSource
  readonly refresh?: Partial<AccessToken.RefreshPolicy> | undefined
  readonly backoff?: Partial<BackoffPolicy> | undefined
  /** How long a permanent failure (bad credentials, access denied) is remembered (default 30 s). */
  readonly permanentFailureCooldown?: Duration.Input | undefined
  /**
   * The token timeout: a caller without a usable token waits at most this long for one, across retries and the
   * cooldown of a transient failure (the flight goes on for the next caller). Each request attempt to the source
   * is given up after a third of it (a `TransportError` with reason `Timeout`, retried like any transient
   * failure), so a retry fits inside the caller's wait. Default: none (the source's own timeout; callers then
   * fail at once during a cooldown).
   */
  readonly timeout?: Duration.Input | undefined
  readonly store?: TokenStore | undefined
}

/**
 * What a manager offers: the token (cached, refreshed ahead, one flight at a time), compare-and-invalidate,
 * events and counters.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** A usable token: from the cache at once, or after the one shared flight. */
  readonly get: Effect.Effect<AccessToken.AccessToken, AuthError>
  /** A new token now (joins a flight already running). */
  readonly refresh: Effect.Effect<AccessToken.AccessToken, AuthError>
  /** Drop the cached token only if it is still `token`; true if it was dropped. */
  readonly invalidate: (token: AccessToken.AccessToken | Redacted.Redacted<string>) => Effect.Effect<boolean>
  /** Lifecycle events from the moment the stream runs. */
  readonly events: Stream.Stream<TokenEvent>
  /** A subscription made at once (for the scope's life; read it with `PubSub.take`): no later event is missed. */
  readonly subscribe: Effect.Effect<PubSub.Subscription<TokenEvent>, never, Scope.Scope>
  readonly stats: Effect.Effect<TokenStats>
  /**
   * The cached token if it is fresh now (by the manager's clock), else `undefined`. A synchronous warm path for
   * Promise facades; anything else must go through `get`.
   */
  readonly unsafeFresh: () => AccessToken.AccessToken | undefined
}

/**
 * The service tag.
 *
 * @since 0.1.0
 * @category services
 */
export class TokenManager extends Context.Service<TokenManager, Service>()("@capauth/core/TokenManager") {}

/**
 * The lifecycle counters, for Prometheus or OpenTelemetry exporters.
 *
 * @since 0.1.0
 * @category utils
 */
export const metrics = {
  fetched: /* @__PURE__ */ Metric.counter("capauth_token_fetched_total", {
    description: "tokens obtained from the source"
  }),
  refreshed: /* @__PURE__ */ Metric.counter("capauth_token_refreshed_total", {
    description: "tokens obtained ahead of expiry"
  }),
  invalidated: /* @__PURE__ */ Metric.counter("capauth_token_invalidated_total", {
    description: "tokens dropped after a rejection"
  }),
  failed: /* @__PURE__ */ Metric.counter("capauth_token_failed_total", {
    description: "token flights that failed"
  })
}

type Flight = Deferred.Deferred<AccessToken.AccessToken, AuthError>

/** `effect`, given up after `millis` with a `TransportError` (reason `Timeout`) whose message is `message`. */
const timed = <A>(
  effect: Effect.Effect<A, AuthError>,
  millis: number,
  message: string
): Effect.Effect<A, AuthError> =>
  Effect.timeoutOrElse(effect, {
    duration: Duration.millis(Math.max(0, millis)),
    orElse: () => Effect.fail(new TransportError({ reason: "Timeout", message }))
  })

const formatMillis = (millis: number) => Duration.format(Duration.millis(millis))

const problemOf = (
  field: string,
  millis: number,
  setting: Lifecycle.PolicySetting
): readonly [string, string] | undefined => {
  const problem = Lifecycle.policyProblem(setting, millis, field)
  return problem === undefined ? undefined : [field, problem]
}

/**
 * Build a manager whose background work belongs to the current `Scope`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.gen(function* () {
    const { source, store } = options
    const policy = { ...AccessToken.defaultRefreshPolicy, ...options.refresh }
    const backoff: BackoffPolicy = { ...Lifecycle.defaultBackoffPolicy, ...options.backoff }
    const permanentCooldown =
      options.permanentFailureCooldown === undefined
        ? Lifecycle.defaultPermanentCooldownMillis
        : Duration.toMillis(Duration.fromInputUnsafe(options.permanentFailureCooldown))
    const timeout =
      options.timeout === undefined ? undefined : Duration.toMillis(Duration.fromInputUnsafe(options.timeout))
    const attemptTimeout = timeout === undefined ? undefined : Lifecycle.attemptTimeoutMillis(timeout)
    const invalidPolicy =
      Lifecycle.policiesProblem(
        options.refresh,
        ["refreshAtFraction", "jitterFraction", "expiryMarginMillis"],
        "refresh"
      ) ??
      Lifecycle.policiesProblem(options.backoff, ["maxAttempts", "baseMillis", "maxMillis"], "backoff") ??
      problemOf("permanentFailureCooldown", permanentCooldown, "permanentCooldownMillis") ??
      (timeout === undefined ? undefined : problemOf("timeout", timeout, "timeoutMillis"))
    if (invalidPolicy !== undefined) {
      const [field, message] = invalidPolicy
      return yield* Effect.die(new ConfigError({ field, message }))
    }
    const clock = yield* Clock.Clock
    const scope = yield* Effect.scope
    const events = yield* PubSub.sliding<TokenEvent>(256)
    yield* Effect.addFinalizer(() => PubSub.shutdown(events))

    let state: Lifecycle.State<AccessToken.AccessToken, Flight> = {
      token: undefined,
      flight: undefined,
      failure: undefined
    }
    let served: Effect.Effect<AccessToken.AccessToken> | undefined // Effect.succeed(state.token), reused
    let consecutiveFailures = 0
    /** The source id the last token was obtained under: a change is a credential switch. */
    let knownId = source.id
    const stats = { fetched: 0, refreshed: 0, reused: 0, invalidated: 0, failed: 0, requests: 0 }

    /**
     * The wall clock (lifetimes are shared through stores in it), with rule "clock steps" carried out: a step
     * back moves the cached token and the cooldown back with it.
     */
    let lastWall = clock.currentTimeMillisUnsafe()
    let lastMonotonic = clock.monotonicTimeNanosUnsafe()
    const now = (): number => {
      const wall = clock.currentTimeMillisUnsafe()
      const monotonic = clock.monotonicTimeNanosUnsafe()
      const step = Lifecycle.backwardStepMillis(wall - lastWall, Number(monotonic - lastMonotonic) / 1e6)
      lastWall = wall
      lastMonotonic = monotonic
      if (step !== 0) {
        const { token, failure } = state
        setToken(token === undefined ? undefined : AccessToken.shift(token, step), {
          failure: failure === undefined ? undefined : { ...failure, until: failure.until + step }
        })
      }
      return wall
    }

    /** Replace the cached token (and the pre-built `Effect.succeed` the warm path hands out). */
    const setToken = (
      token: AccessToken.AccessToken | undefined,
      rest?: Partial<Lifecycle.State<AccessToken.AccessToken, Flight>>
    ) => {
      state = { ...state, ...rest, token }
      served = token === undefined ? undefined : Effect.succeed(token)
    }

    /** One request to the source, retried with jittered backoff on transient errors. */
    const fetchWithRetry = (attempt: number): Effect.Effect<IssuedToken, AuthError> =>
      Effect.suspend(() => {
        stats.requests++
        return Effect.flatMap(
          attemptTimeout === undefined
            ? source.fetch
            : timed(
                source.fetch,
                attemptTimeout,
                `token request attempt given up after ${formatMillis(attemptTimeout)} (a third of the token timeout)`
              ),
          (issued) => {
            const problem = AccessToken.unusable(issued)
            return problem === undefined ? Effect.succeed(issued) : Effect.fail(problem)
          }
        )
      }).pipe(
        Effect.withSpan("capauth.token.fetch", {
          attributes: { "capauth.source": source.id, "capauth.attempt": attempt }
        }),
        Effect.catch((error) =>
          Effect.flatMap(Random.next, (r) => {
            const delay = Lifecycle.retryDelay(error, attempt, backoff, r)
            if (delay === undefined) return Effect.fail(error)
            // Sleep until an absolute instant: time that passes while the event is handled still counts.
            const retryAt = now() + delay
            return PubSub.publish(events, {
              _tag: "Retrying",
              attempt,
              delayMillis: delay,
              error: error._tag
            }).pipe(
              Effect.andThen(Effect.suspend(() => Effect.sleep(Math.max(0, retryAt - now())))),
              Effect.andThen(fetchWithRetry(attempt + 1))
            )
          })
        )
      )

    /** The value of the last token this process saw rejected: never adopted back from the store. */
    let rejected: Redacted.Redacted<string> | undefined
    const adoptable = (stored: AccessToken.AccessToken, now: number) =>
      Lifecycle.adoptable(
        stored,
        state.token,
        now,
        rejected !== undefined && AccessToken.sameValue(stored, rejected)
      )

    /** Whether a shared store is in an outage (rule "store outage": one warning per outage, not per call). */
    let storeDown = false
    const noteStore = (error: TokenStoreError | undefined): Effect.Effect<void> =>
      Effect.suspend(() => {
        switch (Lifecycle.outageTransition(storeDown, error === undefined)) {
          case "Warn":
            storeDown = true
            return Effect.andThen(
              Effect.logWarning(
                "capauth: the shared token store is unavailable; this process makes its own single flight until it answers",
                error?.message
              ),
              PubSub.publish(events, { _tag: "StoreUnavailable", message: error?.message ?? "" })
            )
          case "Recovered":
            storeDown = false
            return Effect.andThen(
              Effect.logInfo("capauth: the shared token store answers again"),
              PubSub.publish(events, { _tag: "StoreRecovered" })
            )
          case "None":
            return Effect.void
        }
      })

    /**
     * A store operation whose failure never fails a caller: a shared (lease) store counts outages, any other
     * logs each failure as before. `undefined` when it failed.
     */
    const guarded = <A>(op: Effect.Effect<A, TokenStoreError>, what: string): Effect.Effect<A | undefined> =>
      store?.lease === undefined
        ? Effect.catch(op, (e) =>
            Effect.as(Effect.logWarning(`capauth: token store ${what} failed`, e.message), undefined)
          )
        : Effect.flatMap(Effect.result(op), (r) =>
            Result.isSuccess(r)
              ? Effect.as(noteStore(undefined), r.success)
              : Effect.as(noteStore(r.failure), undefined)
          )

    /** A token another process (or an earlier run) left in the store, newer than ours and still usable. */
    const fromStore = (now: number) =>
      store === undefined
        ? Effect.succeedNone
        : Effect.map(guarded(store.get(source.id), "read"), (t) =>
            Option.filter(t ?? Option.none(), (t) => adoptable(t, now))
          )

    const saveToStore = (token: AccessToken.AccessToken) =>
      store === undefined ? Effect.void : Effect.asVoid(guarded(store.set(source.id, token), "write"))

    /** A new token from the source, kept and stored. */
    const fetchToken = Effect.flatMap(fetchWithRetry(1), (issued) =>
      Effect.map(Random.next, (r) => AccessToken.make(issued, policy, r))
    )
    const fetchNew = Effect.gen(function* () {
      const token = yield* fetchToken
      yield* saveToStore(token)
      return { token, adopted: false }
    })

    /**
     * A shared store is written in the background: this process's callers never wait on it. The write and the
     * release after it are uninterruptible (each bounded by the store's own command timeout), so `close()` right
     * after a fetch neither loses the token nor leaves the lease to expire on its own.
     */
    const fetchThenStoreInBackground = (after: Effect.Effect<unknown> = Effect.void) =>
      Effect.gen(function* () {
        const token = yield* fetchToken
        yield* Effect.forkIn(Effect.uninterruptible(Effect.andThen(saveToStore(token), after)), scope)
        return { token, adopted: false }
      })

    /** One look at the shared store: an adoptable token, or the lease (re-reading once it is ours). */
    const observe = (
      lease: Lease,
      waits: number
    ): Effect.Effect<{
      readonly observation: Lifecycle.FleetObservation
      readonly token?: AccessToken.AccessToken
      readonly fence?: string
    }> =>
      Effect.gen(function* () {
        const key = source.id
        const down = { observation: { _tag: "StoreDown" } as Lifecycle.FleetObservation }
        const read = yield* guarded(store!.get(key), "read")
        if (read === undefined) return down
        if (Option.isSome(read) && adoptable(read.value, now())) {
          return { observation: { _tag: "Stored" } as const, token: read.value }
        }
        const attempt = yield* guarded(lease.acquire(key), "lease")
        if (attempt === undefined) return down
        if (attempt._tag === "Held") {
          return { observation: { _tag: "Held", expiresInMillis: attempt.expiresInMillis, waits } as const }
        }
        // The holder before us may have stored its token and released between our read and our acquire.
        const again = yield* guarded(store!.get(key), "read")
        if (again !== undefined && Option.isSome(again) && adoptable(again.value, now())) {
          yield* guarded(lease.release(key, attempt.fence), "lease release")
          return { observation: { _tag: "Stored" } as const, token: again.value }
        }
        return { observation: { _tag: "Acquired" } as const, fence: attempt.fence }
      })

    /** Fetch while holding the lease: renew it meanwhile, store the token, then release (waking the waiters). */
    const fetchUnderLease = (lease: Lease, fence: string) =>
      Effect.gen(function* () {
        const release = guarded(lease.release(source.id, fence), "lease release")
        const renewEvery = Lifecycle.leaseRenewMillis(lease.ttlMillis)
        const renewing = yield* Effect.forkIn(
          Effect.forever(
            Effect.andThen(Effect.sleep(renewEvery), guarded(lease.renew(source.id, fence), "lease renewal"))
          ),
          scope
        )
        // Store, then release (which wakes the waiters), after the token is ours; a failed flight releases at once.
        return yield* fetchThenStoreInBackground(release).pipe(
          Effect.onError(() => release),
          Effect.ensuring(Fiber.interrupt(renewing))
        )
      })

    /** Rule "fleet flight": adopt, fetch under the lease, wait for the holder, or fall back to our own flight. */
    const fleetObtain = (lease: Lease) =>
      Effect.gen(function* () {
        for (let waits = 0; ; waits++) {
          const seen = yield* observe(lease, waits)
          const decision = Lifecycle.decideFleet(
            seen.observation,
            Lifecycle.defaultFleetPolicy,
            yield* Random.next
          )
          switch (decision._tag) {
            case "Local":
              return yield* fetchThenStoreInBackground()
            case "Adopt":
              return { token: seen.token!, adopted: true }
            case "Fetch":
              return yield* fetchUnderLease(lease, seen.fence!)
            case "Wait": {
              // A failed wait still waits: a broken subscription must not turn the loop into a spin.
              const waited = yield* guarded(
                Effect.as(lease.awaitChange(source.id, decision.millis), true),
                "wait"
              )
              if (waited === undefined) yield* Effect.sleep(decision.millis)
            }
          }
        }
      })

    /** Adopt a stored token or fetch one (across processes when the store has a lease). */
    const obtain = Effect.suspend(() => {
      if (store?.lease !== undefined) return fleetObtain(store.lease)
      return Effect.flatMap(fromStore(now()), (stored) =>
        Option.isSome(stored) ? Effect.succeed({ token: stored.value, adopted: true }) : fetchNew
      )
    })

    /** The flight: adopt a stored token or fetch one, then record the outcome before waking the waiters. */
    const flight = (deferred: Flight): Effect.Effect<void> =>
      Effect.gen(function* () {
        // Ahead: the previous token is still served meanwhile (until it expires).
        const ahead = state.token !== undefined && now() < state.token.expiresAt
        const { token, adopted } = yield* obtain
        onSuccess(token)
        if (source.id !== knownId) {
          const from = knownId
          knownId = source.id
          yield* PubSub.publish(events, { _tag: "CredentialSwitched", from, to: knownId })
        }
        if (adopted) {
          yield* PubSub.publish(events, { _tag: "Adopted", expiresAt: token.expiresAt })
          return token
        }
        stats.fetched++
        yield* Metric.update(metrics.fetched, 1)
        if (ahead) {
          stats.refreshed++
          yield* Metric.update(metrics.refreshed, 1)
        }
        yield* PubSub.publish(events, {
          _tag: "Fetched",
          expiresAt: token.expiresAt,
          lifetimeMillis: token.lifetimeMillis,
          ahead
        })
        return token
      }).pipe(
        Effect.tapError((error) =>
          Effect.flatMap(Random.next, (r) => {
            consecutiveFailures++
            const cooldown = Lifecycle.cooldownMillis(
              error,
              consecutiveFailures,
              backoff,
              permanentCooldown,
              r
            )
            state = {
              ...state,
              flight: undefined,
              failure: { error, until: now() + cooldown }
            }
            stats.failed++
            return Effect.andThen(
              Metric.update(metrics.failed, 1),
              PubSub.publish(events, { _tag: "Failed", error, cooldownMillis: cooldown })
            )
          })
        ),
        Effect.onExit((exit) => {
          if (state.flight === deferred) state = { ...state, flight: undefined } // interrupted
          return Deferred.done(deferred, exit)
        }),
        Effect.asVoid,
        Effect.ignore
      )

    const onSuccess = (token: AccessToken.AccessToken) => {
      setToken(token, { flight: undefined, failure: undefined })
      consecutiveFailures = 0
    }

    /**
     * Start the one flight (or return the running one). It is forked into the manager's scope, so an
     * interrupted caller cannot cancel it; marking and forking happen uninterruptibly so no flight is lost.
     */
    const startFlight: Effect.Effect<Flight> = Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        if (state.flight !== undefined) return Effect.succeed(state.flight)
        const deferred = Deferred.makeUnsafe<AccessToken.AccessToken, AuthError>()
        state = { ...state, flight: deferred }
        return Effect.as(Effect.forkIn(restore(flight(deferred)), scope), deferred)
      })
    )

    const timedOut =
      timeout === undefined ? "" : `no token within the token timeout (${formatMillis(timeout)})`

    /** Wait for the flight until `deadline` (the caller's token timeout): a hung request never holds it longer. */
    const wait = (flight: Flight, deadline: number): Effect.Effect<AccessToken.AccessToken, AuthError> =>
      timeout === undefined
        ? Deferred.await(flight)
        : timed(Deferred.await(flight), deadline - now(), timedOut)

    /**
     * Rules "what a caller gets" and "waiting out a cooldown", carried out; `deadline` (ms) ends the caller's wait
     * (set on its first look), across a cooldown and the flight after it.
     */
    const acquire = (deadline: number | undefined): Effect.Effect<AccessToken.AccessToken, AuthError> =>
      Effect.suspend(() => {
        const at = now()
        const until = deadline ?? at + (timeout ?? 0)
        const decision = Lifecycle.decide(state, at, until - at)
        switch (decision._tag) {
          case "Serve":
            stats.reused++
            return served ?? Effect.succeed(decision.token)
          case "ServeAndRefresh":
            stats.reused++
            return Effect.as(startFlight, decision.token)
          case "Join":
            return wait(decision.flight, until)
          case "StartAndJoin":
            return Effect.flatMap(startFlight, (flight) => wait(flight, until))
          case "AwaitCooldown":
            return Effect.andThen(Effect.sleep(decision.millis), acquire(until))
          case "Fail":
            return Effect.fail(decision.error)
        }
      })

    const get: Effect.Effect<AccessToken.AccessToken, AuthError> = acquire(undefined)

    const refresh = Effect.suspend(() => {
      const at = now()
      const deadline = at + (timeout ?? 0)
      const decision = Lifecycle.decideRefresh(state, at)
      switch (decision._tag) {
        case "Join":
          return wait(decision.flight, deadline)
        case "StartAndJoin":
          return Effect.flatMap(startFlight, (flight) => wait(flight, deadline))
        case "Fail":
          return Effect.fail(decision.error)
      }
    })

    const invalidate = (token: AccessToken.AccessToken | Redacted.Redacted<string>) =>
      Effect.suspend(() => {
        const dropped = state.token
        if (dropped === undefined || !Lifecycle.shouldInvalidate(dropped, token, AccessToken.sameValue)) {
          return Effect.succeed(false)
        }
        setToken(undefined)
        rejected = dropped.value
        stats.invalidated++
        return Effect.all([
          Metric.update(metrics.invalidated, 1),
          PubSub.publish(events, { _tag: "Invalidated" }),
          store === undefined ? Effect.void : guarded(store.remove(source.id, dropped.value), "delete")
        ]).pipe(Effect.as(true))
      })

    return {
      get,
      refresh,
      invalidate,
      events: Stream.fromPubSub(events),
      subscribe: PubSub.subscribe(events),
      stats: Effect.sync(() => ({ ...stats })),
      unsafeFresh: () => {
        const token = state.token
        if (token === undefined || now() >= token.refreshAt) return undefined
        stats.reused++
        return token
      }
    } satisfies Service
  })

/**
 * A layer for a manager; the source may need services (e.g. `HttpClient` for `TokenEndpoint.source`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <R>(
  options: Omit<Options, "source"> & { readonly source: TokenSource | Effect.Effect<TokenSource, never, R> }
): Layer.Layer<TokenManager, never, R> =>
  Layer.effect(
    TokenManager,
    Effect.flatMap(
      Effect.isEffect(options.source) ? options.source : Effect.succeed(options.source),
      (source) => make({ ...options, source })
    )
  )
