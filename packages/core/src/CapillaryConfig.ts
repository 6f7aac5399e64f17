/**
 * Validated configuration of a Capillary client: where, who, attributed to what. Every check happens here, at
 * construction, and a failure is a `ConfigError` naming the setting (or environment variable) to fix.
 *
 * @example
 * ```ts
 * import { CapillaryConfig } from "@capauth/core"
 *
 * const config = CapillaryConfig.make({
 *   cluster: "eu",
 *   credentials: { key: "my-key", secret: "my-secret" },
 *   attribution: { type: "TILL", code: "store.till1" }
 * }) // Result<CapillaryConfig, ConfigError>
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
import type { RefreshPolicy } from "./AccessToken.ts"
import { ConfigError } from "./AuthError.ts"
import * as AuthHeaders from "./AuthHeaders.ts"
import * as Cluster from "./Cluster.ts"
import * as Credentials from "./Credentials.ts"
import * as Lifecycle from "./internal/lifecycle.ts"
import type { TokenStore } from "./TokenStore.ts"
import * as Transport from "./Transport.ts"

/**
 * What users pass (the Promise facade's options are this shape).
 *
 * @since 0.1.0
 * @category models
 */
export interface Input extends Transport.Input {
  /** An `https:` origin (or `http:` on loopback). Exactly one of `baseUrl` and `cluster`. */
  readonly baseUrl?: string | URL | undefined
  /** A preset name: apac, apac2, eu, us, ushc, sea, north-america, cn. */
  readonly cluster?: string | undefined
  /**
   * `{ key, secret }`, `{ till, password }` or `{ till, passwordMd5 }`; or an ordered list of OAuth clients for a
   * rotation without downtime: the first that works is used, and when the token endpoint refuses the one in use
   * as invalid credentials the next is tried at once (a `CredentialSwitched` event says so, no caller fails).
   */
  readonly credentials?:
    | Credentials.CredentialsInput
    | ReadonlyArray<Credentials.CredentialsInput>
    | undefined
  /** Default attribution of every request; a request may override it. */
  readonly attribution?: { readonly type?: string | undefined; readonly code: string } | undefined
  /** Also send the legacy `X-CAP-API-ATTRIBUTION-TILL-CODE` header. */
  readonly legacyTillHeader?: boolean | undefined
  /** Turn 403 responses into `AccessDenied` errors instead of passing them through. */
  readonly mapForbidden?: boolean | undefined
  /**
   * When to refresh ahead (`refreshAtFraction`, 0 to 1, default 0.8; below 0.5 counts as 0.5), its jitter
   * (`jitterFraction`, 0 to 1, default 0.05) and the margin before expiry from which a token is refreshed at once
   * (`expiryMarginMillis`, default 30 000, at most 10 % of the lifetime). Finite numbers only.
   */
  readonly refresh?: Partial<RefreshPolicy> | undefined
  /**
   * The token timeout in ms (default 8 000; 1 to 600 000; `CAPILLARY_TOKEN_TIMEOUT_MS`): a token request
   * attempt is given up after a third of this (then retried), so a retry fits inside a caller's wait; a call
   * without a usable token waits at most the token timeout for one (through retries and a transient failure's
   * cooldown) before a `TransportError` (reason `Timeout`). A call that holds a usable token never waits for a
   * token request.
   */
  readonly tokenTimeoutMillis?: number | undefined
  /**
   * Attempts per token request when it fails transiently (5xx, 503/4001, 429, timeout, network, a malformed
   * answer), with jittered exponential backoff (default 4; a whole number from 1 to 20;
   * `CAPILLARY_TOKEN_MAX_ATTEMPTS`).
   */
  readonly tokenMaxAttempts?: number | undefined
  /**
   * How long refused credentials or a denied access group are remembered, in ms (default 30 000; 0 to
   * 86 400 000; `CAPILLARY_TOKEN_COOLDOWN_MS`): meanwhile calls without a usable token fail at once with that
   * error instead of asking again. Transient failures are remembered only for their backoff, which a call
   * without a usable token waits out (then joins the next token request) if it ends within its token timeout.
   */
  readonly tokenCooldownMillis?: number | undefined
  /** An opt-in place to keep tokens beyond this process's memory. */
  readonly tokenStore?: TokenStore | undefined
  /**
   * What to do when the API redirects a request to another origin (or from `https:` to `http:`): `"refuse"`
   * (default) rejects with `TransportError` (reason `Redirect`); `"strip"` follows it without any credential or
   * attribution header. Same-origin redirects are always followed with them.
   */
  readonly crossOriginRedirect?: CrossOriginRedirect | undefined
}

