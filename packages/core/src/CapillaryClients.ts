/**
 * Many orgs in one process with bounded memory: a small pool of clients keyed by org. `get(orgKey)` creates the
 * org's client on demand from your factory (each org has its own API client, so its own key, secret and
 * tokens); at most `max` stay open, and the least recently used is closed first. An evicted client is closed
 * only once the work started through it has settled (calls through the pooled client are counted), so eviction
 * never cuts a request short. Two concurrent `get`s of one org create one client.
 *
 * Tokens stay apart however many orgs share a token store: a token is stored under its origin and API key
 * (`TokenSource.id`), never under anything shared. Effect programs that hold one layer per org can use Effect's
 * `RcMap` (`capacity`, `idleTimeToLive`) the same way.
 *
 * @example
 * ```ts
 * import { CapillaryClients } from "@capauth/core"
 *
 * // createCapillaryClient of @capauth/node or @capauth/deno
 * declare const createCapillaryClient: (options: {
 *   cluster: string
 *   credentials: { key: string; secret: string }
 * }) => { fetch(path: string): Promise<Response>; close(): Promise<void> }
 * declare const secrets: { get(org: string): { key: string; secret: string } }
 *
 * const orgs = CapillaryClients.make({
 *   max: 200,
 *   create: (org) => createCapillaryClient({ cluster: "eu", credentials: secrets.get(org) })
 * })
 * const cap = await orgs.get("brand-42")
 * const res = await cap.fetch("/v2/customers/1")
 * await orgs.close() // on shutdown: closes every client
 * ```
 * @module
 * @since 0.1.0
 */

/**
 * What the pool needs of a client: a `close` that stops its background work.
 *
 * @since 0.1.0
 * @category models
 */
export interface Closeable {
  readonly close: () => Promise<void> | void
}

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<C extends Closeable> {
  /** The client of an org, created on its first `get` (e.g. `createCapillaryClient` with that org's credentials). */
  readonly create: (orgKey: string) => C | Promise<C>
  /** At most this many clients stay open (a positive integer). */
  readonly max: number
  /** Called when closing a client fails (default: ignored; the client is dropped either way). */
  readonly onCloseError?: ((orgKey: string, error: unknown) => void) | undefined
}

/**
 * The pool.
 *
 * @since 0.1.0
 * @category models
 */
export interface CapillaryClients<C extends Closeable> {
  /**
   * The org's client, created if it is not open (evicting the least recently used beyond `max`). Calls through
   * it are counted, so eviction closes it only after they settle: calls made in the turn `get` resolves in
   * (`const cap = await orgs.get(org); await cap.fetch(…)`) are always counted; to keep a client across more
   * awaits, use `use`. Its `close` evicts it from the pool.
   */
  readonly get: (orgKey: string) => Promise<C>
  /** `f` with the org's client, which stays open (even if evicted meanwhile) until `f` settles. */
  readonly use: <A>(orgKey: string, f: (client: C) => A | Promise<A>) => Promise<A>
  /** The open orgs, least recently used first. */
  readonly keys: () => ReadonlyArray<string>
  /** How many clients are open. */
  readonly size: () => number
  /** Evict one org now (its client closes once its work settles). */
  readonly evict: (orgKey: string) => Promise<void>
  /** Close every client (each after its work settles); later `get`s fail. Idempotent. */
  readonly close: () => Promise<void>
}

interface Entry<C> {
  readonly key: string
  readonly client: C
  /** The client as handed out: every call through it is counted. */
  view: C
  inFlight: number
  settled: (() => void) | undefined
  closing: Promise<void> | undefined
}

const isThenable = (u: unknown): u is PromiseLike<unknown> =>
  (typeof u === "object" || typeof u === "function") &&
  u !== null &&
  typeof (u as { then?: unknown }).then === "function"

