/**
 * The end-customer Auth Engine simulator: sessions, OTPs, passwords, HS256 tokens and mobile keys, token
 * regeneration, and the API gateway that takes the tokens (`cap_authorization`). Served by the same simulator
 * process under {@link AUTH_ENGINE_PREFIX}; it shares only the clock with the rest.
 */
import { randomBytes, randomInt, randomUUID } from "node:crypto"
import { type Hs256Claims, type Hs256Header, signHs256, verifyHs256 } from "./auth-engine-jwt.ts"
import type {
  AuthEngineBrandSpec,
  AuthEngineControls,
  AuthEngineErrorSignal,
  AuthEngineIdentifierType,
  AuthEngineOptions,
  AuthEngineRequestLogEntry,
  AuthEngineStats,
  AuthEngineTokenRecord,
  AuthEngineUserSpec
} from "./auth-engine-types.ts"
import type { SimClock } from "./clock.ts"
import { SAMPLE_AUTH_ENGINE_BRAND, SAMPLE_AUTH_ENGINE_USER } from "./defaults.ts"
import { json, type SimReply } from "./reply.ts"

/**
 * Path prefix of the Auth Engine: a client's Auth Engine base URL is `${sim.url}/auth-engine` (`sim.authEngineUrl`),
 * its gateway base URL `${sim.url}/auth-engine/gateway`, and a fault rule names the full path, e.g.
 * `/auth-engine/auth/v1/otp/validate`.
 *
 * @since 0.1.0
 * @category constants
 */
export const AUTH_ENGINE_PREFIX = "/auth-engine"

const ISSUER = "CAPILLARY TECHNOLOGIES"
const IDENTIFIER_TYPES: ReadonlySet<string> = new Set(["MOBILE", "EMAIL", "USERNAME"])

/** The descriptions of Capillary's Auth Engine status-code table. */
const MESSAGES: Readonly<Record<number, string>> = {
  1502: "Unable to validate OTP.",
  1503: "Unable to generate OTP.",
  1504: "Unable to generate token.",
  1505: "Invalid session.",
  1506: "Invalid OTP.",
  1507: "Mobile number does not match with the mobile number used to generate token/session.",
  1508: "Device ID does not match with the device ID used to generate token/session.",
  1509: "Brand name does not match with the brand name used to generate token/session.",
  1515: "User does not exist.",
  1518: "Reached the maximum allowed OTP retry attempts, Authenticate form the start.",
  1519: "Invalid details passed.",
  1520: "Password is enabled for the brand. Password cannot be empty.",
  1524: "Password is not enabled for the brand.",
  1525: "Cannot regenerate token, please authenticate again.",
  1528: "Invalid password, please try with the correct password.",
  1529: "Token has expired.",
  1530: "Reached the maximum allowed password retry attempts, please reset your password.",
  1534: "Reached the maximum number of OTPs allowed per customer.",
  1537: "OTP is not generated for the provided details. Please generate OTP and try again.",
  1541: "Identifier used to generate session does not match with the identifier used to generate or validate OTP.",
  1546: "Invalid identifierType passed."
}

/** HTTP status of each code under the `status` error signal; anything else is 400. */
const HTTP_STATUS: Readonly<Record<number, number>> = {
  404: 404,
  405: 405,
  1505: 401,
  1506: 401,
  1518: 401,
  1525: 401,
  1528: 401,
  1529: 401,
  1530: 401,
  1534: 429
}

const OK = { success: true, code: 200, message: "SUCCESS" } as const

/** The error envelope, `{"status":{"success":false,"code","message"}}`. */
const authEngineErrorBody = (code: number, message: string | undefined) => ({
  status: { success: false, code, message: message ?? MESSAGES[code] ?? `Simulated error ${code}` }
})

interface Brand {
  readonly name: string
  readonly orgId: number
  readonly passwordLogin: boolean
}

interface User {
  readonly id: number
  readonly brand: string
  readonly mobile?: string
  readonly email?: string
  readonly username?: string
  readonly password?: string
  readonly firstname?: string
  readonly lastname?: string
}

interface Session {
  readonly id: string
  readonly brand: Brand
  readonly identifierType: AuthEngineIdentifierType
  readonly identifierValue: string
  readonly deviceId: string | null
  userId: number | undefined
  readonly expiresAt: number
  forced: boolean
  state: "open" | "validated" | "used" | "locked"
  validatedBy: "otp" | "password" | undefined
  otp: string | undefined
  wrongOtps: number
}

