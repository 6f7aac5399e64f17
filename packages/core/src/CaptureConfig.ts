/**
 * Validated configuration of a Capture (Janrain / Akamai Identity Cloud) client: the app's host, the API client
 * and how it authenticates its server calls. Every check happens here, at construction; a failure is a
 * `ConfigError` naming the option, or the `CAPTURE_*` environment variable the value came from.
 *
 * @example
 * ```ts
 * import { CaptureConfig } from "@capauth/core"
 *
 * CaptureConfig.make({
 *   baseUrl: "https://myapp.us.janraincapture.com",
 *   clientId: "abc123",
 *   clientSecret: "…",
 *   clientAuth: "basic" // "basic" (default) | "params" | "signed"
 * }) // Result<CaptureConfig, ConfigError>
 *
 * CaptureConfig.fromEnv(process.env) // CAPTURE_BASE_URL, CAPTURE_CLIENT_ID, CAPTURE_CLIENT_SECRET, CAPTURE_CLIENT_AUTH
 * CaptureConfig.fromConfig // the same variables through Effect's ConfigProvider (the secret as Config.Redacted)
 * CaptureConfig.layerConfig // ... as a Layer of the CaptureConfig service
 * ```
 * @module
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { ConfigError } from "./AuthError.ts"
import * as Cluster from "./Cluster.ts"
import * as Lifecycle from "./internal/lifecycle.ts"
import { stripUserinfo } from "./internal/redact.ts"
import * as RefreshTokenStore from "./RefreshTokenStore.ts"
import * as Transport from "./Transport.ts"

/**
 * How server calls authenticate the API client: `basic` (`Authorization: Basic base64(id:secret)`, Capture's
 * recommendation), `params` (legacy `client_id` / `client_secret` form parameters) or `signed` (the
 * `Date` + `Authorization: Signature id:hmac` scheme; the secret never travels).
 *
 * @since 0.1.0
 * @category models
 */
export type ClientAuth = "basic" | "params" | "signed"

/**
 * The three client authentication modes.
 *
 * @since 0.1.0
 * @category constants
 */
export const clientAuths: ReadonlyArray<ClientAuth> = ["basic", "params", "signed"]

/**
 * What users pass (the Promise facade's options are this shape).
 *
 * @since 0.1.0
 * @category models
 */
export interface Input extends Transport.Input {
  /**
   * The app's Capture host, e.g. `https://myapp.us.janraincapture.com`: `https:` (or `http:` on loopback), no
   * query; a path is kept as a prefix of every operation.
   */
  readonly baseUrl?: string | URL | undefined
  readonly clientId?: string | undefined
  readonly clientSecret?: string | Redacted.Redacted<string> | undefined
  /** Default `"basic"`. */
  readonly clientAuth?: ClientAuth | undefined
  /** Where sessions keep their (single-use, rotating) refresh tokens; in memory by default. */
  readonly tokenStore?: RefreshTokenStore.RefreshTokenStore | undefined
  /** Abort a Capture request after this many ms (default 10 000). */
  readonly timeoutMillis?: number | undefined
  /** Backoff of transient failures (480, 510, 429, 503): attempts, base and cap in ms. */
  readonly backoff?: Partial<Lifecycle.BackoffPolicy> | undefined
  /** When sessions refresh ahead and when an access token is too close to expiry to use. */
  readonly refresh?: Partial<Lifecycle.RefreshPolicy> | undefined
}

/**
 * A validated configuration.
 *
 * @since 0.1.0
 * @category models
 */
export interface CaptureConfig {
  /** Origin plus an optional path prefix (no trailing `/`): operations are `${baseUrl}/${operation}`. */
  readonly baseUrl: URL
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  readonly clientAuth: ClientAuth
  readonly tokenStore: RefreshTokenStore.RefreshTokenStore
  readonly timeout: Duration.Duration
  readonly backoff: Lifecycle.BackoffPolicy
  readonly refresh: Partial<Lifecycle.RefreshPolicy> | undefined
  /** How requests leave the process (`proxy`, `fetch`, or the runtime's default). */
  readonly transport: Transport.Transport
}

