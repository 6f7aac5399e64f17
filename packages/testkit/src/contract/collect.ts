/**
 * What every contract suite does with failures: it asserts a rejection (or a throw) happened, and keeps each one
 * so its last test can search them all for secrets and tokens.
 */

/** An error as the contracts read it: by `_tag` and fields, never by class (they import no capauth code). */
export type Tagged = Error & {
  readonly _tag?: string
  readonly reason?: string
  readonly field?: string
  readonly excerpt?: string
  readonly status?: number
  readonly code?: number | string
  readonly requestId?: string
  readonly retryAfterMillis?: number
}

/** A failure seen by a suite, with where it was seen. */
interface Collected {
  readonly where: string
  readonly error: unknown
}

/** A collector: `rejection` and `thrown` fail the test when nothing failed, and keep what did in `collected`. */
export const collector = () => {
  const collected: Array<Collected> = []

  /** The rejection of `promise` (collected); fails the test if it resolves. */
  const rejection = async (where: string, promise: PromiseLike<unknown>): Promise<Tagged> => {
    let error: unknown
    try {
      await promise
    } catch (e) {
      error = e
    }
    if (error === undefined) throw new Error(`${where}: expected a rejection, got a value`)
    collected.push({ where, error })
    return error as Tagged
  }

  /** What `f` throws synchronously (collected); fails the test if it returns. */
  const thrown = (where: string, f: () => unknown): Tagged => {
    try {
      f()
    } catch (e) {
      collected.push({ where, error: e })
      return e as Tagged
    }
    throw new Error(`${where}: expected a throw`)
  }

  return { collected, rejection, thrown }
}