/** What the simulator remembers of a token or key it signed (keyed by `jti`). */
interface Issued {
  readonly kind: "token" | "key"
  readonly userId: number
  readonly brand: Brand
  readonly deviceId: string | null
  readonly identifierType: AuthEngineIdentifierType
  readonly identifierValue: string
  /** Epoch seconds; undefined for keys. */
  readonly exp: number | undefined
  forced: boolean
  revoked: boolean
}

/** An error answer: the code and a message (the table's, unless a more precise one is given). */
class Failure {
  constructor(
    readonly code: number,
    readonly message: string
  ) {}
}

function fail(code: number, detail?: string): never {
  const base = MESSAGES[code] ?? `Error ${code}`
  throw new Failure(code, detail === undefined ? base : `${base} (${detail})`)
}

type Body = Readonly<Record<string, unknown>>

/** A non-empty string field, or undefined. */
const str = (body: Body, name: string): string | undefined => {
  const v = body[name]
  return typeof v === "string" && v !== "" ? v : undefined
}

const need = (body: Body, name: string): string => str(body, name) ?? fail(1519, `${name} is required`)

const lower = (s: string): string => s.toLowerCase()

/** One request as the handlers see it. */
interface Call {
  body: Body
  readonly headers: Readonly<Record<string, string>>
  readonly now: number
  /** Web paths (`/auth/v1/web/...`): no device, no key. */
  readonly web: boolean
  sessionId: string | undefined
}

/** The request handed over by the simulator core. */
export interface AuthEngineRequest {
  readonly method: string
  /** The path without the prefix: `/auth/v1/otp/generate`. */
  readonly endpoint: string
  readonly query: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly requestId: string
  /** Whether POST bodies must be sent as `application/json`. */
  readonly requireJsonContentType: boolean
}

type Handler = (call: Call) => Record<string, unknown>

const ADMIN_OTP = "/_admin/otp"
const GATEWAY_PROFILE = "/gateway/v1/customer/profile"

/**
 * The Auth Engine state and its endpoints. `sim.authEngine` exposes it as {@link AuthEngineControls}.
 */
export class AuthEngineService implements AuthEngineControls {
  readonly requests: AuthEngineRequestLogEntry[] = []
  readonly tokens: AuthEngineTokenRecord[] = []
  readonly secret: string

  private readonly brands = new Map<string, Brand>()
  private readonly baseUsers = new Map<number, User>()
  private users = new Map<number, User>()
  private readonly sessions = new Map<string, Session>()
  private readonly issued = new Map<string, Issued>()
  private otpGenerates = new Map<string, number[]>()
  private passwordFailures = new Map<number, number>()
  private errorSignal: AuthEngineErrorSignal
  private counters = AuthEngineService.zero()
  private readonly tokenTtl: number
  private readonly sessionTtl: number
  private readonly otpAttempts: number
  private readonly otpGenerateLimit: number
  private readonly otpGenerateWindowMs: number
  private readonly passwordAttempts: number
  private readonly fixedOtp: string | undefined
  private readonly firstBrand: string

  constructor(
    private readonly clock: SimClock,
    private readonly options: AuthEngineOptions = {},
    /** The request log keeps about this many newest entries (the simulator's `maxLogEntries`). */
    private readonly maxLog = 100_000
  ) {
    const positive = (name: string, v: number | undefined, fallback: number, min = 1): number => {
      const n = v ?? fallback
      if (!Number.isInteger(n) || n < min)
        throw new RangeError(`authEngine.${name} must be an integer >= ${min}`)
      return n
    }
    this.tokenTtl = positive("tokenTtlSeconds", options.tokenTtlSeconds, 900)
    this.sessionTtl = positive("sessionTtlSeconds", options.sessionTtlSeconds, 900)
    this.otpAttempts = positive("otpAttempts", options.otpAttempts, 3, 0)
    this.otpGenerateLimit = positive("otpGenerateLimit", options.otpGenerateLimit, 10)
    this.otpGenerateWindowMs =
      positive("otpGenerateWindowSeconds", options.otpGenerateWindowSeconds, 86_400) * 1000
    this.passwordAttempts = positive("passwordAttempts", options.passwordAttempts, 5, 0)
    if (options.otp !== undefined && !/^\d{4,8}$/.test(options.otp)) {
      throw new TypeError("authEngine.otp must be 4 to 8 digits")
    }
    this.fixedOtp = options.otp
    if (options.secret !== undefined && options.secret === "")
      throw new TypeError("authEngine.secret is empty")
    this.secret = options.secret ?? randomBytes(32).toString("hex")
    this.errorSignal = options.errorSignal ?? "status"
    const brands = options.brands ?? [SAMPLE_AUTH_ENGINE_BRAND]
    if (brands.length === 0) throw new TypeError("authEngine.brands needs at least one brand")
    for (const b of brands) this.addBrand(b)
    this.firstBrand = brands[0]!.name
    for (const u of options.users ?? [SAMPLE_AUTH_ENGINE_USER]) this.addUser(u)
  }

