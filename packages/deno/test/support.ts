/** Helpers shared by the suites (not a test file: `deno test` runs only `*.test.ts`). */

import * as Cause from "effect/Cause"
import type * as Exit from "effect/Exit"

/**
 * The typed error of an exit whose cause is exactly one failure (what Effect 3 wrote `cause._tag === "Fail"`;
 * an Effect 4 `Cause` is a flat list of reasons). `undefined` for a success, a defect, an interruption or
 * several reasons.
 */
export const failureOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined => {
  if (exit._tag !== "Failure" || exit.cause.reasons.length !== 1) return undefined
  const [reason] = exit.cause.reasons
  return reason !== undefined && Cause.isFailReason(reason) ? reason.error : undefined
}
