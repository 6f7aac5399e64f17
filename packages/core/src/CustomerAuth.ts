/**
 * End-customer login against Capillary's Auth Engine, for a brand's own mobile or web app: by OTP
 * (`startOtp`, then `verify` with the OTP the customer received) or by password (`loginWithPassword`), each in
 * the documented order (`token/generate` opens the session, then `otp/generate` + `otp/validate` or
 * `password/validate`, which answer the token and, on mobile, the `key`); and `resume`, from a stored mobile key
 * or a web token. Every login is a `CustomerSession` in the client's scope.
 *
 * Login calls are sent **once**, never retried: a repeated `otp/generate` sends another SMS and spends the
 * customer's OTP quota (1534, `RateLimited`); a repeated validation spends an attempt. Only renewals
 * (`token/regenerate`, inside each session's `TokenManager`) back off and retry transient failures.
 *
 * @example
 * ```ts
 * import { CustomerAuth } from "@capauth/core"
 * import { Effect, Layer } from "effect"
 * import { FetchHttpClient, HttpClientRequest } from "effect/http"
 *
 * declare const askCustomerForOtp: () => Promise<string>
 *
 * const program = Effect.gen(function* () {
 *   const auth = yield* CustomerAuth.CustomerAuth
 *   const login = yield* auth.startOtp({ identifierType: "MOBILE", identifierValue: "919876543210" })
 *   const otp = yield* Effect.promise(askCustomerForOtp)
 *   const session = yield* login.verify(otp)
 *   const profile = yield* session.execute(HttpClientRequest.get("/v1/customer/profile"))
 *   return yield* profile.json
 * })
 * const Live = CustomerAuth.layer({
 *   cluster: "eu",
 *   gatewayUrl: "https://eu-api-gateway.capillarytech.com/mobile",
 *   brand: "MyBrand",
 *   deviceId: "device-123"
 * }).pipe(Layer.provide(FetchHttpClient.layer))
 * Effect.runPromise(Effect.scoped(Effect.provide(program, Live)))
 * ```
 * @module
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Headers from "effect/http/Headers"
import * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import { type AuthError, ConfigError, MalformedResponse } from "./AuthError.ts"
import * as CustomerAuthConfig from "./CustomerAuthConfig.ts"
import * as CustomerAuthRequest from "./CustomerAuthRequest.ts"
import * as CustomerAuthResponse from "./CustomerAuthResponse.ts"
import * as CustomerSession from "./CustomerSession.ts"
import * as Customer from "./internal/customer.ts"

/**
 * A secret value as users may pass it.
 *
 * @since 0.1.0
 * @category models
 */
export type Secret = string | Redacted.Redacted<string>

/**
 * Who logs in.
 *
 * @since 0.1.0
 * @category models
 */
export interface IdentifierInput {
  readonly identifierType: CustomerAuthRequest.IdentifierType
  /** A mobile number with its country code (`919876543210`), an email or a username. */
  readonly identifierValue: string
}

/**
 * Options of `loginWithPassword`.
 *
 * @since 0.1.0
 * @category models
 */
export interface PasswordLogin extends IdentifierInput {
  readonly password: Secret
}

/**
 * Options of `resume`: a mobile session from its `key` (or, with neither, from the key in the key store), a web
 * session from its `token` (expired or not).
 *
 * @since 0.1.0
 * @category models
 */
export interface ResumeOptions {
  readonly key?: Secret | undefined
  readonly token?: Secret | undefined
  /** The customer's identifier, if known (sent with regenerations; a mobile one is also `cap_mobile`). */
  readonly identifier?: IdentifierInput | undefined
  /** `cap_mobile`, if known. */
  readonly mobile?: string | undefined
}

/**
 * An OTP login under way: the session is open and the OTP sent.
 *
 * @since 0.1.0
 * @category models
 */
export interface OtpLogin {
  /** The login session (`P-…`, about 15 minutes). Not a credential alone, but keep it to this login. */
  readonly sessionId: string
  /** `false`: the brand does not know this mobile or email yet; verifying the OTP signs the customer up. */
  readonly userRegistered: boolean | undefined
  /** `otp/validate`: the session, or `InvalidOtp` (ask again), `AttemptsExhausted` (1518: start again). */
  readonly verify: (otp: Secret | number) => Effect.Effect<CustomerSession.CustomerSession, AuthError>
  /** `otp/generate` again in the same session (a new OTP replaces the last; counts against the OTP quota). */
  readonly resend: Effect.Effect<void, AuthError>
}