/**
 * The service tag of a validated config (`layer`, `layerConfig`).
 *
 * @since 0.1.0
 * @category services
 */
export const CaptureConfig = /* @__PURE__ */ Context.Service<CaptureConfig>("@capauth/core/CaptureConfig")

/**
 * The environment variables, and the option each one feeds.
 *
 * @since 0.1.0
 * @category environment
 */
export const envVars = {
  CAPTURE_BASE_URL: "baseUrl",
  CAPTURE_CLIENT_ID: "clientId",
  CAPTURE_CLIENT_SECRET: "clientSecret",
  CAPTURE_CLIENT_AUTH: "clientAuth"
} as const

/**
 * The name of one of the `CAPTURE_*` environment variables.
 *
 * @since 0.1.0
 * @category environment
 */
export type EnvVar = keyof typeof envVars

/**
 * An environment: a reader of one variable, or a record such as `process.env`.
 *
 * @since 0.1.0
 * @category environment
 */
export type Env = ((name: EnvVar) => string | undefined) | Readonly<Record<string, string | undefined>>

type Field = (typeof envVars)[EnvVar]

const varOf: Record<Field, EnvVar> = {
  baseUrl: "CAPTURE_BASE_URL",
  clientId: "CAPTURE_CLIENT_ID",
  clientSecret: "CAPTURE_CLIENT_SECRET",
  clientAuth: "CAPTURE_CLIENT_AUTH"
}

const invalid = (field: string, message: string) => Result.fail(new ConfigError({ field, message }))

const describe = (u: unknown) => (u === null ? "null" : Array.isArray(u) ? "an array" : `a ${typeof u}`)

const reader = (env: Env | undefined) => (name: EnvVar) => {
  const raw = env === undefined ? undefined : typeof env === "function" ? env(name) : env[name]
  const value = raw?.trim()
  return value === undefined || value === "" ? undefined : value
}

const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/

/**
 * Validate a Capture base URL: `https:` (or `http:` on loopback), no userinfo, query or fragment; a path is
 * kept (without its trailing `/`) as a prefix, e.g. a simulator serving Capture under `/capture`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const parseBaseUrl = (input: string, field = "baseUrl"): Result.Result<URL, ConfigError> => {
  let url: URL
  try {
    url = new URL(input)
  } catch {
    const shown = stripUserinfo(input)
    return invalid(
      field,
      `${field} is not a valid URL: "${shown.length > 60 ? `${shown.slice(0, 60)}…` : shown}"`
    )
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return invalid(field, `${field} must be an https: URL, got ${url.protocol}`)
  }
  if (url.protocol === "http:" && !loopback.test(url.hostname)) {
    return invalid(
      field,
      `${field} must use https: (http: is allowed only for loopback hosts such as 127.0.0.1), got ${url.origin}`
    )
  }
  if (url.username !== "" || url.password !== "") {
    return invalid(field, `${field} must not embed a username or password`)
  }
  if (url.search !== "" || url.hash !== "") {
    return invalid(field, `${field} must not have a query or fragment, e.g. ${url.origin}`)
  }
  // The origin itself goes through the same rules as Capillary's base URLs.
  return Result.map(Cluster.parseBaseUrl(url.origin, field), (origin) => {
    const prefix = url.pathname.replace(/\/+$/, "")
    return new URL(`${origin.origin}${prefix}`)
  })
}

const isObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** Visible ASCII only: the id travels in a header (Basic, Signature). */
const headerSafe = /^[\x21-\x7E]+$/