  private static zero() {
    return {
      sessionsCreated: 0,
      otpGenerated: 0,
      otpValidated: 0,
      otpRejected: 0,
      passwordValidated: 0,
      passwordRejected: 0,
      tokensGenerated: 0,
      tokensRegenerated: 0,
      regenerateRefused: 0,
      gatewayCalls: new Map<string, number>(),
      operations: new Map<string, number>()
    }
  }

  addBrand(spec: AuthEngineBrandSpec): void {
    if (!spec.name) throw new TypeError("an Auth Engine brand needs a non-empty name")
    const orgId = spec.orgId ?? 100
    if (!Number.isInteger(orgId) || orgId <= 0)
      throw new RangeError("an Auth Engine brand's orgId must be > 0")
    this.brands.set(lower(spec.name), { name: spec.name, orgId, passwordLogin: spec.passwordLogin ?? true })
  }

  addUser(spec: AuthEngineUserSpec): void {
    const brand = this.brands.get(lower(spec.brand ?? this.firstBrand))
    if (brand === undefined) throw new TypeError(`unknown Auth Engine brand ${spec.brand}`)
    if (!spec.mobile && !spec.email && !spec.username) {
      throw new TypeError("an Auth Engine user needs a mobile, an email or a username")
    }
    const id = spec.id ?? this.nextId()
    if (!Number.isInteger(id) || id <= 0)
      throw new RangeError("an Auth Engine user's id must be an integer > 0")
    const user: User = { ...spec, id, brand: brand.name }
    for (const t of ["MOBILE", "EMAIL", "USERNAME"] as const) {
      const value = this.identifierOf(user, t)
      const other = value === undefined ? undefined : this.find(brand, t, value)
      if (other !== undefined && other.id !== id) {
        throw new TypeError(`Auth Engine user ${id}: ${t} ${value} already belongs to user ${other.id}`)
      }
    }
    this.baseUsers.set(id, user)
    this.users.set(id, user)
  }

  user(identifierValue: string, brand?: string): AuthEngineUserSpec | undefined {
    const u = this.findAny(identifierValue, brand)
    return u === undefined ? undefined : { ...u }
  }

  otp(sessionId: string): string | undefined {
    return this.sessions.get(sessionId)?.otp
  }

  expireTokens(): void {
    for (const s of this.issued.values()) if (s.kind === "token") s.forced = true
  }

  expireSessions(): void {
    for (const s of this.sessions.values()) s.forced = true
  }

  revokeToken(token: string): void {
    this.revoke(token, "token")
  }

  revokeKey(key: string): void {
    this.revoke(key, "key")
  }

  revokeUser(identifierValue: string, brand?: string): void {
    const user = this.findAny(identifierValue, brand)
    if (user === undefined) throw new Error(`no Auth Engine user ${identifierValue}`)
    for (const s of this.issued.values()) if (s.userId === user.id) s.revoked = true
  }

  setErrorSignal(mode: AuthEngineErrorSignal): void {
    this.errorSignal = mode
  }

  stats(): AuthEngineStats {
    const { gatewayCalls, operations, ...counts } = this.counters
    return {
      ...counts,
      gatewayCalls: Object.fromEntries(gatewayCalls),
      operations: Object.fromEntries(operations)
    }
  }

