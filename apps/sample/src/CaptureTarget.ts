/**
 * Where the Capture parts of the sample go (`capture`, the Capture page of `web`): the Capture app named by the
 * `CAPTURE_*` environment variables, or, when none is set, the Capture side of a simulator started in this
 * process (`sim.captureUrl`, the sample client and user).
 */
import * as CaptureConfig from "@capauth/core/CaptureConfig"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"

type Env = Readonly<Record<string, string | undefined>>

/** What a Capture client of the sample is built from. The secret stays Redacted until it is used. */
export interface CaptureSettings {
  readonly baseUrl: string
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  readonly clientAuth: CaptureConfig.ClientAuth
}

/** Whether any `CAPTURE_*` variable the client reads is set: then the user means a real Capture app. */
export const wantsCapture = (env: Env): boolean =>
  Object.keys(CaptureConfig.envVars).some((name) => (env[name]?.trim() ?? "") !== "")

/** The `CAPTURE_*` variables, checked: a missing or invalid one throws the `ConfigError` naming it (exit 2). */
export const fromEnv = (env: Env): CaptureSettings => {
  const parsed = CaptureConfig.fromEnv(env)
  if (Result.isFailure(parsed)) throw parsed.failure
  const config = parsed.success
  return {
    baseUrl: config.baseUrl.href.replace(/\/+$/, ""),
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    clientAuth: config.clientAuth
  }
}

/** The simulator's sample Capture client at `captureUrl`. */
export const simulatorSettings = async (captureUrl: string): Promise<CaptureSettings> => {
  const { SAMPLE_CAPTURE_CLIENT } = await import("@capauth/testkit")
  return {
    baseUrl: captureUrl,
    clientId: SAMPLE_CAPTURE_CLIENT.clientId,
    clientSecret: Redacted.make(SAMPLE_CAPTURE_CLIENT.clientSecret),
    clientAuth: "basic"
  }
}