/**
 * The client.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly config: CustomerAuthConfig.CustomerAuthConfig
  /** `token/generate` (opens the session), then `otp/generate`. */
  readonly startOtp: (input: IdentifierInput) => Effect.Effect<OtpLogin, AuthError>
  /** `token/generate` (opens the session), then `password/validate`. */
  readonly loginWithPassword: (
    input: PasswordLogin
  ) => Effect.Effect<CustomerSession.CustomerSession, AuthError>
  /** A session from a stored key or token; nothing is sent until it is used. */
  readonly resume: (options?: ResumeOptions) => Effect.Effect<CustomerSession.CustomerSession, ConfigError>
}

/**
 * The service tag.
 *
 * @since 0.1.0
 * @category services
 */
export class CustomerAuth extends Context.Service<CustomerAuth, Service>()("@capauth/core/CustomerAuth") {}

const invalid = (field: string, message: string) => new ConfigError({ field, message })

const secretOf = (u: unknown): Redacted.Redacted<string> | undefined => {
  const value = Redacted.isRedacted(u) ? Redacted.value(u) : typeof u === "number" ? String(u) : u
  if (typeof value !== "string" || value.trim() === "") return undefined
  return Redacted.isRedacted(u) && value === Redacted.value(u)
    ? (u as Redacted.Redacted<string>)
    : Redacted.make(value)
}