  /**
   * @internal Clears counters, logs and the token log, the OTP-generation windows and password lockouts;
   * restores the users given at start (or added by `addUser`: customers who signed up by OTP are dropped) and
   * the configured error signal. Keeps brands, sessions and the state of issued tokens and keys.
   */
  reset(): void {
    this.requests.length = 0
    this.tokens.length = 0
    this.counters = AuthEngineService.zero()
    this.otpGenerates = new Map()
    this.passwordFailures = new Map()
    this.users = new Map(this.baseUsers)
    this.errorSignal = this.options.errorSignal ?? "status"
  }

  /** @internal The error body a fault answers on an Auth Engine path. */
  faultBody(code: number, message: string | undefined): unknown {
    return authEngineErrorBody(code, message)
  }

  /** @internal Serves one Auth Engine request. */
  handle(req: AuthEngineRequest): SimReply {
    const method = req.method.toUpperCase()
    if (req.endpoint === ADMIN_OTP && method === "GET") return this.adminOtp(req.query)
    const now = this.clock.now()
    let parsedBody: unknown
    let code = 200
    let body: Record<string, unknown>
    const call: Call = {
      body: {},
      headers: req.headers,
      now,
      web: req.endpoint.startsWith("/auth/v1/web/"),
      sessionId: undefined
    }
    try {
      const route = this.routes[req.endpoint]
      if (route === undefined) throw new Failure(404, `No such Auth Engine resource: ${req.endpoint}`)
      if (route.method !== method) throw new Failure(405, `Use ${route.method}`)
      if (method === "POST") {
        const ct = (req.headers["content-type"] ?? "").toLowerCase()
        if (req.requireJsonContentType && !ct.includes("application/json")) {
          fail(1519, "Content-Type must be application/json")
        }
        try {
          parsedBody = JSON.parse(req.body)
        } catch {
          fail(1519, "the body must be a JSON object")
        }
        if (typeof parsedBody !== "object" || parsedBody === null || Array.isArray(parsedBody)) {
          fail(1519, "the body must be a JSON object")
        }
        call.body = parsedBody as Body
      }
      body = { status: OK, ...route.handle(call) }
    } catch (err) {
      if (!(err instanceof Failure)) throw err
      code = err.code
      body = authEngineErrorBody(err.code, err.message)
    }
    const http =
      code === 200 ? 200 : this.errorSignal === "body" && code > 999 ? 200 : (HTTP_STATUS[code] ?? 400)
    this.log(req, method, call, parsedBody, http, code)
    return json(http, body)
  }

  private log(
    req: AuthEngineRequest,
    method: string,
    call: Call,
    parsedBody: unknown,
    httpStatus: number,
    code: number
  ): void {
    const c = this.counters
    const outcome = code === 200 ? "ok" : String(code)
    const key = `${req.endpoint} -> ${outcome}`
    c.operations.set(key, (c.operations.get(key) ?? 0) + 1)
    if (req.endpoint === GATEWAY_PROFILE) c.gatewayCalls.set(outcome, (c.gatewayCalls.get(outcome) ?? 0) + 1)
    if (this.requests.length >= this.maxLog + this.maxLog / 10)
      this.requests.splice(0, this.requests.length - this.maxLog)
    const logged =
      typeof parsedBody === "object" && parsedBody !== null && "password" in parsedBody
        ? { ...parsedBody, password: "[redacted]" }
        : parsedBody
    this.requests.push({
      operation: req.endpoint,
      method,
      ...(logged === undefined ? {} : { body: logged }),
      ...(call.sessionId === undefined ? {} : { sessionId: call.sessionId }),
      httpStatus,
      code,
      success: code === 200,
      at: call.now,
      requestId: req.requestId
    })
  }

  /** `GET /_admin/otp?sessionId=...`: the pending OTP of a session (simulator only). */
  private adminOtp(query: string): SimReply {
    const sessionId = new URLSearchParams(query).get("sessionId") ?? ""
    const s = this.sessions.get(sessionId)
    if (s?.otp === undefined) {
      return json(404, authEngineErrorBody(404, `No pending OTP for session ${sessionId}`))
    }
    return json(200, {
      sessionId: s.id,
      otp: s.otp,
      identifierType: s.identifierType,
      identifierValue: s.identifierValue,
      brand: s.brand.name,
      expiresAt: s.expiresAt
    })
  }

  // ---- users and brands -------------------------------------------------------------------------------------