/**
 * See `Input.crossOriginRedirect`.
 *
 * @since 0.1.0
 * @category models
 */
export type CrossOriginRedirect = "refuse" | "strip"

/**
 * A validated configuration: what `make` returns and the `CapillaryConfig` service holds.
 *
 * @since 0.1.0
 * @category models
 */
export interface CapillaryConfig {
  readonly baseUrl: URL
  /** The credentials used first (the first of a list). */
  readonly credentials: Credentials.Credentials
  /** The rest of a credential list, in order: tried when the one in use is refused (see `TokenSource.fallback`). */
  readonly fallbackCredentials: ReadonlyArray<Credentials.OAuthClient>
  readonly attribution: AuthHeaders.Attribution | undefined
  readonly legacyTillHeader: boolean
  readonly mapForbidden: boolean
  readonly refresh: Partial<RefreshPolicy> | undefined
  readonly tokenTimeout: Duration.Duration
  /** Attempts per token request (transient failures are retried with backoff). */
  readonly tokenMaxAttempts: number
  /** How long refused credentials or denied access are remembered. */
  readonly tokenCooldown: Duration.Duration
  readonly tokenStore: TokenStore | undefined
  readonly crossOriginRedirect: CrossOriginRedirect
  /** How requests leave the process (`proxy`, `fetch`, or the runtime's default). */
  readonly transport: Transport.Transport
}

/**
 * The service tag.
 *
 * @since 0.1.0
 * @category services
 */
export const CapillaryConfig = /* @__PURE__ */ Context.Service<CapillaryConfig>(
  "@capauth/core/CapillaryConfig"
)

/**
 * Validate user input.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (input: Input = {}): Result.Result<CapillaryConfig, ConfigError> =>
  Result.gen(function* () {
    if (typeof input !== "object" || input === null) {
      return yield* invalid("options", "options must be an object, e.g. { cluster, credentials }")
    }
    yield* optionTypes(input)
    const baseUrl = yield* Cluster.resolve({ cluster: input.cluster, baseUrl: input.baseUrl })
    const [credentials, ...fallbackCredentials] = yield* Credentials.fromInputList(input.credentials)
    const attribution =
      input.attribution === undefined ? undefined : yield* AuthHeaders.attribution(input.attribution)
    const transport = yield* Transport.make(input)
    const timeout = input.tokenTimeoutMillis ?? 8_000
    const maxAttempts = input.tokenMaxAttempts ?? Lifecycle.defaultBackoffPolicy.maxAttempts
    const cooldown = input.tokenCooldownMillis ?? Lifecycle.defaultPermanentCooldownMillis
    for (const [field, setting, value] of [
      ["tokenTimeoutMillis", "timeoutMillis", timeout],
      ["tokenMaxAttempts", "maxAttempts", maxAttempts],
      ["tokenCooldownMillis", "permanentCooldownMillis", cooldown]
    ] as const) {
      const problem = Lifecycle.policyProblem(setting, value, field)
      if (problem !== undefined) return yield* invalid(field, problem)
    }
    return {
      baseUrl,
      credentials,
      fallbackCredentials,
      attribution,
      legacyTillHeader: input.legacyTillHeader ?? false,
      mapForbidden: input.mapForbidden ?? false,
      refresh: input.refresh,
      tokenTimeout: Duration.millis(timeout),
      tokenMaxAttempts: maxAttempts,
      tokenCooldown: Duration.millis(cooldown),
      tokenStore: input.tokenStore,
      crossOriginRedirect: input.crossOriginRedirect ?? "refuse",
      transport
    }
  })

const invalid = (field: string, message: string) => Result.fail(new ConfigError({ field, message }))

const describe = (u: unknown) => (u === null ? "null" : Array.isArray(u) ? "an array" : `a ${typeof u}`)

const isObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** Each option, what it must be, and how to say so. Checked before anything else: no coercion ("5000" is refused). */
const optionChecks: ReadonlyArray<readonly [keyof Input, (u: unknown) => boolean, string]> = [
  ["baseUrl", (u) => typeof u === "string" || u instanceof URL, "a string or a URL"],
  ["cluster", (u) => typeof u === "string", "a string"],
  ["credentials", (u) => isObject(u) || Array.isArray(u), "an object (or a list of them)"],
  ["attribution", isObject, "an object"],
  ["legacyTillHeader", (u) => typeof u === "boolean", "a boolean"],
  ["mapForbidden", (u) => typeof u === "boolean", "a boolean"],
  ["refresh", isObject, "an object"],
  ["tokenTimeoutMillis", (u) => typeof u === "number", "a number of milliseconds (not a string)"],
  ["tokenMaxAttempts", (u) => typeof u === "number", "a number (not a string)"],
  ["tokenCooldownMillis", (u) => typeof u === "number", "a number of milliseconds (not a string)"],
  [
    "tokenStore",
    (u) => isObject(u) && ["get", "set", "remove"].every((k) => typeof u[k] === "function"),
    "a TokenStore (an object with get, set and remove functions)"
  ],
  ["crossOriginRedirect", (u) => u === "refuse" || u === "strip", '"refuse" or "strip"']
]

