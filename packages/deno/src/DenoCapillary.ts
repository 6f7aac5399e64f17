/**
 * Layers wiring `@capauth/core` to Deno: token requests over the global `fetch` (`FetchHttpClient.layer`),
 * config from `Deno.env` through Effect's `Config` and a `ConfigProvider` that reads each variable by name, so
 * `--allow-env=<the nine names>` is enough, and a refused read becomes a `ConfigError` that says which flag
 * to add.
 *
 * @example
 * ```ts
 * import { DenoCapillary } from "@capauth/deno"
 * import { CapillaryClient } from "@capauth/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.flatMap(CapillaryClient.CapillaryClient, (client) => client.get("/v2/customers/1"))
 * await Effect.runPromise(Effect.scoped(Effect.provide(program, DenoCapillary.layerConfig)))
 * ```
 * @since 0.1.0
 */
import { CapillaryClient, CapillaryConfig, ConfigError, type TokenManager } from "@capauth/core"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"

/** The HTTP client capauth uses on Deno: the runtime's own `fetch`. */
export const httpLayer: Layer.Layer<HttpClient.HttpClient> = FetchHttpClient.layer

const envVarNames = Object.keys(CapillaryConfig.envVars) as ReadonlyArray<CapillaryConfig.EnvVar>

/** Every variable capauth may read, in the form `--allow-env` takes. */
export const allowEnvFlag = `--allow-env=${envVarNames.join(",")}`

/** Whether an error is Deno refusing a permission (`NotCapable` since Deno 2, `PermissionDenied` before). */
export const isPermissionError = (error: unknown): boolean =>
  (typeof Deno.errors.NotCapable === "function" && error instanceof Deno.errors.NotCapable) ||
  error instanceof Deno.errors.PermissionDenied

const refused = (name: CapillaryConfig.EnvVar) =>
  new ConfigError({
    field: name,
    message: `Deno refused to read ${name}: run with ${allowEnvFlag} (or pass the options in code)`
  })

/**
 * Read a `CAPILLARY_*` variable from `Deno.env` (the Promise facade's synchronous reader). Throws a
 * `ConfigError` naming the `--allow-env` flag when Deno refuses the read.
 */
export const env = (name: CapillaryConfig.EnvVar): string | undefined => {
  try {
    return Deno.env.get(name)
  } catch (error) {
    if (!isPermissionError(error)) throw error
    throw refused(name)
  }
}

/**
 * Effect's `ConfigProvider` over `Deno.env`, reading only the variable asked for (path segments joined with
 * `_`, as `ConfigProvider.fromEnv` does). Effect's default `ConfigProvider.fromEnv()` copies the whole
 * `process.env`, which Deno allows only with an unrestricted `--allow-env`. Blank reads as unset. A refused
 * read fails with a `SourceError` naming the variable. `ConfigProvider.layer(DenoCapillary.configProvider)`
 * makes it the provider of a whole program.
 */
export const configProvider: ConfigProvider.ConfigProvider = ConfigProvider.make((path) => {
  const name = path.join("_")
  return Effect.try({
    try: () => {
      const value = Deno.env.get(name)
      return value === undefined || value === "" ? undefined : ConfigProvider.makeValue(value)
    },
    catch: (cause) =>
      new ConfigProvider.SourceError({
        message: isPermissionError(cause)
          ? `Deno refused to read ${name}: run with --allow-env=${name}`
          : `could not read ${name} from Deno.env`,
        cause
      })
  })
})

/** The variables that hold secrets: read as `Redacted`, unwrapped only for validation. */
const secretVars: ReadonlySet<CapillaryConfig.EnvVar> = new Set([
  "CAPILLARY_CLIENT_SECRET",
  "CAPILLARY_TILL_PASSWORD",
  "CAPILLARY_TILL_PASSWORD_MD5"
])

type Read = Result.Result<Option.Option<string | Redacted.Redacted<string>>, ConfigError>

/** One variable through `configProvider`; a failed read becomes the ConfigError naming it (or the flag). */
const readVar = (name: CapillaryConfig.EnvVar): Effect.Effect<Read> =>
  Config.option<string | Redacted.Redacted<string>>(
    secretVars.has(name) ? Config.Redacted(name) : Config.String(name)
  )
    .parse(configProvider)
    .pipe(
      Effect.mapError((error) =>
        error.cause._tag === "SourceError" && isPermissionError(error.cause.cause)
          ? refused(name)
          : new ConfigError({ field: name, message: `${name} could not be read: ${error.cause.message}` })
      ),
      Effect.result
    )

/**
 * Validated config from the `CAPILLARY_*` variables, read through `configProvider` when the effect runs (not
 * at import). A refused read fails with the same `ConfigError` as the Promise facade: it names the first
 * variable validation needs and the `--allow-env` flag.
 */
export const config: Effect.Effect<CapillaryConfig.CapillaryConfig, ConfigError> = Effect.gen(function* () {
  const reads = new Map<CapillaryConfig.EnvVar, Read>()
  for (const name of envVarNames) reads.set(name, yield* readVar(name))
  // Validation asks for variables in its own order: blame the first failed read it asked for, as the
  // facade's `env` (which throws there) does.
  let failed: ConfigError | undefined
  const lookup = (name: CapillaryConfig.EnvVar): string | undefined => {
    const read = reads.get(name)
    if (read === undefined) return undefined
    if (Result.isFailure(read)) {
      failed ??= read.failure
      return undefined
    }
    return Option.match(read.success, {
      onNone: () => undefined,
      onSome: (value) => (Redacted.isRedacted(value) ? Redacted.value(value) : value)
    })
  }
  const validated = CapillaryConfig.fromEnv(lookup)
  return yield* failed === undefined ? Effect.fromResult(validated) : Effect.fail(failed)
})

/** The authenticated client and its token manager from explicit options. */
export const layer = (
  input: CapillaryConfig.Input
): Layer.Layer<CapillaryClient.CapillaryClient | TokenManager.TokenManager, ConfigError> =>
  CapillaryClient.layer.pipe(Layer.provide(CapillaryConfig.layer(input)), Layer.provide(httpLayer))

/** The authenticated client and its token manager from the `CAPILLARY_*` environment variables. */
export const layerConfig: Layer.Layer<
  CapillaryClient.CapillaryClient | TokenManager.TokenManager,
  ConfigError
> = CapillaryClient.layer.pipe(
  Layer.provide(Layer.effect(CapillaryConfig.CapillaryConfig, config)),
  Layer.provide(httpLayer)
)