  private nextId(): number {
    let max = 0
    for (const u of [...this.baseUsers.values(), ...this.users.values()]) max = Math.max(max, u.id)
    return max + 1
  }

  private identifierOf(user: User, type: AuthEngineIdentifierType): string | undefined {
    return type === "MOBILE" ? user.mobile : type === "EMAIL" ? user.email : user.username
  }

  private find(brand: Brand, type: AuthEngineIdentifierType, value: string): User | undefined {
    const wanted = type === "EMAIL" ? lower(value) : value
    for (const u of this.users.values()) {
      if (u.brand !== brand.name) continue
      const v = this.identifierOf(u, type)
      if (v !== undefined && (type === "EMAIL" ? lower(v) : v) === wanted) return u
    }
    return undefined
  }

  private findAny(value: string, brand: string | undefined): User | undefined {
    for (const u of this.users.values()) {
      if (brand !== undefined && lower(u.brand) !== lower(brand)) continue
      if (u.mobile === value || u.username === value || (u.email && lower(u.email) === lower(value))) return u
    }
    return undefined
  }

  private brandOf(call: Call): Brand {
    const name = need(call.body, "brand")
    return this.brands.get(lower(name)) ?? fail(1519, `unknown brand ${name}`)
  }

  private revoke(token: string, kind: Issued["kind"]): void {
    const state = this.lookup(token)?.state
    if (state === undefined || state.kind !== kind) throw new Error(`not a ${kind} this Auth Engine issued`)
    state.revoked = true
  }

  // ---- sessions ---------------------------------------------------------------------------------------------

  /** The identifier fields of a body: `identifierType` and `identifierValue`. */
  private identifier(call: Call): { type: AuthEngineIdentifierType; value: string } {
    const type = need(call.body, "identifierType")
    if (!IDENTIFIER_TYPES.has(type)) fail(1546, `identifierType ${type}`)
    return { type: type as AuthEngineIdentifierType, value: need(call.body, "identifierValue") }
  }

  /** The session a body names (checked against the body's other fields), or, when `create`, a new one. */
  private session(call: Call, create: boolean): Session {
    const id = str(call.body, "sessionId")
    if (id === undefined) {
      if (!create) return fail(1519, "sessionId is required")
      return this.createSession(call)
    }
    call.sessionId = id
    const s = this.sessions.get(id)
    if (s === undefined) return fail(1505, "unknown sessionId")
    if (s.forced || call.now >= s.expiresAt) return fail(1505, "the session has expired")
    // Fields beside sessionId are optional, but must match the session when given.
    const type = str(call.body, "identifierType")
    const value = str(call.body, "identifierValue")
    if (type !== undefined && !IDENTIFIER_TYPES.has(type)) fail(1546, `identifierType ${type}`)
    if (
      (type !== undefined && type !== s.identifierType) ||
      (value !== undefined && value !== s.identifierValue)
    ) {
      fail(1541)
    }
    const brand = str(call.body, "brand")
    if (brand !== undefined && lower(brand) !== lower(s.brand.name)) fail(1509)
    const device = str(call.body, "deviceId")
    if (!call.web && device !== undefined && s.deviceId !== null && device !== s.deviceId) fail(1508)
    return s
  }

  private createSession(call: Call): Session {
    const { type, value } = this.identifier(call)
    const brand = this.brandOf(call)
    const deviceId = call.web ? null : need(call.body, "deviceId")
    const user = this.find(brand, type, value)
    // Unknown mobiles and emails may sign up by OTP; a username must exist.
    if (user === undefined && type === "USERNAME") fail(1515, `no customer with username ${value}`)
    const s: Session = {
      id: `P-${randomUUID()}`,
      brand,
      identifierType: type,
      identifierValue: value,
      deviceId,
      userId: user?.id,
      expiresAt: call.now + this.sessionTtl * 1000,
      forced: false,
      state: "open",
      validatedBy: undefined,
      otp: undefined,
      wrongOtps: 0
    }
    this.sessions.set(s.id, s)
    call.sessionId = s.id
    this.counters.sessionsCreated++
    return s
  }

  /** `open` sessions only: a locked one answers 1518, a validated or spent one 1505. */
  private requireOpen(s: Session): void {
    if (s.state === "locked") fail(1518)
    if (s.state !== "open") fail(1505, "the session is already validated")
  }

