/**
 * A Redis connection that never makes a caller wait on Redis: it connects in the background (retrying with
 * backoff while Redis is unreachable), reconnects after a restart, bounds every command with a timeout, and
 * wakes local waiters from a pub/sub channel. Built on `effect/persistence/Redis` over `NodeRedis`
 * (node-redis): `send`, `eval` (cached `EVALSHA`, reloaded after `NOSCRIPT`) and `subscribe` cover what the
 * store needs. What NodeRedis does not do, this module adds: its layer fails at once when Redis is down at
 * start (so it is rebuilt here until it connects), and its default reconnect strategy gives up on a socket
 * timeout (a strategy that always retries is passed instead).
 */

import { TokenStore } from "@capauth/core"
import { NodeRedis } from "@effect/platform-node"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redis from "effect/persistence/Redis"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"

/** Bounds and names of one connection. */
export interface ConnectionOptions {
  readonly url: Redacted.Redacted<string>
  /** The channel every change of a key is published on (the key is the message). */
  readonly channel: string
  /** Every command answers (or fails) within this. */
  readonly commandTimeoutMillis: number
}

export interface Connection {
  /** Run a command on the live client; fails at once while disconnected, and after the timeout. */
  readonly use: <A>(
    what: string,
    f: (redis: Redis.Redis["Service"]) => Effect.Effect<A, Redis.RedisError>
  ) => Effect.Effect<A, TokenStore.TokenStoreError>
  /** Wait for a change of `key` on the channel, or `millis`. Never fails: a missed wake-up is a poll. */
  readonly awaitChange: (key: string, millis: number) => Effect.Effect<void>
  /** Whether the client is connected and subscribed to the channel now (for tests and diagnostics). */
  readonly connected: () => boolean
}

/** `redis://user:password@host:port/db` -> `redis://host:port` (never a password in a message). */
const describeUrl = (url: string): string => {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}`
  } catch {
    return "redis://?"
  }
}

const reconnectDelay = (retries: number) =>
  Math.min(50 * 2 ** retries, 2_000) + Math.floor(Math.random() * 100)

/**
 * Open the connection for the current scope. Returns at once: until Redis answers, every command fails fast
 * (the manager then makes its own single flight).
 */
export const make = (options: ConnectionOptions): Effect.Effect<Connection, never, Scope.Scope> =>
  Effect.gen(function* () {
    const where = describeUrl(Redacted.value(options.url))
    let live: Redis.Redis["Service"] | undefined
    let isOpen: (() => boolean) | undefined
    let subscribed = false
    const waiters = new Map<string, Set<() => void>>()

    const wake = (key: string) => {
      const set = waiters.get(key)
      if (set === undefined) return
      waiters.delete(key)
      for (const resolve of set) resolve()
    }

    /** One client, kept until the scope closes. Fails if Redis does not answer its first connection. */
    const connectOnce = Effect.gen(function* () {
      let ready = false
      const context = yield* Layer.build(
        NodeRedis.layer({
          url: Redacted.value(options.url),
          // Fail fast while disconnected instead of queueing commands until Redis is back.
          disableOfflineQueue: true,
          socket: {
            connectTimeout: Math.max(1_000, options.commandTimeoutMillis * 4),
            // The first connection fails at once (rebuilt below, with backoff); after it, always reconnect.
            reconnectStrategy: (retries: number, cause: Error) => (ready ? reconnectDelay(retries) : cause)
          }
        })
      )
      ready = true
      return {
        redis: Context.get(context, Redis.Redis),
        client: Context.get(context, NodeRedis.NodeRedis).client
      }
    })

    /** Connect, retrying with backoff (capped at 2 s) until Redis answers or the scope closes. */
    const connectLoop = (
      attempt: number
    ): Effect.Effect<Effect.Success<typeof connectOnce>, never, Scope.Scope> =>
      Effect.catch(connectOnce, () =>
        Effect.andThen(
          Effect.sleep(Math.min(100 * 2 ** attempt, 2_000)),
          Effect.suspend(() => connectLoop(attempt + 1))
        )
      )

    const scope = yield* Effect.scope
    yield* Effect.forkIn(
      Effect.gen(function* () {
        const { redis, client } = yield* Effect.provideService(connectLoop(0), Scope.Scope, scope)
        live = redis
        isOpen = () => client.isReady
        // Wake-ups: one subscription, re-made if it ever ends (node-redis re-subscribes after a reconnect).
        yield* Effect.scoped(
          Effect.gen(function* () {
            const queue = yield* redis.subscribe(options.channel)
            subscribed = true
            for (;;) {
              const message = yield* Queue.take(queue)
              wake(message.message)
            }
          })
        ).pipe(
          Effect.catchCause(() =>
            Effect.sync(() => {
              subscribed = false
            })
          ),
          Effect.andThen(Effect.sleep("500 millis")),
          Effect.forever
        )
      }),
      scope
    )
    // Every waiter goes when the scope closes.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const key of [...waiters.keys()]) wake(key)
      })
    )

    const timeout = Duration.millis(options.commandTimeoutMillis)
    const use: Connection["use"] = (what, f) =>
      Effect.suspend(() => {
        if (live === undefined || isOpen?.() === false) {
          return Effect.fail(
            new TokenStore.TokenStoreError({ message: `Redis ${what}: ${where} is not connected` })
          )
        }
        return f(live).pipe(
          Effect.mapError(
            (e) =>
              new TokenStore.TokenStoreError({
                message: `Redis ${what} failed on ${where}: ${e.cause instanceof Error ? e.cause.message : String(e.cause)}`,
                cause: e
              })
          ),
          Effect.timeoutOrElse({
            duration: timeout,
            orElse: () =>
              Effect.fail(
                new TokenStore.TokenStoreError({
                  message: `Redis ${what}: ${where} did not answer within ${options.commandTimeoutMillis} ms`
                })
              )
          })
        )
      })

    const awaitChange = (key: string, millis: number): Effect.Effect<void> =>
      Effect.suspend(() => {
        const woken = Deferred.makeUnsafe<void>()
        const done = () => void Deferred.doneUnsafe(woken, Exit.void)
        let set = waiters.get(key)
        if (set === undefined) {
          set = new Set()
          waiters.set(key, set)
        }
        set.add(done)
        return Effect.raceFirst(Deferred.await(woken), Effect.sleep(Math.max(0, millis))).pipe(
          Effect.ensuring(Effect.sync(() => set.delete(done)))
        )
      })

    return {
      use,
      awaitChange,
      connected: () => live !== undefined && isOpen?.() !== false && subscribed
    } satisfies Connection
  })