const optionTypes = (input: Input): Result.Result<void, ConfigError> => {
  for (const [field, ok, what] of optionChecks) {
    const value: unknown = input[field]
    if (value !== undefined && !ok(value))
      return invalid(field, `${field} must be ${what}, got ${describe(value)}`)
  }
  const problem = Lifecycle.policiesProblem(
    input.refresh,
    ["refreshAtFraction", "jitterFraction", "expiryMarginMillis"],
    "refresh"
  )
  return problem === undefined ? Result.succeed(undefined) : invalid(problem[0], problem[1])
}

/**
 * The environment variables every adapter reads, and the setting each one feeds.
 *
 * @since 0.1.0
 * @category environment
 */
export const envVars = {
  CAPILLARY_BASE_URL: "baseUrl",
  CAPILLARY_CLUSTER: "cluster",
  CAPILLARY_CLIENT_KEY: "key",
  CAPILLARY_CLIENT_SECRET: "secret",
  CAPILLARY_CLIENT_KEY_2: "credentials[1].key",
  CAPILLARY_CLIENT_SECRET_2: "credentials[1].secret",
  CAPILLARY_TILL_ID: "till",
  CAPILLARY_TILL_PASSWORD: "password",
  CAPILLARY_TILL_PASSWORD_MD5: "passwordMd5",
  CAPILLARY_ATTRIBUTION_TYPE: "attribution.type",
  CAPILLARY_ATTRIBUTION_CODE: "attribution.code",
  CAPILLARY_TOKEN_TIMEOUT_MS: "tokenTimeoutMillis",
  CAPILLARY_TOKEN_MAX_ATTEMPTS: "tokenMaxAttempts",
  CAPILLARY_TOKEN_COOLDOWN_MS: "tokenCooldownMillis"
} as const

/**
 * The name of one of the `CAPILLARY_*` environment variables.
 *
 * @since 0.1.0
 * @category environment
 */
export type EnvVar = keyof typeof envVars

const fieldToVar: Record<string, EnvVar> = Object.fromEntries(
  Object.entries(envVars).map(([name, field]) => [field, name as EnvVar])
) as Record<string, EnvVar>
fieldToVar.credentials = "CAPILLARY_CLIENT_KEY"
fieldToVar["credentials[0].key"] = "CAPILLARY_CLIENT_KEY"
fieldToVar["credentials[0].secret"] = "CAPILLARY_CLIENT_SECRET"
fieldToVar["credentials[1]"] = "CAPILLARY_CLIENT_KEY_2"

/**
 * Input from environment variables, read through `lookup` (so Node, Deno and Effect's ConfigProvider can all
 * feed it, each with its own permissions). Errors name the variable.
 *
 * @since 0.1.0
 * @category environment
 */