  private userBlock(s: Session | undefined, role: "VIEW" | "USER") {
    const registered = s === undefined || s.userId !== undefined
    return {
      userRegistered: registered,
      appRegistered: registered,
      sessionId: role === "VIEW" && s !== undefined ? s.id : null,
      role
    }
  }

  // ---- tokens -----------------------------------------------------------------------------------------------

  private header(
    brand: Brand,
    type: AuthEngineIdentifierType,
    value: string,
    deviceId: string | null
  ): Hs256Header {
    return { idv: [`${type}|${value}`], dev: deviceId, org: brand.name.toUpperCase(), alg: "HS256" }
  }

  /** A VIEW token for a session (web `token/generate`), valid as long as the session. */
  private viewToken(s: Session): string {
    const iat = Math.floor(s.expiresAt / 1000) - this.sessionTtl
    const claims: Hs256Claims = {
      uid: s.userId === undefined ? "" : String(s.userId),
      iss: ISSUER,
      exp: Math.floor(s.expiresAt / 1000),
      iat,
      rol: "VIEW",
      jti: randomUUID()
    }
    return signHs256(this.secret, this.header(s.brand, s.identifierType, s.identifierValue, null), claims)
  }

  /** Signs a USER token (and, for mobile logins, a key) and records them. */
  private issue(
    call: Call,
    user: User,
    brand: Brand,
    identifierType: AuthEngineIdentifierType,
    identifierValue: string,
    deviceId: string | null,
    via: AuthEngineTokenRecord["via"],
    key: string | undefined
  ): { token: string; key?: string } {
    const iat = Math.floor(call.now / 1000)
    const exp = iat + this.tokenTtl
    const header = this.header(brand, identifierType, identifierValue, deviceId)
    const base = {
      userId: user.id,
      brand,
      deviceId,
      identifierType,
      identifierValue,
      forced: false,
      revoked: false
    }
    const jti = randomUUID()
    const token = signHs256(this.secret, header, {
      uid: String(user.id),
      iss: ISSUER,
      exp,
      iat,
      rol: "USER",
      jti
    })
    this.issued.set(jti, { ...base, kind: "token", exp })
    let newKey = key
    if (newKey === undefined && deviceId !== null && (via === "otp" || via === "password")) {
      const keyJti = randomUUID()
      newKey = signHs256(this.secret, header, {
        uid: String(user.id),
        iss: ISSUER,
        mfa: false,
        iat,
        rol: "AUTH",
        jti: keyJti
      })
      this.issued.set(keyJti, { ...base, kind: "key", exp: undefined })
    }
    this.tokens.push({
      token,
      ...(newKey === undefined ? {} : { key: newKey }),
      variant: deviceId === null ? "web" : "mobile",
      via,
      userId: user.id,
      brand: brand.name,
      deviceId,
      identifierType,
      identifierValue,
      iat,
      exp
    })
    if (via === "otp" || via === "password") this.counters.tokensGenerated++
    else this.counters.tokensRegenerated++
    return newKey === undefined ? { token } : { token, key: newKey }
  }

  /** Tokens for a validated session; mobile paths need a device. */
  private issueForSession(call: Call, s: Session): Record<string, unknown> {
    const user = s.userId === undefined ? undefined : this.users.get(s.userId)
    if (user === undefined) return fail(1515)
    const deviceId = call.web ? null : (s.deviceId ?? need(call.body, "deviceId"))
    const auth = this.issue(
      call,
      user,
      s.brand,
      s.identifierType,
      s.identifierValue,
      deviceId,
      s.validatedBy ?? "otp",
      undefined
    )
    return { auth, user: this.userBlock(undefined, "USER") }
  }

  /**
   * The claims of a token or key signed with this Auth Engine's secret (undefined when the signature is bad),
   * with what the simulator remembers of it (undefined for VIEW tokens and anything it did not issue).
   */
  private lookup(token: string): { claims: Hs256Claims; state: Issued | undefined } | undefined {
    const v = verifyHs256(this.secret, token)
    return v === null ? undefined : { claims: v.claims, state: this.issued.get(v.claims.jti) }
  }

  // ---- endpoints --------------------------------------------------------------------------------------------

