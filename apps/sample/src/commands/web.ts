/** `web`: serve the browser demo (apps/sample/src/web/server.ts) and print its URL until Ctrl-C. */
import { CapillaryConfig } from "@capauth/core"
import {
  SAMPLE_AUTH_ENGINE_BRAND,
  SAMPLE_AUTH_ENGINE_USER,
  SAMPLE_CAPTURE_USER,
  SAMPLE_CLIENT,
  type Simulator
} from "@capauth/testkit"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as CaptureTarget from "../CaptureTarget.ts"
import { UsageError, WebDemoMissing } from "../Failure.ts"
import { type Io, note } from "../Io.ts"
import { clusterUrl, embeddedSimulator, wantsCluster } from "../Target.ts"

/** What `src/web/server.ts` exports (written by the browser engineer). */
interface WebDemoModule {
  readonly startWebDemo: (options: {
    readonly port?: number
    readonly baseUrl: string
    readonly credentials: { readonly key: string; readonly secret: string }
    readonly attribution?: { readonly type?: string | undefined; readonly code: string } | undefined
    readonly capture?: {
      readonly baseUrl: string
      readonly clientId: string
      readonly clientSecret: Redacted.Redacted<string>
      readonly clientAuth: CaptureTarget.CaptureSettings["clientAuth"]
      readonly uuid?: string | undefined
    }
    readonly authEngine?: {
      readonly baseUrl: string
      readonly gatewayUrl: string
      readonly brand: string
      readonly mobile?: string | undefined
      readonly simulator?: Simulator["authEngine"] | undefined
    }
  }) => Promise<{ readonly url: string; readonly close: () => Promise<void> }>
}

const load = async (): Promise<WebDemoModule> => {
  const specifier = "../web/server.ts" // not a literal import: the module may not exist in this checkout
  try {
    const module = (await import(specifier)) as Partial<WebDemoModule>
    if (typeof module.startWebDemo !== "function") {
      throw new WebDemoMissing("apps/sample/src/web/server.ts does not export startWebDemo")
    }
    return module as WebDemoModule
  } catch (error) {
    if (
      (error as { code?: unknown }).code === "ERR_MODULE_NOT_FOUND" &&
      String(error).includes("server.ts")
    ) {
      throw new WebDemoMissing(
        "the browser demo is not in this checkout (apps/sample/src/web/server.ts is missing)"
      )
    }
    throw error
  }
}

export interface WebOptions {
  readonly port: number | undefined
  /** The user the Capture page's "Sign in" opens a session for (default: the simulator's sample user). */
  readonly captureUuid: string | undefined
  readonly simulator: boolean
}

/** Starts the demo and resolves once the user stops it (SIGINT / SIGTERM). */
export const run = async (options: WebOptions, io: Io): Promise<void> => {
  const { startWebDemo } = await load()
  const useCluster = !options.simulator && wantsCluster(io.env)
  // Checked before anything starts: a bad CAPTURE_* variable is a ConfigError (exit 2).
  const captureFromEnv =
    !options.simulator && CaptureTarget.wantsCapture(io.env) ? CaptureTarget.fromEnv(io.env) : undefined
  const closers: Array<() => Promise<void>> = []
  let sim: Simulator | undefined
  const simulator = async () => {
    if (sim === undefined) {
      const started = await embeddedSimulator()
      sim = started
      closers.push(() => started.close())
    }
    return sim
  }
  const why = options.simulator ? "--simulator given" : "no CAPILLARY_* credentials in the environment"
  try {
    let baseUrl: string
    let credentials: { readonly key: string; readonly secret: string }
    let attribution: { readonly type?: string | undefined; readonly code: string } | undefined
    if (useCluster) {
      baseUrl = clusterUrl(io.env).origin
      const input = CapillaryConfig.inputFromEnv((name) => io.env[name])
      if (Result.isFailure(input)) throw input.failure
      const checked = CapillaryConfig.make(input.success)
      if (Result.isFailure(checked)) throw CapillaryConfig.blameEnv(checked.failure)
      const given = input.success.credentials
      if (given === undefined || !("key" in given)) {
        throw new UsageError(
          "web needs OAuth credentials (CAPILLARY_CLIENT_KEY and CAPILLARY_CLIENT_SECRET): a till has no token to broker",
          "web"
        )
      }
      credentials = {
        key: given.key,
        secret: typeof given.secret === "string" ? given.secret : Redacted.value(given.secret)
      }
      attribution = input.success.attribution
    } else {
      const { url } = await simulator()
      note(io)(`${why}: using the embedded simulator at ${url}`)
      baseUrl = url
      credentials = { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }
      attribution = undefined
    }
    let capture: CaptureTarget.CaptureSettings
    let captureUuid = options.captureUuid
    if (captureFromEnv === undefined) {
      const { captureUrl } = await simulator()
      note(io)(
        `${options.simulator ? "--simulator given" : "no CAPTURE_* credentials in the environment"}: the Capture page uses the embedded simulator at ${captureUrl}`
      )
      capture = await CaptureTarget.simulatorSettings(captureUrl)
      captureUuid ??= SAMPLE_CAPTURE_USER.uuid
    } else {
      capture = captureFromEnv
    }
    // The login page always uses the embedded simulator's Auth Engine (its OTPs are read back, not texted).
    const { authEngineUrl, authEngineGatewayUrl, authEngine } = await simulator()
    note(io)(`the login page uses the embedded simulator's Auth Engine at ${authEngineUrl}`)
    const web = await startWebDemo({
      ...(options.port === undefined ? {} : { port: options.port }),
      baseUrl,
      credentials,
      ...(attribution === undefined ? {} : { attribution }),
      capture: { ...capture, ...(captureUuid === undefined ? {} : { uuid: captureUuid }) },
      authEngine: {
        baseUrl: authEngineUrl,
        gatewayUrl: authEngineGatewayUrl,
        brand: SAMPLE_AUTH_ENGINE_BRAND.name,
        mobile: SAMPLE_AUTH_ENGINE_USER.mobile,
        simulator: authEngine
      }
    })
    closers.unshift(() => web.close())
    io.stdout.write(`browser demo: ${web.url}\n`)
    io.stdout.write(`Capture page: ${web.url}capture.html\n`)
    io.stdout.write(`Login page: ${web.url}login.html\n`)
    note(io)("serving until Ctrl-C")
    await new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve())
      process.once("SIGTERM", () => resolve())
    })
  } finally {
    for (const close of closers) await close().catch(() => undefined)
  }
}