export const inputFromEnv = (
  lookup: (name: EnvVar) => string | undefined
): Result.Result<Input, ConfigError> => {
  const read = (name: EnvVar) => {
    const value = lookup(name)?.trim()
    return value === undefined || value === "" ? undefined : value
  }
  // Credentials as they are: blank is unset, but whitespace around a value is left for `Credentials` to refuse.
  const raw = (name: EnvVar) => {
    const value = lookup(name)
    return value === undefined || value.trim() === "" ? undefined : value
  }
  const key = raw("CAPILLARY_CLIENT_KEY")
  const secret = raw("CAPILLARY_CLIENT_SECRET")
  const till = raw("CAPILLARY_TILL_ID")
  const password = raw("CAPILLARY_TILL_PASSWORD")
  const passwordMd5 = raw("CAPILLARY_TILL_PASSWORD_MD5")
  const baseUrl = read("CAPILLARY_BASE_URL")
  const cluster = read("CAPILLARY_CLUSTER")
  const missing = (name: EnvVar, why: string) =>
    Result.fail(new ConfigError({ field: name, message: `${name} ${why}` }))
  if (baseUrl === undefined && cluster === undefined) {
    return missing("CAPILLARY_BASE_URL", "or CAPILLARY_CLUSTER must be set (e.g. CAPILLARY_CLUSTER=eu)")
  }
  const tuning: Record<string, number | undefined> = {}
  for (const name of tuningVars) {
    let value: string | undefined
    try {
      value = read(name)
    } catch {
      // An optional setting the runtime will not let us read (Deno without its name in --allow-env) is unset.
      value = undefined
    }
    if (value !== undefined && !/^\d{1,15}$/.test(value)) {
      return missing(name, "must be a whole number written in decimal digits (e.g. 5000)")
    }
    tuning[envVars[name]] = value === undefined ? undefined : Number(value)
  }
  if (
    (key !== undefined || secret !== undefined) &&
    (till !== undefined || password !== undefined || passwordMd5 !== undefined)
  ) {
    return missing(
      "CAPILLARY_CLIENT_KEY",
      "and CAPILLARY_TILL_ID (or CAPILLARY_TILL_PASSWORD / CAPILLARY_TILL_PASSWORD_MD5) are both set: set an OAuth client or a till, not both"
    )
  }
  // The second API client of a rotation: optional, and unset when the runtime will not let us read it.
  const optional = (name: EnvVar) => {
    try {
      return raw(name)
    } catch {
      return undefined
    }
  }
  const key2 = optional("CAPILLARY_CLIENT_KEY_2")
  const secret2 = optional("CAPILLARY_CLIENT_SECRET_2")
  let credentials: Credentials.CredentialsInput | ReadonlyArray<Credentials.CredentialsInput>
  if ((key2 !== undefined || secret2 !== undefined) && key === undefined && secret === undefined) {
    return missing(
      "CAPILLARY_CLIENT_KEY",
      "and CAPILLARY_CLIENT_SECRET must be set when CAPILLARY_CLIENT_KEY_2 / CAPILLARY_CLIENT_SECRET_2 are (the client to switch to when the first is refused)"
    )
  }
  if (key !== undefined || secret !== undefined) {
    if (key === undefined)
      return missing("CAPILLARY_CLIENT_KEY", "must be set along with CAPILLARY_CLIENT_SECRET")
    if (secret === undefined)
      return missing("CAPILLARY_CLIENT_SECRET", "must be set along with CAPILLARY_CLIENT_KEY")
    credentials = { key, secret }
    if (key2 !== undefined || secret2 !== undefined) {
      if (key2 === undefined)
        return missing("CAPILLARY_CLIENT_KEY_2", "must be set along with CAPILLARY_CLIENT_SECRET_2")
      if (secret2 === undefined)
        return missing("CAPILLARY_CLIENT_SECRET_2", "must be set along with CAPILLARY_CLIENT_KEY_2")
      credentials = [
        { key, secret },
        { key: key2, secret: secret2 }
      ]
    }
  } else if (till !== undefined) {
    if (password !== undefined) credentials = { till, password }
    else if (passwordMd5 !== undefined) credentials = { till, passwordMd5 }
    else
      return missing(
        "CAPILLARY_TILL_PASSWORD",
        "or CAPILLARY_TILL_PASSWORD_MD5 must be set with CAPILLARY_TILL_ID"
      )
  } else {
    return missing(
      "CAPILLARY_CLIENT_KEY",
      "and CAPILLARY_CLIENT_SECRET (or CAPILLARY_TILL_ID with CAPILLARY_TILL_PASSWORD) must be set"
    )
  }
  const type = read("CAPILLARY_ATTRIBUTION_TYPE")
  const code = read("CAPILLARY_ATTRIBUTION_CODE")
  if (type !== undefined && code === undefined) {
    return missing("CAPILLARY_ATTRIBUTION_CODE", "must be set when CAPILLARY_ATTRIBUTION_TYPE is")
  }
  return Result.succeed({
    baseUrl,
    cluster,
    credentials,
    attribution: code === undefined ? undefined : { type, code },
    ...tuning
  })
}