  /** `token/generate`: with a validated `sessionId`, tokens; otherwise a new session (and, on web, a VIEW token). */
  private tokenGenerate(call: Call): Record<string, unknown> {
    if (str(call.body, "sessionId") !== undefined) {
      const s = this.session(call, false)
      if (s.state === "locked") fail(1518)
      if (s.state !== "validated") fail(1505, "validate an OTP or the password in this session first")
      s.state = "used"
      return this.issueForSession(call, s)
    }
    const s = this.createSession(call)
    return {
      ...(call.web ? { auth: { token: this.viewToken(s) } } : {}),
      user: this.userBlock(s, "VIEW")
    }
  }

  private otpGenerate(call: Call): Record<string, unknown> {
    const s = this.session(call, true)
    this.requireOpen(s)
    const windowKey = `${lower(s.brand.name)}|${s.identifierType}|${lower(s.identifierValue)}`
    const recent = (this.otpGenerates.get(windowKey) ?? []).filter(
      (t) => call.now - t < this.otpGenerateWindowMs
    )
    if (recent.length >= this.otpGenerateLimit) {
      this.otpGenerates.set(windowKey, recent)
      fail(1534)
    }
    recent.push(call.now)
    this.otpGenerates.set(windowKey, recent)
    s.otp = this.fixedOtp ?? String(randomInt(100_000, 1_000_000))
    this.counters.otpGenerated++
    return { user: this.userBlock(s, "VIEW") }
  }

  private otpValidate(call: Call): Record<string, unknown> {
    const s = this.session(call, false)
    this.requireOpen(s)
    if (s.wrongOtps >= this.otpAttempts) {
      s.state = "locked"
      fail(1518)
    }
    const raw = call.body.otp
    const given =
      typeof raw === "number" && Number.isInteger(raw) ? String(raw) : typeof raw === "string" ? raw : ""
    if (given === "") fail(1519, "otp is required")
    if (s.otp === undefined) fail(1537)
    if (given !== s.otp) {
      s.wrongOtps++
      this.counters.otpRejected++
      fail(1506)
    }
    s.otp = undefined
    if (s.userId === undefined) s.userId = this.signUp(s)
    s.state = "validated"
    s.validatedBy = "otp"
    this.counters.otpValidated++
    return this.issueForSession(call, s)
  }

  /** A customer who validated an OTP for an unknown mobile or email becomes a customer. */
  private signUp(s: Session): number {
    const user: User = {
      id: this.nextId(),
      brand: s.brand.name,
      ...(s.identifierType === "MOBILE" ? { mobile: s.identifierValue } : { email: s.identifierValue })
    }
    this.users.set(user.id, user)
    return user.id
  }

  private passwordValidate(call: Call): Record<string, unknown> {
    const s = this.session(call, true)
    if (!s.brand.passwordLogin) fail(1524)
    this.requireOpen(s)
    const user = s.userId === undefined ? undefined : this.users.get(s.userId)
    if (user === undefined) return fail(1515)
    const password = call.body.password
    if (typeof password !== "string" || password === "") fail(1520)
    const failures = this.passwordFailures.get(user.id) ?? 0
    if (failures >= this.passwordAttempts) fail(1530)
    if (user.password === undefined || password !== user.password) {
      this.passwordFailures.set(user.id, failures + 1)
      this.counters.passwordRejected++
      fail(1528)
    }
    this.passwordFailures.delete(user.id)
    s.state = "validated"
    s.validatedBy = "password"
    this.counters.passwordValidated++
    return this.issueForSession(call, s)
  }