/**
 * Validate user input. `env` (optional) supplies each of `baseUrl`, `clientId`, `clientSecret` and
 * `clientAuth` that `input` leaves out, from the `CAPTURE_*` variables; an error then names the variable.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (input: Input = {}, env?: Env): Result.Result<CaptureConfig, ConfigError> =>
  Result.gen(function* () {
    if (!isObject(input)) {
      return yield* invalid("options", "options must be an object, e.g. { baseUrl, clientId, clientSecret }")
    }
    const read = reader(env)
    /** The value of a field, from the input or else the environment, and the name to blame for it. */
    const pick = (field: Field): { value: unknown; name: string } => {
      const given: unknown = input[field]
      if (given !== undefined) return { value: given, name: field }
      const name = varOf[field]
      return { value: read(name), name: env === undefined ? field : name }
    }
    const required = (field: Field) => {
      const picked = pick(field)
      return picked.value === undefined
        ? invalid(picked.name, `${field} is required: pass ${field} or set ${varOf[field]}`)
        : Result.succeed(picked)
    }

    const base = yield* required("baseUrl")
    if (typeof base.value !== "string" && !(base.value instanceof URL)) {
      return yield* invalid(base.name, `${base.name} must be a string or a URL, got ${describe(base.value)}`)
    }
    const baseUrl = yield* parseBaseUrl(String(base.value), base.name)

    const id = yield* required("clientId")
    if (typeof id.value !== "string" || !headerSafe.test(id.value)) {
      return yield* invalid(
        id.name,
        typeof id.value === "string"
          ? `${id.name} must be visible ASCII without spaces`
          : `${id.name} must be a string, got ${describe(id.value)}`
      )
    }
    const clientId = id.value

    const secret = yield* required("clientSecret")
    const secretValue = Redacted.isRedacted(secret.value) ? Redacted.value(secret.value) : secret.value
    if (typeof secretValue !== "string" || secretValue === "") {
      return yield* invalid(
        secret.name,
        typeof secretValue === "string"
          ? `${secret.name} must not be empty`
          : `${secret.name} must be a string or a Redacted string, got ${describe(secretValue)}`
      )
    }
    const clientSecret = Redacted.isRedacted(secret.value)
      ? (secret.value as Redacted.Redacted<string>)
      : Redacted.make(secretValue)

    const auth = pick("clientAuth")
    const clientAuth = auth.value ?? "basic"
    if (!clientAuths.includes(clientAuth as ClientAuth)) {
      return yield* invalid(
        auth.name,
        `${auth.name} must be one of ${clientAuths.map((a) => `"${a}"`).join(", ")}, got ${
          typeof clientAuth === "string" ? `"${clientAuth.slice(0, 20)}"` : describe(clientAuth)
        }`
      )
    }

    if (input.tokenStore !== undefined && !RefreshTokenStore.isRefreshTokenStore(input.tokenStore)) {
      return yield* invalid(
        "tokenStore",
        `tokenStore must be a RefreshTokenStore (an object with get and set functions), got ${describe(input.tokenStore)}`
      )
    }

    const timeout = input.timeoutMillis ?? 10_000
    if (typeof timeout !== "number" || !(timeout > 0) || !Number.isFinite(timeout)) {
      return yield* invalid(
        "timeoutMillis",
        "timeoutMillis must be a positive, finite number of milliseconds"
      )
    }

    for (const name of ["backoff", "refresh"] as const) {
      const policy: unknown = input[name]
      if (policy !== undefined && !isObject(policy)) {
        return yield* invalid(name, `${name} must be an object, got ${describe(policy)}`)
      }
      for (const [key, value] of Object.entries(policy ?? {})) {
        if (value !== undefined && !(typeof value === "number" && Number.isFinite(value) && value >= 0)) {
          return yield* invalid(`${name}.${key}`, `${name}.${key} must be a finite, non-negative number`)
        }
      }
    }
    const backoff: Lifecycle.BackoffPolicy = {
      ...Lifecycle.defaultBackoffPolicy,
      ...(input.backoff as Input["backoff"])
    }
    if (!Number.isInteger(backoff.maxAttempts) || backoff.maxAttempts < 1) {
      return yield* invalid("backoff.maxAttempts", "backoff.maxAttempts must be a whole number, at least 1")
    }
    const transport = yield* Transport.make(input)

    return {
      baseUrl,
      clientId,
      clientSecret,
      clientAuth: clientAuth as ClientAuth,
      tokenStore: input.tokenStore ?? RefreshTokenStore.memory(),
      timeout: Duration.millis(timeout),
      backoff,
      refresh: input.refresh as Input["refresh"],
      transport
    }
  })