/** The second API client of a rotation: unset (or unreadable) means none. */
const rotationVars: ReadonlyArray<EnvVar> = ["CAPILLARY_CLIENT_KEY_2", "CAPILLARY_CLIENT_SECRET_2"]

/** The optional tuning variables: unset (or unreadable) means the default. */
const tuningVars: ReadonlyArray<EnvVar> = [
  "CAPILLARY_TOKEN_TIMEOUT_MS",
  "CAPILLARY_TOKEN_MAX_ATTEMPTS",
  "CAPILLARY_TOKEN_COOLDOWN_MS"
]

/**
 * Name the environment variable behind a ConfigError's field, so the message says what to set.
 *
 * @since 0.1.0
 * @category environment
 */
export const blameEnv = (error: ConfigError): ConfigError => {
  if (error.field === undefined || error.field.startsWith("CAPILLARY_")) return error
  const name = fieldToVar[error.field]
  return name === undefined ? error : new ConfigError({ field: name, message: `${name}: ${error.message}` })
}

/**
 * Validated config from environment variables.
 *
 * @since 0.1.0
 * @category environment
 */
export const fromEnv = (
  lookup: (name: EnvVar) => string | undefined
): Result.Result<CapillaryConfig, ConfigError> =>
  Result.mapError(Result.flatMap(inputFromEnv(lookup), make), blameEnv)

/**
 * A layer from a validated input.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (input: Input): Layer.Layer<CapillaryConfig, ConfigError> =>
  Layer.effect(CapillaryConfig, Effect.fromResult(make(input)))

/** The variables holding a secret: read with `Config.Redacted`, so Effect never handles them as plain text. */
const secretVars: ReadonlySet<EnvVar> = new Set([
  "CAPILLARY_CLIENT_SECRET",
  "CAPILLARY_CLIENT_SECRET_2",
  "CAPILLARY_TILL_PASSWORD",
  "CAPILLARY_TILL_PASSWORD_MD5"
])

type Read = Result.Result<Option.Option<string | Redacted.Redacted<string>>, ConfigError>

/** One variable through the current `ConfigProvider`; a read the provider refuses is a ConfigError naming it. */
const readVar = (name: EnvVar): Effect.Effect<Read> =>
  Config.option<string | Redacted.Redacted<string>>(
    secretVars.has(name) ? Config.Redacted(name) : Config.String(name)
  ).pipe(
    Effect.mapError(
      (error) =>
        new ConfigError({ field: name, message: `${name} could not be read: ${error.cause.message}` })
    ),
    Effect.result
  )

/**
 * Validated config from the `CAPILLARY_*` variables, read through Effect's current `ConfigProvider` (Effect's
 * environment provider by default; `ConfigProvider.layer(...)` to read elsewhere, e.g. Deno's), secrets as
 * `Config.Redacted`. A missing or invalid variable is a `ConfigError` naming it; so is one the provider could not
 * read (the first one validation needs, so the error is the same as when reading the environment directly).
 *
 * @since 0.1.0
 * @category environment
 */
export const fromConfig: Effect.Effect<CapillaryConfig, ConfigError> = /* @__PURE__ */ Effect.suspend(() =>
  Effect.gen(function* () {
    const reads = new Map<EnvVar, Read>()
    for (const name of Object.keys(envVars) as ReadonlyArray<EnvVar>) reads.set(name, yield* readVar(name))
    let failed: ConfigError | undefined
    // The env rules (shared with process.env and Deno.env) read text: a secret is revealed only to hand it to
    // them, and `make` wraps it in a Redacted again at once.
    const lookup = (name: EnvVar): string | undefined => {
      const read = reads.get(name)
      if (read === undefined) return undefined
      if (Result.isFailure(read)) {
        // An optional setting that cannot be read is unset (as `inputFromEnv` treats a refused read).
        if (!tuningVars.includes(name) && !rotationVars.includes(name)) failed ??= read.failure
        return undefined
      }
      const value = Option.getOrUndefined(read.success)
      return Redacted.isRedacted(value) ? Redacted.value(value) : value
    }
    const validated = fromEnv(lookup)
    return yield* failed === undefined ? Effect.fromResult(validated) : Effect.fail(failed)
  })
)

/**
 * A layer reading the `CAPILLARY_*` variables through Effect's current `ConfigProvider` (see `fromConfig`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<CapillaryConfig, ConfigError> = /* @__PURE__ */ Layer.effect(
  CapillaryConfig,
  fromConfig
)