  /** `token/regenerate`: a new USER token from the mobile `key` or from the (expired) token itself. */
  private regenerate(call: Call): Record<string, unknown> {
    const key = str(call.body, "key")
    const expired = str(call.body, "expiredToken")
    if (key === undefined && expired === undefined) fail(1519, "key or expiredToken is required")
    const kind = key !== undefined ? "key" : "token"
    const refuse = (detail: string): never => {
      this.counters.regenerateRefused++
      return fail(1525, detail)
    }
    const found = this.lookup((key ?? expired)!)
    if (found === undefined) return refuse(`the ${kind} is not valid`)
    const { state } = found
    if (state === undefined || state.kind !== kind) {
      return refuse(
        kind === "key" ? "key is not a mobile key (rol AUTH)" : "expiredToken is not a USER token"
      )
    }
    if (state.revoked) return refuse(`the ${kind} was revoked`)
    if (!state.brand.passwordLogin) return refuse("password login is not enabled for the brand")
    const user = this.users.get(state.userId)
    if (user === undefined) return refuse("the customer no longer exists")
    // Optional fields must match the credential when given.
    const type = str(call.body, "identifierType")
    const value = str(call.body, "identifierValue")
    if (type !== undefined && !IDENTIFIER_TYPES.has(type)) fail(1546, `identifierType ${type}`)
    if (
      (type !== undefined && type !== state.identifierType) ||
      (value !== undefined && value !== state.identifierValue)
    ) {
      fail(1541)
    }
    const brand = str(call.body, "brand")
    if (brand !== undefined && lower(brand) !== lower(state.brand.name)) fail(1509)
    const device = str(call.body, "deviceId")
    if (device !== undefined && state.deviceId !== null && device !== state.deviceId) fail(1508)
    const auth = this.issue(
      call,
      user,
      state.brand,
      state.identifierType,
      state.identifierValue,
      state.deviceId,
      kind === "key" ? "key" : "expiredToken",
      kind === "key" ? key : undefined
    )
    return { auth: kind === "key" ? auth : { token: auth.token }, user: this.userBlock(undefined, "USER") }
  }

  /** The gateway's customer profile: `cap_authorization` (+ `cap_brand`, `cap_device_id`, `cap_mobile`). */
  private profile(call: Call): Record<string, unknown> {
    const h = call.headers
    const token = h.cap_authorization?.trim()
    if (!token) return fail(1505, "cap_authorization is required")
    const found = this.lookup(token)
    if (found === undefined) return fail(1505, "the token is not valid")
    const { claims, state } = found
    if (claims.rol !== "USER") return fail(1505, `a ${claims.rol} token cannot call this API`)
    if (state === undefined || state.kind !== "token") return fail(1505, "the token is not valid")
    if (state.revoked) return fail(1505, "the token was revoked")
    if (state.forced || (state.exp !== undefined && call.now >= state.exp * 1000)) return fail(1529)
    const brand = h.cap_brand
    if (!brand) return fail(1519, "cap_brand is required")
    if (lower(brand) !== lower(state.brand.name)) fail(1509)
    if (state.deviceId !== null) {
      const device = h.cap_device_id
      if (!device) fail(1519, "cap_device_id is required")
      if (device !== state.deviceId) fail(1508)
    }
    const user = this.users.get(state.userId)
    if (user === undefined) return fail(1515)
    const mobile = h.cap_mobile
    if (mobile && mobile !== user.mobile) fail(1507)
    return {
      customer: {
        id: user.id,
        brand: user.brand,
        ...(user.mobile === undefined ? {} : { mobile: user.mobile }),
        ...(user.email === undefined ? {} : { email: user.email }),
        ...(user.username === undefined ? {} : { username: user.username }),
        ...(user.firstname === undefined ? {} : { firstname: user.firstname }),
        ...(user.lastname === undefined ? {} : { lastname: user.lastname })
      }
    }
  }

  private readonly routes: Readonly<Record<string, { readonly method: string; readonly handle: Handler }>> = {
    "/auth/v1/token/generate": { method: "POST", handle: (c) => this.tokenGenerate(c) },
    "/auth/v1/web/token/generate": { method: "POST", handle: (c) => this.tokenGenerate(c) },
    "/auth/v1/otp/generate": { method: "POST", handle: (c) => this.otpGenerate(c) },
    "/auth/v1/web/otp/generate": { method: "POST", handle: (c) => this.otpGenerate(c) },
    "/auth/v1/otp/validate": { method: "POST", handle: (c) => this.otpValidate(c) },
    "/auth/v1/web/otp/validate": { method: "POST", handle: (c) => this.otpValidate(c) },
    "/auth/v1/password/validate": { method: "POST", handle: (c) => this.passwordValidate(c) },
    "/auth/v1/web/password/validate": { method: "POST", handle: (c) => this.passwordValidate(c) },
    "/auth/v1/token/regenerate": { method: "POST", handle: (c) => this.regenerate(c) },
    "/auth/v1/web/token/regenerate": { method: "POST", handle: (c) => this.regenerate(c) },
    [GATEWAY_PROFILE]: { method: "GET", handle: (c) => this.profile(c) }
  }
}