/**
 * Validated config from the `CAPTURE_*` variables alone (a reader, or a record such as `process.env`). Errors
 * name the variable.
 *
 * @since 0.1.0
 * @category environment
 */
export const fromEnv = (env: Env): Result.Result<CaptureConfig, ConfigError> => make({}, env)

/**
 * A layer from user input; `env` fills what the input leaves out (see `make`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (input: Input, env?: Env): Layer.Layer<CaptureConfig, ConfigError> =>
  Layer.effect(CaptureConfig, Effect.fromResult(make(input, env)))

type Read = Result.Result<Option.Option<string | Redacted.Redacted<string>>, ConfigError>

/** One variable through the current `ConfigProvider`; a read the provider refuses is a ConfigError naming it. */
const readVar = (name: EnvVar): Effect.Effect<Read> =>
  Config.option<string | Redacted.Redacted<string>>(
    name === "CAPTURE_CLIENT_SECRET" ? Config.Redacted(name) : Config.String(name)
  ).pipe(
    Effect.mapError(
      (error) =>
        new ConfigError({ field: name, message: `${name} could not be read: ${error.cause.message}` })
    ),
    Effect.result
  )

/**
 * Validated config from the `CAPTURE_*` variables, read through Effect's current `ConfigProvider` (Effect's
 * environment provider by default; `ConfigProvider.layer(...)` to read elsewhere), `CAPTURE_CLIENT_SECRET` as
 * `Config.Redacted` (it stays Redacted all the way into the config). The rules are `fromEnv`'s: a missing or
 * invalid variable is a `ConfigError` naming it; so is one the provider could not read (the first one validation
 * needs). The other options take their defaults (memory `RefreshTokenStore`, ...): to set them, spread the
 * result, e.g. `Effect.map(CaptureConfig.fromConfig, (config) => ({ ...config, tokenStore }))`.
 *
 * @since 0.1.0
 * @category environment
 */
export const fromConfig: Effect.Effect<CaptureConfig, ConfigError> = /* @__PURE__ */ Effect.suspend(() =>
  Effect.gen(function* () {
    const reads = new Map<EnvVar, Read>()
    for (const name of Object.keys(envVars) as ReadonlyArray<EnvVar>) reads.set(name, yield* readVar(name))
    let failed: ConfigError | undefined
    const lookup = (name: EnvVar): string | undefined => {
      const read = reads.get(name)
      if (read === undefined) return undefined
      if (Result.isFailure(read)) {
        failed ??= read.failure
        return undefined
      }
      const value = Option.getOrUndefined(read.success)
      return typeof value === "string" ? value : undefined
    }
    // The secret is handed to `make` still Redacted (when it is not blank: a blank one reads as unset, and `make`
    // then names CAPTURE_CLIENT_SECRET as missing, or the read error through `lookup`).
    const secret = reads.get("CAPTURE_CLIENT_SECRET")
    const given =
      secret !== undefined && Result.isSuccess(secret) ? Option.getOrUndefined(secret.success) : undefined
    const revealed = Redacted.isRedacted(given) ? Redacted.value(given) : undefined
    const trimmed = revealed?.trim()
    const clientSecret =
      trimmed === undefined || trimmed === ""
        ? undefined
        : trimmed === revealed
          ? (given as Redacted.Redacted<string>)
          : Redacted.make(trimmed)
    const validated = make(clientSecret === undefined ? {} : { clientSecret }, lookup)
    return yield* failed === undefined ? Effect.fromResult(validated) : Effect.fail(failed)
  })
)

/**
 * A layer reading the `CAPTURE_*` variables through Effect's current `ConfigProvider` (see `fromConfig`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<CaptureConfig, ConfigError> = /* @__PURE__ */ Layer.effect(
  CaptureConfig,
  fromConfig
)
