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
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import * as Random from "effect/Random"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { IssuedToken } from "./AccessToken.ts"
import * as AccessToken from "./AccessToken.ts"
import type { AuthError } from "./AuthError.ts"
import * as Lifecycle from "./internal/lifecycle.ts"
import type { TokenSource } from "./TokenSource.ts"
import type { TokenStore } from "./TokenStore.ts"

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
 * cooldown after a permanent failure and a store shared with other processes.
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
   * The cached token if it is fresh at `now` (ms), else `undefined`. A synchronous warm path for Promise
   * facades; anything else must go through `get`.
   */
  readonly unsafeFresh: (now: number) => AccessToken.AccessToken | undefined
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
    const stats = { fetched: 0, refreshed: 0, reused: 0, invalidated: 0, failed: 0, requests: 0 }

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
        return Effect.flatMap(source.fetch, (issued) => {
          const problem = AccessToken.unusable(issued)
          return problem === undefined ? Effect.succeed(issued) : Effect.fail(problem)
        })
      }).pipe(
        Effect.withSpan("capauth.token.fetch", {
          attributes: { "capauth.source": source.id, "capauth.attempt": attempt }
        }),
        Effect.catch((error) =>
          Effect.flatMap(Random.next, (r) => {
            const delay = Lifecycle.retryDelay(error, attempt, backoff, r)
            if (delay === undefined) return Effect.fail(error)
            // Sleep until an absolute instant: time that passes while the event is handled still counts.
            const retryAt = clock.currentTimeMillisUnsafe() + delay
            return PubSub.publish(events, {
              _tag: "Retrying",
              attempt,
              delayMillis: delay,
              error: error._tag
            }).pipe(
              Effect.andThen(
                Effect.suspend(() => Effect.sleep(Math.max(0, retryAt - clock.currentTimeMillisUnsafe())))
              ),
              Effect.andThen(fetchWithRetry(attempt + 1))
            )
          })
        )
      )

    /** A token another process (or an earlier run) left in the store, newer than ours and still usable. */
    const fromStore = (now: number) =>
      store === undefined
        ? Effect.succeedNone
        : store.get(source.id).pipe(
            Effect.map(Option.filter((t) => Lifecycle.adoptable(t, state.token, now))),
            Effect.catch((e) =>
              Effect.as(Effect.logWarning("capauth: token store read failed", e.message), Option.none())
            )
          )

    const saveToStore = (token: AccessToken.AccessToken) =>
      store === undefined
        ? Effect.void
        : Effect.catch(store.set(source.id, token), (e) =>
            Effect.logWarning("capauth: token store write failed", e.message)
          )

    /** The flight: adopt a stored token or fetch one, then record the outcome before waking the waiters. */
    const flight = (deferred: Flight): Effect.Effect<void> =>
      Effect.gen(function* () {
        const ahead = state.token !== undefined && clock.currentTimeMillisUnsafe() < state.token.staleAt
        const stored = yield* fromStore(clock.currentTimeMillisUnsafe())
        if (Option.isSome(stored)) {
          onSuccess(stored.value)
          yield* PubSub.publish(events, { _tag: "Adopted", expiresAt: stored.value.expiresAt })
          return stored.value
        }
        const issued = yield* fetchWithRetry(1)
        const token = AccessToken.make(issued, policy, yield* Random.next)
        onSuccess(token)
        stats.fetched++
        yield* Metric.update(metrics.fetched, 1)
        if (ahead) {
          stats.refreshed++
          yield* Metric.update(metrics.refreshed, 1)
        }
        yield* saveToStore(token)
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
              failure: { error, until: clock.currentTimeMillisUnsafe() + cooldown }
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

    const get: Effect.Effect<AccessToken.AccessToken, AuthError> = Effect.suspend(() => {
      const decision = Lifecycle.decide(state, clock.currentTimeMillisUnsafe())
      switch (decision._tag) {
        case "Serve":
          stats.reused++
          return served ?? Effect.succeed(decision.token)
        case "ServeAndRefresh":
          stats.reused++
          return Effect.as(startFlight, decision.token)
        case "Join":
          return Deferred.await(decision.flight)
        case "StartAndJoin":
          return Effect.flatMap(startFlight, Deferred.await)
        case "Fail":
          return Effect.fail(decision.error)
      }
    })

    const refresh = Effect.suspend(() => {
      const decision = Lifecycle.decideRefresh(state, clock.currentTimeMillisUnsafe())
      switch (decision._tag) {
        case "Join":
          return Deferred.await(decision.flight)
        case "StartAndJoin":
          return Effect.flatMap(startFlight, Deferred.await)
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
        stats.invalidated++
        return Effect.all([
          Metric.update(metrics.invalidated, 1),
          PubSub.publish(events, { _tag: "Invalidated" }),
          store === undefined
            ? Effect.void
            : Effect.catch(store.remove(source.id, dropped.value), (e) =>
                Effect.logWarning("capauth: token store delete failed", e.message)
              )
        ]).pipe(Effect.as(true))
      })

    return {
      get,
      refresh,
      invalidate,
      events: Stream.fromPubSub(events),
      subscribe: PubSub.subscribe(events),
      stats: Effect.sync(() => ({ ...stats })),
      unsafeFresh: (now) => {
        const token = state.token
        if (token === undefined || now >= token.refreshAt) return undefined
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
