/**
 * How the CLI ends on an error: one human line on stderr and an exit code.
 *
 * Exit codes: 0 success, 1 runtime failure (refused credentials, network, an HTTP error status from `call`),
 * 2 usage or configuration error (bad flags, missing or invalid `CAPILLARY_*` variables).
 */
import * as AuthError from "@capauth/core/AuthError"

export const ExitCode = { ok: 0, failure: 1, usage: 2 } as const

/** A command-line mistake: wrong command, flag or argument. */
export class UsageError extends Error {
  override readonly name = "UsageError"
  constructor(
    message: string,
    /** The command whose help to point at. */
    readonly command?: string
  ) {
    super(message)
  }
}

/** A failure already explained to the user (e.g. an HTTP error status printed by `call`). */
export class Reported extends Error {
  override readonly name = "Reported"
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`)
  }
}

/** The optional browser demo module is absent. */
export class WebDemoMissing extends Error {
  override readonly name = "WebDemoMissing"
}

/** The one line to print and the exit code for any thrown value. Never includes a secret: capauth's errors carry none. */
export const describe = (
  error: unknown,
  program: string
): { readonly line: string; readonly exitCode: number } => {
  if (error instanceof UsageError) {
    const help = error.command === undefined ? `${program} --help` : `${program} ${error.command} --help`
    return { line: `${program}: ${error.message} (see ${help})`, exitCode: ExitCode.usage }
  }
  if (AuthError.isAuthError(error)) {
    const where = error.requestId === undefined ? "" : ` [request id ${error.requestId}]`
    return {
      line: `${error._tag}: ${oneLine(error.message)}${where} → ${error.action}`,
      exitCode: error._tag === "ConfigError" ? ExitCode.usage : ExitCode.failure
    }
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : `Error: ${String(error)}`
  return { line: `${program}: unexpected ${oneLine(message)}`, exitCode: ExitCode.failure }
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, " ")