/**
 * Build a pool. Throws a `RangeError` if `max` is not a positive integer.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <C extends Closeable>(options: Options<C>): CapillaryClients<C> => {
  const { create, max } = options
  if (!Number.isInteger(max) || max < 1) {
    throw new RangeError(`CapillaryClients: max must be a positive integer, got ${String(max)}`)
  }
  /** Open clients in least-recently-used order (a Map keeps insertion order; a use re-inserts). */
  const open = new Map<string, Entry<C>>()
  const creating = new Map<string, Promise<Entry<C>>>()
  const closing = new Set<Promise<void>>()
  let closed = false

  /** Count `result` as work of `entry` until it settles. */
  const track = (entry: Entry<C>, result: unknown) => {
    if (!isThenable(result)) return
    entry.inFlight++
    const done = () => {
      entry.inFlight--
      if (entry.inFlight === 0) entry.settled?.()
    }
    result.then(done, done)
  }

  /** Functions reached from the client (its methods, and `ky`'s) count the promises they return. */
  const counted = (entry: Entry<C>, value: object, cache: WeakMap<object, object>): object => {
    const hit = cache.get(value)
    if (hit !== undefined) return hit
    const proxy = new Proxy(value, {
      get: (target, property) => {
        if (property === "close" && target === entry.client) return () => evict(entry.key)
        const inner = Reflect.get(target, property, target) as unknown
        return typeof inner === "function" ? counted(entry, inner as object, cache) : inner
      },
      apply: (target, thisArg, args) => {
        const result = Reflect.apply(target as (...a: Array<unknown>) => unknown, thisArg, args)
        track(entry, result)
        return result
      }
    })
    cache.set(value, proxy)
    return proxy
  }

  const shut = (entry: Entry<C>): Promise<void> => {
    entry.closing ??= (async () => {
      if (entry.inFlight > 0) await new Promise<void>((resolve) => (entry.settled = resolve))
      try {
        await entry.client.close()
      } catch (error) {
        options.onCloseError?.(entry.key, error)
      }
    })()
    const pending = entry.closing
    closing.add(pending)
    void pending.finally(() => closing.delete(pending))
    return pending
  }

  const evict = (key: string): Promise<void> => {
    const entry = open.get(key)
    if (entry === undefined) return Promise.resolve()
    open.delete(key)
    return shut(entry)
  }

  const overflow = () => {
    while (open.size > max) {
      const oldest = open.keys().next().value as string
      void evict(oldest)
    }
  }

  const closedError = () => new Error("CapillaryClients: the pool is closed")

  /** Hold `entry` open until `until` settles. */
  const hold = (entry: Entry<C>, until: PromiseLike<unknown>) => track(entry, until)

  /**
   * Hold `entry` open for the rest of this turn (until the next macrotask), from the moment it is found or
   * created: every caller awaiting it resumes (and starts its calls, which are counted) before it can close.
   */
  const holdThisTurn = (entry: Entry<C>): Entry<C> => {
    hold(entry, new Promise((resolve) => setTimeout(resolve, 0)))
    return entry
  }

  const acquire = async (key: string): Promise<Entry<C>> => {
    if (closed) throw closedError()
    const entry = open.get(key)
    if (entry !== undefined) {
      // Most recently used: to the end of the order.
      open.delete(key)
      open.set(key, entry)
      return holdThisTurn(entry)
    }
    let pending = creating.get(key)
    if (pending === undefined) {
      pending = (async () => {
        const client = await create(key)
        const entry: Entry<C> = {
          key,
          client,
          view: client,
          inFlight: 0,
          settled: undefined,
          closing: undefined
        }
        entry.view = counted(entry, client as object, new WeakMap()) as C
        if (closed) {
          await shut(entry)
          throw closedError()
        }
        open.set(key, holdThisTurn(entry))
        overflow()
        return entry
      })()
      creating.set(key, pending)
      void pending.then(
        () => creating.delete(key),
        () => creating.delete(key)
      )
    }
    return pending
  }

  const get = async (key: string): Promise<C> => (await acquire(key)).view

  const use = async <A>(key: string, f: (client: C) => A | Promise<A>): Promise<A> => {
    const entry = await acquire(key)
    const result = Promise.resolve().then(() => f(entry.view))
    hold(entry, result)
    return result
  }

  return {
    get,
    use,
    keys: () => [...open.keys()],
    size: () => open.size,
    evict,
    close: async () => {
      closed = true
      await Promise.allSettled([...creating.values()])
      await Promise.all([...open.keys()].map(evict))
      await Promise.all([...closing])
    }
  }
}