/**
 * How `resume` starts a session: validated synchronously, for facades that must throw at once.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resumeStart = (
  config: CustomerAuthConfig.CustomerAuthConfig,
  options: ResumeOptions = {}
): Result.Result<
  {
    readonly start: CustomerSession.Start
    readonly identifier: CustomerAuthRequest.Identifier | undefined
    readonly mobile: string | undefined
  },
  ConfigError
> =>
  Result.gen(function* () {
    if (typeof options !== "object" || options === null) {
      return yield* Result.fail(invalid("options", "options must be an object"))
    }
    const identifier =
      options.identifier === undefined ? undefined : yield* CustomerAuthRequest.identifier(options.identifier)
    const mobile = options.mobile
    if (mobile !== undefined && (typeof mobile !== "string" || !/^[\x21-\x7E]+$/.test(mobile))) {
      return yield* Result.fail(invalid("mobile", "mobile must be a non-empty string without spaces"))
    }
    const key = options.key === undefined ? undefined : secretOf(options.key)
    const token = options.token === undefined ? undefined : secretOf(options.token)
    if (options.key !== undefined && key === undefined) {
      return yield* Result.fail(invalid("key", "key must be a non-empty string or Redacted string"))
    }
    if (options.token !== undefined && token === undefined) {
      return yield* Result.fail(invalid("token", "token must be a non-empty string or Redacted string"))
    }
    let start: CustomerSession.Start
    if (config.platform === "mobile") {
      if (token !== undefined) {
        return yield* Result.fail(invalid("token", "a mobile session resumes from its key, not a token"))
      }
      start = { _tag: "Key", key }
    } else {
      if (key !== undefined) {
        return yield* Result.fail(invalid("key", "a web session has no key: resume it from its token"))
      }
      if (token === undefined) {
        return yield* Result.fail(invalid("token", "a web session resumes from its token (expired or not)"))
      }
      start = { _tag: "Token", token }
    }
    return { start, identifier, mobile }
  })

/**
 * Build the client; its sessions belong to the current `Scope`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  config: CustomerAuthConfig.CustomerAuthConfig
): Effect.Effect<Service, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient
    const scope = yield* Effect.scope
    const deps: Customer.Deps = { config, http }

    // Sessions are forked from the client's scope: closing the client closes them all.
    const open = (
      start: CustomerSession.Start,
      identifier: CustomerAuthRequest.Identifier | undefined,
      mobile?: string | undefined
    ) => Scope.provide(scope)(CustomerSession.make({ ...deps, start, identifier, mobile }))

    /** The tokens of a validation's answer; `token/generate` with the session if it answered none. */
    const loggedIn = (
      answer: Customer.Answer,
      operation: CustomerAuthRequest.Operation,
      identifier: CustomerAuthRequest.Identifier,
      sessionId: string
    ) =>
      Effect.gen(function* () {
        const issued = CustomerAuthResponse.hasToken(answer.body)
          ? { answer, operation }
          : {
              answer: yield* Customer.send(
                deps,
                CustomerAuthRequest.tokenForSession(config, identifier, sessionId)
              ),
              operation: "token/generate"
            }
        const tokens = yield* Effect.fromResult(
          CustomerAuthResponse.tokens(issued.answer.body, issued.answer.sentAt, issued.operation)
        )
        if (config.platform === "mobile" && tokens.key === undefined) {
          return yield* Effect.fail(
            new MalformedResponse({
              message: `Auth Engine ${issued.operation} answered no auth.key: a mobile session needs it to renew its token`
            })
          )
        }
        return yield* open({ _tag: "LoggedIn", tokens }, identifier)
      })

    /** `token/generate` with the identifier: a new login session. */
    const openSession = (identifier: CustomerAuthRequest.Identifier) =>
      Effect.flatMap(Customer.send(deps, CustomerAuthRequest.tokenGenerate(config, identifier)), (answer) =>
        Effect.fromResult(CustomerAuthResponse.session(answer.body, "token/generate"))
      )

    const startOtp = (input: IdentifierInput) =>
      Effect.gen(function* () {
        const identifier = yield* Effect.fromResult(CustomerAuthRequest.identifier(input))
        const session = yield* openSession(identifier)
        const { sessionId } = session
        const generate = Customer.send(deps, CustomerAuthRequest.otpGenerate(config, identifier, sessionId))
        yield* generate
        const verify = (otp: Secret | number) =>
          Effect.suspend(() => {
            const secret = secretOf(otp)
            if (secret === undefined)
              return Effect.fail(invalid("otp", "otp must be a non-empty string or number"))
            const call = CustomerAuthRequest.otpValidate(config, identifier, sessionId, secret)
            return Effect.flatMap(Customer.send(deps, call), (answer) =>
              loggedIn(answer, "otp/validate", identifier, sessionId)
            )
          })
        return {
          sessionId,
          userRegistered: session.userRegistered,
          verify,
          resend: Effect.asVoid(generate)
        } satisfies OtpLogin
      })

    const loginWithPassword = (input: PasswordLogin) =>
      Effect.gen(function* () {
        const identifier = yield* Effect.fromResult(CustomerAuthRequest.identifier(input))
        const password = secretOf(input.password)
        if (password === undefined) {
          return yield* Effect.fail(
            invalid("password", "password must be a non-empty string or Redacted string")
          )
        }
        const { sessionId } = yield* openSession(identifier)
        const call = CustomerAuthRequest.passwordValidate(config, identifier, sessionId, password)
        const answer = yield* Customer.send(deps, call)
        return yield* loggedIn(answer, "password/validate", identifier, sessionId)
      })

    const resume = (options?: ResumeOptions) =>
      Effect.flatMap(Effect.fromResult(resumeStart(config, options)), ({ start, identifier, mobile }) =>
        open(start, identifier, mobile)
      )

    return { config, startOtp, loginWithPassword, resume } satisfies Service
  })

/**
 * The header names Effect must redact when it logs or inspects headers (the customer's token).
 *
 * @since 0.1.0
 * @category constants
 */
export const redactedHeaders: ReadonlyArray<string> = [CustomerAuthRequest.headerNames.authorization]

/**
 * The Effect-side redaction of `cap_authorization` in logs and inspected headers.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerRedactHeaders: Layer.Layer<never> = /* @__PURE__ */ Layer.effect(
  Headers.CurrentRedactedNames,
  Effect.map(Headers.CurrentRedactedNames, (names) => [...names, ...redactedHeaders])
)

/**
 * A layer from a validated config (with `layerRedactHeaders`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromConfig = (
  config: CustomerAuthConfig.CustomerAuthConfig
): Layer.Layer<CustomerAuth, never, HttpClient.HttpClient> =>
  Layer.merge(Layer.effect(CustomerAuth, make(config)), layerRedactHeaders)

/**
 * A layer from user input (`CustomerAuthConfig.make`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  input: CustomerAuthConfig.Input
): Layer.Layer<CustomerAuth, ConfigError, HttpClient.HttpClient> =>
  Layer.merge(
    Layer.effect(CustomerAuth, Effect.flatMap(Effect.fromResult(CustomerAuthConfig.make(input)), make)),
    layerRedactHeaders
  )
