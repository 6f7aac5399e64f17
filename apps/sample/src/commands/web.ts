/** `web`: serve the browser demo (apps/sample/src/web/server.ts) and print its URL until Ctrl-C. */
import { CapillaryConfig } from "@capauth/core"
import { SAMPLE_CLIENT } from "@capauth/testkit"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
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
  readonly simulator: boolean
}

/** Starts the demo and resolves once the user stops it (SIGINT / SIGTERM). */
export const run = async (options: WebOptions, io: Io): Promise<void> => {
  const { startWebDemo } = await load()
  const useCluster = !options.simulator && wantsCluster(io.env)
  const closers: Array<() => Promise<void>> = []
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
      const sim = await embeddedSimulator()
      closers.push(() => sim.close())
      note(io)(
        `${options.simulator ? "--simulator given" : "no CAPILLARY_* credentials in the environment"}: using the embedded simulator at ${sim.url}`
      )
      baseUrl = sim.url
      credentials = { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }
      attribution = undefined
    }
    const web = await startWebDemo({
      ...(options.port === undefined ? {} : { port: options.port }),
      baseUrl,
      credentials,
      ...(attribution === undefined ? {} : { attribution })
    })
    closers.unshift(() => web.close())
    io.stdout.write(`browser demo: ${web.url}\n`)
    note(io)("serving until Ctrl-C")
    await new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve())
      process.once("SIGTERM", () => resolve())
    })
  } finally {
    for (const close of closers) await close().catch(() => undefined)
  }
}
