import { resolveAttribution } from "./attribution.ts"
import { authenticate } from "./auth.ts"
import { AUTH_ENGINE_PREFIX, AuthEngineService } from "./auth-engine.ts"
import type { AuthEngineControls } from "./auth-engine-types.ts"
import { CAPTURE_PREFIX, CaptureService } from "./capture.ts"
import type { CaptureControls } from "./capture-types.ts"
import { makeClock, type SimClock } from "./clock.ts"
import type { RouteContext, SimContext } from "./context.ts"
import { CustomerStore } from "./customer-store.ts"
import { ROUTES } from "./customers.ts"
import { DEFAULT_MANUAL_EPOCH, SAMPLE_CLIENT, SAMPLE_TILL } from "./defaults.ts"
import { errorBody, type Family, familyOf } from "./envelopes.ts"
import { FaultController } from "./faults.ts"
import { type Jwks, type PublicJwk, TokenSigner } from "./jwt.ts"
import { mulberry32 } from "./prng.ts"
import { Registry } from "./registry.ts"
import { json, type SimOutcome, type SimReply, type SimRequest } from "./reply.ts"
import { generateToken } from "./token-endpoint.ts"
import type {
  ApiClientSpec,
  AuthFailureSignal,
  EntitySpec,
  ExpirySignal,
  Fault,
  RequestLogEntry,
  SimulatorOptions,
  SimulatorStats,
  TillSpec,
  TokenRecord,
  WriteRecord
} from "./types.ts"

/**
 * Path of Capillary's token endpoint.
 *
 * @since 0.1.0
 * @category constants
 */
export const TOKEN_PATH = "/v3/oauth/token/generate"

/** Whether `path` is a Capture operation (`/capture/...`). */
const isCapturePath = (path: string): boolean => path.startsWith(`${CAPTURE_PREFIX}/`)

/** Whether `path` belongs to the Auth Engine or its gateway (`/auth-engine/...`). */
const isAuthEnginePath = (path: string): boolean => path.startsWith(`${AUTH_ENGINE_PREFIX}/`)

/** The error envelope a path answers faults in. */
type FaultFamily = Family | "capture" | "auth-engine"

/** Path where the simulator (not Capillary) publishes its signing key. */
const JWKS_PATH = "/.well-known/jwks.json"

const MAX_BODY_LOG = 4096

type Parsed = { readonly ok: true; readonly value: unknown } | { readonly ok: false }

