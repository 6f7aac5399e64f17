/** `token`: obtain a token and show its timeline and claims; the value only with `--reveal`. */
import * as Redacted from "effect/Redacted"
import { UsageError } from "../Failure.ts"
import { type Io, note } from "../Io.ts"
import { connect, withTarget } from "../Target.ts"

/** The core prefers key/secret when both kinds are set; a till alone means Basic auth. */
const usesTill = (env: Io["env"]) =>
  (env.CAPILLARY_TILL_ID ?? "").trim() !== "" && (env.CAPILLARY_CLIENT_KEY ?? "").trim() === ""

import * as Terminal from "../Terminal.ts"

export interface TokenOptions {
  readonly reveal: boolean
  readonly json: boolean
  readonly simulator: boolean
}

export const run = async (options: TokenOptions, io: Io): Promise<void> => {
  const target = await connect({ forceSimulator: options.simulator, note: note(io), env: io.env })
  if (target.mode === "cluster" && usesTill(io.env)) {
    await target.close()
    throw new UsageError(
      "CAPILLARY_TILL_ID selects Basic auth, which has no token: set CAPILLARY_CLIENT_KEY and CAPILLARY_CLIENT_SECRET (or use call)",
      "token"
    )
  }
  try {
    const info = await withTarget(target, target.cap.token())
    const value = options.reveal ? Redacted.value(info.value) : undefined
    if (options.json) {
      const out = {
        baseUrl: target.baseUrl,
        target: target.mode,
        obtainedAt: info.obtainedAt.toISOString(),
        refreshAt: info.refreshAt.toISOString(),
        expiresAt: info.expiresAt.toISOString(),
        remainingSeconds: Math.floor(info.remainingMillis / 1000),
        claims: info.claims ?? null,
        ...(value === undefined ? {} : { value })
      }
      io.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
      return
    }
    const t = Terminal.make(io.stdout, io.env)
    const where =
      target.mode === "simulator" ? `${target.baseUrl} ${t.dim("(embedded simulator)")}` : target.baseUrl
    const rows: string[][] = [
      ["from", where],
      ["obtained", Terminal.clockTime(info.obtainedAt)],
      [
        "expires",
        `${Terminal.clockTime(info.expiresAt)} ${t.dim(`(in ${Terminal.duration(info.remainingMillis)})`)}`
      ],
      [
        "refresh at",
        `${Terminal.clockTime(info.refreshAt)} ${t.dim("(renewed ahead of expiry from then on)")}`
      ]
    ]
    for (const line of Terminal.columns(
      rows.map(([k, v]) => [t.bold(k ?? ""), v ?? ""]),
      ""
    ))
      t.line(line)
    if (info.claims === undefined) {
      t.line(`${t.bold("claims")}      ${t.dim("none: the token is not a JWT")}`)
    } else {
      t.line(t.bold("claims"))
      for (const line of Terminal.columns(Terminal.claimRows(info.claims), "  ")) t.line(line)
    }
    t.line(
      value === undefined
        ? `${t.bold("value")}       ${t.dim("hidden (pass --reveal to print it)")}`
        : `${t.bold("value")}       ${value}`
    )
  } finally {
    await target.close()
  }
}