const parseJson = (text: string): Parsed => {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

// Token-request secrets and Auth Engine passwords must never sit in the log verbatim.
const redact = (value: unknown): unknown => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value
  if (!("secret" in value) && !("password" in value)) return value
  return {
    ...value,
    ...("secret" in value ? { secret: "[redacted]" } : {}),
    ...("password" in value ? { password: "[redacted]" } : {})
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const FAULT_MESSAGES: Record<number, string> = {
  4000: "Not authorized. Access is denied!",
  4001: "Authorization status unavailable!"
}

/**
 * The transport-independent simulator: state, controls and the request pipeline. {@link startSimulator}
 * serves it over node:http; {@link SimulatorCore.fetch} serves it as a web-standard handler (e.g. for
 * `Deno.serve`).
 *
 * @example
 * const core = await SimulatorCore.create({ clock: "manual" })
 * const res = await core.fetch(new Request("http://sim/.well-known/jwks.json"))
 * @since 0.1.0
 * @category constructors
 */
export class SimulatorCore implements SimContext {
  readonly registry: Registry
  readonly clock: SimClock
  readonly faults: FaultController
  readonly customers = new CustomerStore()
  private readonly captureService: CaptureService
  private readonly authEngineService: AuthEngineService
  /** Requests received, oldest first. */
  readonly requests: RequestLogEntry[] = []
  /** Accepted writes, oldest first. */
  readonly writes: WriteRecord[] = []
  /** Tokens issued since start (or the last `reset`), oldest first. */
  readonly tokens: TokenRecord[] = []
  /** Revoked token strings. */
  readonly revoked = new Set<string>()
  expirySignal: ExpirySignal
  authFailureSignal: AuthFailureSignal
  readonly tokenErrorStatus: number
  readonly requireJsonContentType: boolean
  readonly cors: boolean

  private readonly maxLog: number
  private readonly issued = new Set<string>()
  private readonly forced = new Map<string, number>()
  private tokenCounts = new Map<string, number>()
  private tokenTotal = 0
  private apiCounts = new Map<string, number>()
  private writeSeq = 0
  private requestSeq = 0
  private readonly requestPrefix = crypto.randomUUID().slice(0, 8)

  private constructor(
    readonly signer: TokenSigner,
    private readonly options: SimulatorOptions
  ) {
    this.clock = makeClock(options.clock ?? "real", options.startTime ?? DEFAULT_MANUAL_EPOCH)
    this.faults = new FaultController(mulberry32(options.seed ?? 1))
    this.registry = new Registry(options.entities ?? [])
    for (const c of options.clients ?? [SAMPLE_CLIENT]) this.registry.addClient(c)
    for (const t of options.tills ?? [SAMPLE_TILL]) this.registry.addTill(t)
    this.expirySignal = options.expirySignal ?? "http-498"
    this.authFailureSignal = options.authFailureSignal ?? "both"
    this.tokenErrorStatus = options.tokenErrorStatus ?? 401
    this.requireJsonContentType = options.requireJsonContentType ?? true
    this.cors = options.cors ?? true
    this.maxLog = options.maxLogEntries ?? 100_000
    this.captureService = new CaptureService(this.clock, options.capture, this.maxLog)
    this.authEngineService = new AuthEngineService(this.clock, options.authEngine, this.maxLog)
  }

  /** Creates a simulator core with a freshly generated RS256 key pair. */
  static async create(options: SimulatorOptions = {}): Promise<SimulatorCore> {
    // Validate clients and tills before paying for RSA key generation.
    const probe = new Registry([])
    for (const c of options.clients ?? []) probe.addClient(c)
    for (const t of options.tills ?? []) probe.addTill(t)
    new CaptureService(makeClock("manual", 0), options.capture) // throws on invalid Capture clients or users
    new AuthEngineService(makeClock("manual", 0), options.authEngine) // throws on invalid Auth Engine options
    return new SimulatorCore(await TokenSigner.create(options.sharedKey ?? false), options)
  }

  /** The Capture simulator served under `/capture`: its logs, counters and helpers. */
  get capture(): CaptureControls {
    return this.captureService
  }

  /** The end-customer Auth Engine and its gateway, served under `/auth-engine`: logs, counters and helpers. */
  get authEngine(): AuthEngineControls {
    return this.authEngineService
  }

  /** The RS256 public key as a JWKS (also served at `/.well-known/jwks.json`). */
  get jwks(): Jwks {
    return this.signer.jwks
  }

  /** The RS256 public key (kid `k1`) as a JWK. */
  get publicJwk(): PublicJwk {
    return this.signer.jwks.keys[0]!
  }

  addClient(spec: ApiClientSpec): void {
    this.registry.addClient(spec)
  }

  addTill(spec: TillSpec): void {
    this.registry.addTill(spec)
  }

  /** Makes `code` a known attribution entity of `type`. */
  addEntity(spec: EntitySpec): void {
    this.registry.addEntity(spec)
  }

  /** The client can no longer generate tokens; its issued tokens now answer 401. */
  disableClient(key: string): void {
    const client = this.registry.clients.get(key)
    if (client === undefined) throw new Error(`no API client with key ${key}`)
    client.enabled = false
  }

  /**
   * The client is deleted, as an org admin deletes an API client: token generation then fails as for an unknown
   * key (code 320001) and its issued tokens answer 401.
   */
  deleteClient(key: string): void {
    if (!this.registry.clients.delete(key)) throw new Error(`no API client with key ${key}`)
  }

  enableClient(key: string): void {
    const client = this.registry.clients.get(key)
    if (client === undefined) throw new Error(`no API client with key ${key}`)
    client.enabled = true
  }

  /** That exact token now answers 401 Unauthorized. */
  revokeToken(token: string): void {
    this.revoked.add(token)
  }

  /** Every token issued so far now answers expired (498); tokens issued afterwards are unaffected. */
  expireAllTokens(): void {
    const now = this.clock.now()
    for (const jti of this.issued) if (!this.forced.has(jti)) this.forced.set(jti, now)
  }

  setExpirySignal(mode: ExpirySignal): void {
    this.expirySignal = mode
  }

  setAuthFailureSignal(mode: AuthFailureSignal): void {
    this.authFailureSignal = mode
  }

  /** A snapshot of the counters. */
  stats(): SimulatorStats {
    return {
      tokenRequests: Object.fromEntries(this.tokenCounts),
      tokenRequestsTotal: this.tokenTotal,
      apiRequests: Object.fromEntries(this.apiCounts)
    }
  }

  /**
   * Clears counters, the request log, writes, the token log and faults; restores the customers and the
   * signal modes given at start. Keeps clients, tills, the key pair, and the state of issued tokens
   * (valid, revoked or expired tokens stay so).
   */
  reset(): void {
    this.requests.length = 0
    this.writes.length = 0
    this.tokens.length = 0
    this.tokenCounts = new Map()
    this.tokenTotal = 0
    this.apiCounts = new Map()
    this.faults.clear()
    this.customers.reset()
    this.captureService.reset()
    this.authEngineService.reset()
    this.expirySignal = this.options.expirySignal ?? "http-498"
    this.authFailureSignal = this.options.authFailureSignal ?? "both"
  }

  /** @internal When `expireAllTokens` covered this token, the clock time it did so. */
  forcedExpiry(jti: string): number | undefined {
    return this.forced.get(jti)
  }

  /** @internal */
  recordToken(record: TokenRecord): void {
    this.issued.add(record.jti)
    this.tokens.push(record)
  }

  /** @internal Records an accepted write and returns its unique id. */
  recordWrite(ctx: RouteContext): string {
    const writeId = `w_${++this.writeSeq}_${this.requestPrefix}`
    this.writes.push({
      writeId,
      method: ctx.method,
      path: ctx.path,
      attribution: ctx.attribution,
      body: ctx.body,
      principal: ctx.principal.name,
      at: this.clock.now()
    })
    return writeId
  }

  /**
   * A web-standard handler. `reset` faults reject (there is no socket to destroy) and `no-response` faults
   * never settle; everything else behaves as on the node server.
   */
  readonly fetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url)
    const headers: Record<string, string> = {}
    request.headers.forEach((v, k) => {
      headers[k] = v
    })
    const body = request.method === "GET" || request.method === "HEAD" ? "" : await request.text()
    const outcome = await this.dispatch({
      method: request.method,
      url: url.pathname + url.search,
      headers,
      body
    })
    if (outcome.kind === "reset" || (outcome.kind === "reply" && outcome.afterwards === "reset")) {
      throw new Error("capauth simulator: reset fault (only the node server can destroy the socket)")
    }
    if (outcome.kind === "no-response" || outcome.afterwards === "no-response")
      return new Promise<Response>(() => {})
    const { reply } = outcome
    return new Response(reply.body === "" ? null : reply.body, {
      status: reply.status,
      headers: reply.headers
    })
  }

  /** Runs one request through faults, routing, logging and counters. */
  async dispatch(req: SimRequest): Promise<SimOutcome> {
    const requestId = `${this.requestPrefix}-${++this.requestSeq}`
    const at = this.clock.now()
    const method = req.method.toUpperCase()
    const q = req.url.indexOf("?")
    const path = q < 0 ? req.url : req.url.slice(0, q)
    const query = q < 0 ? "" : req.url.slice(q + 1)
    const parsed: Parsed = req.body === "" ? { ok: false } : parseJson(req.body)

    if (path === TOKEN_PATH && method === "POST") {
      this.tokenTotal++
      const key = parsed.ok ? (parsed.value as { key?: unknown } | null)?.key : undefined
      if (typeof key === "string") this.tokenCounts.set(key, (this.tokenCounts.get(key) ?? 0) + 1)
    }

    const fault = method === "OPTIONS" ? undefined : this.faults.pick(method, path)
    const capture = isCapturePath(path)
    const family: FaultFamily = capture ? "capture" : isAuthEnginePath(path) ? "auth-engine" : familyOf(path)
    const outcome = await this.applyFault(fault, family, () =>
      this.route(method, path, query, req, parsed, requestId)
    )

    if (outcome.kind === "reply") {
      const h = outcome.reply.headers
      h["X-Cap-Requestid"] = requestId
      if (this.cors) {
        h["access-control-allow-origin"] = "*"
        h["access-control-expose-headers"] = "X-Cap-Requestid, Retry-After"
      }
    }
    const status = outcome.kind === "reply" && outcome.afterwards === undefined ? outcome.reply.status : 0
    const statusKey =
      outcome.kind === "reply" ? (outcome.afterwards ?? String(outcome.reply.status)) : outcome.kind
    const countKey = `${method} ${path} -> ${statusKey}`
    this.apiCounts.set(countKey, (this.apiCounts.get(countKey) ?? 0) + 1)
    if (this.requests.length >= this.maxLog + this.maxLog / 10)
      this.requests.splice(0, this.requests.length - this.maxLog)
    this.requests.push({
      method,
      path,
      query,
      status,
      headers: req.headers,
      ...(req.body === "" ? {} : { body: this.loggedBody(path, req.body, parsed, capture) }),
      ...(fault ? { fault: fault.kind } : {}),
      at,
      requestId
    })
    return outcome
  }

  private loggedBody(path: string, raw: string, parsed: Parsed, capture: boolean): unknown {
    // Capture bodies are forms carrying client_secret: log the fields, the secret redacted.
    if (capture && !parsed.ok) {
      const fields: Record<string, string> = {}
      for (const [k, v] of new URLSearchParams(raw)) fields[k] = k === "client_secret" ? "[redacted]" : v
      return fields
    }
    if (parsed.ok) return redact(parsed.value)
    if (path === TOKEN_PATH) return "[unparseable token request body redacted]"
    return raw.length > MAX_BODY_LOG ? `${raw.slice(0, MAX_BODY_LOG)}...` : raw
  }

  /** The error body of a fault: the path family's envelope, or Capture's / the Auth Engine's on their paths. */
  private faultBody(family: FaultFamily, code: number, message: string | undefined, status: number) {
    if (family === "capture") return this.captureService.faultBody(code, message)
    if (family === "auth-engine") return this.authEngineService.faultBody(code, message)
    return errorBody(family, code, message ?? FAULT_MESSAGES[code] ?? `Simulated HTTP ${status}`)
  }

  private async applyFault(
    fault: Fault | undefined,
    family: FaultFamily,
    serve: () => Promise<SimReply>
  ): Promise<SimOutcome> {
    if (fault === undefined) return { kind: "reply", reply: await serve() }
    switch (fault.kind) {
      case "latency":
        await sleep(fault.ms)
        return { kind: "reply", reply: await serve() }
      case "status": {
        const code = fault.errorCode ?? fault.status
        const body =
          fault.body === undefined
            ? JSON.stringify(this.faultBody(family, code, fault.message, fault.status))
            : typeof fault.body === "string"
              ? fault.body
              : JSON.stringify(fault.body)
        const headers = { "content-type": "application/json", ...fault.headers }
        return { kind: "reply", reply: { status: fault.status, headers, body } }
      }
      case "rate-limit":
        return {
          kind: "reply",
          // Capture's own signal for too many calls is code 510 api_limit_error.
          reply: json(
            429,
            family === "capture"
              ? this.captureService.faultBody(510, undefined)
              : family === "auth-engine"
                ? this.authEngineService.faultBody(429, "Too many requests")
                : errorBody(family, 429, "Too many requests"),
            {
              "retry-after": String(fault.retryAfterSeconds)
            }
          )
        }
      case "reset":
      case "no-response":
        if (fault.phase === "after") return { kind: "reply", reply: await serve(), afterwards: fault.kind }
        return { kind: fault.kind }
      case "malformed-json": {
        const reply = await serve()
        // Complete but syntactically invalid: a stray comma right after the opening brace.
        reply.body = reply.body.startsWith("{") ? `{,${reply.body.slice(1)}` : `{,${reply.body}`
        return { kind: "reply", reply }
      }
      case "truncated-json": {
        const reply = await serve()
        // A well-formed HTTP message whose JSON stops halfway.
        reply.body = reply.body.slice(0, Math.floor(reply.body.length / 2))
        return { kind: "reply", reply }
      }
      case "wrong-content-type": {
        const reply = await serve()
        reply.headers["content-type"] = fault.contentType ?? "text/html; charset=utf-8"
        return { kind: "reply", reply }
      }
    }
  }

  private async route(
    method: string,
    path: string,
    query: string,
    req: SimRequest,
    parsed: Parsed,
    requestId: string
  ): Promise<SimReply> {
    if (method === "OPTIONS" && this.cors) {
      return {
        status: 204,
        headers: {
          "access-control-allow-methods": "GET, POST, OPTIONS",
          "access-control-allow-headers": req.headers["access-control-request-headers"] ?? "*",
          "access-control-max-age": "600"
        },
        body: ""
      }
    }
    if (isCapturePath(path)) {
      return this.captureService.handle({
        method,
        endpoint: path.slice(CAPTURE_PREFIX.length),
        query,
        headers: req.headers,
        body: req.body,
        requestId
      })
    }
    if (isAuthEnginePath(path)) {
      return this.authEngineService.handle({
        method,
        endpoint: path.slice(AUTH_ENGINE_PREFIX.length),
        query,
        headers: req.headers,
        body: req.body,
        requestId,
        requireJsonContentType: this.requireJsonContentType
      })
    }
    const family = familyOf(path)
    if (path === TOKEN_PATH) {
      if (method !== "POST") return json(405, errorBody(family, 405, "Method not allowed"))
      const typeError = this.checkJsonContentType(req, family)
      if (typeError) return typeError
      return generateToken(this, parsed.ok ? parsed.value : undefined)
    }
    if (path === JWKS_PATH && method === "GET") return json(200, this.jwks)

    let methodMismatch = false
    for (const route of ROUTES) {
      const m = route.pattern.exec(path)
      if (m === null) continue
      if (route.method !== method) {
        methodMismatch = true
        continue
      }
      const principal = await authenticate(this, req.headers, family, route.resource, route.needed)
      if ("status" in principal) return principal
      const attribution = resolveAttribution(
        this.registry,
        req.headers,
        family,
        principal.defaultTill,
        principal.kind === "basic"
      )
      if ("status" in attribution) return attribution
      if (route.jsonBody) {
        const typeError = this.checkJsonContentType(req, family)
        if (typeError) return typeError
        if (!parsed.ok) return json(400, errorBody(family, 400, "Request body is not valid JSON"))
      }
      return route.handle({
        core: this,
        principal,
        attribution,
        body: parsed.ok ? parsed.value : undefined,
        query: new URLSearchParams(query),
        params: m.slice(1),
        path,
        method
      })
    }
    return methodMismatch
      ? json(405, errorBody(family, 405, "Method not allowed"))
      : json(404, errorBody(family, 404, `No such resource: ${path}`))
  }

  private checkJsonContentType(req: SimRequest, family: Family): SimReply | undefined {
    if (!this.requireJsonContentType) return undefined
    const ct = req.headers["content-type"] ?? ""
    return ct.toLowerCase().includes("application/json")
      ? undefined
      : json(400, errorBody(family, 400, "Content-Type must be application/json"))
  }
}
