/**
 * The Capture (Janrain / Akamai Identity Cloud) simulator: client authentication, authorization codes,
 * access/refresh tokens, creation tokens and a small entity store. It is served by the same simulator
 * process under {@link CAPTURE_PREFIX}, and knows nothing of the Capillary side except the shared clock.
 */
import { authenticateClient, type CaptureClient } from "./capture-auth.ts"
import { CaptureEnvelopes, type CaptureError, captureError, randomId } from "./capture-errors.ts"
import type {
  CaptureAuthMode,
  CaptureClientFeature,
  CaptureClientSpec,
  CaptureControls,
  CaptureErrorStyle,
  CaptureOptions,
  CaptureRequestLogEntry,
  CaptureStats,
  CaptureTokenRecord,
  CaptureUserSpec,
  CaptureWriteRecord
} from "./capture-types.ts"
import type { SimClock } from "./clock.ts"
import { SAMPLE_CAPTURE_CLIENT, SAMPLE_CAPTURE_USER } from "./defaults.ts"
import { json, type SimReply } from "./reply.ts"

/**
 * Path prefix of the Capture operations: a client's base URL is `${sim.url}/capture`, and a fault rule for a
 * Capture operation names the full path, e.g. `/capture/oauth/token`.
 *
 * @since 0.1.0
 * @category constants
 */
export const CAPTURE_PREFIX = "/capture"

const FEATURES: ReadonlySet<CaptureClientFeature> = new Set([
  "owner",
  "access_issuer",
  "direct_access",
  "direct_read_access",
  "login_client"
])

/** Attributes the simulator maintains; `attributes` JSON may not set them. */
const RESERVED = new Set(["id", "uuid", "created", "lastUpdated"])

const MAX_TTL_SECONDS = 30 * 24 * 3600

interface UserRecord {
  readonly id: number
  readonly uuid: string
  readonly typeName: string
  attributes: Record<string, unknown>
  readonly created: number
  lastUpdated: number
}

interface CodeState {
  readonly uuid: string
  readonly issuer: string
  readonly forClientId: string | undefined
  readonly redirectUri: string
  readonly expiresAt: number
  used: boolean
}

interface AccessState {
  readonly clientId: string
  readonly uuid: string
  readonly expiresAt: number
  forced: boolean
}

interface RefreshState {
  readonly clientId: string
  readonly uuid: string
  used: boolean
}

interface CreationState {
  readonly typeName: string
  readonly issuer: string
  readonly forClientId: string | undefined
  readonly expiresAt: number
  used: boolean
}

/** An error answer: the Capture error and the HTTP status it travels with. */
class Failure {
  constructor(
    readonly error: CaptureError,
    readonly http: number = 200
  ) {}
}

function fail(code: number, description: string, http = 200): never {
  throw new Failure(captureError(code, description), http)
}

/** One request as the operations see it. */
interface Call {
  readonly endpoint: string
  readonly headers: Readonly<Record<string, string>>
  params: ReadonlyArray<readonly [string, string]>
  readonly now: number
  /** Filled in as authentication proceeds, for the log. */
  auth: CaptureAuthMode
  clientId: string | undefined
}

const param = (call: Call, name: string): string | undefined => call.params.find(([k]) => k === name)?.[1]

const required = (call: Call, name: string, http = 200): string => {
  const v = param(call, name)
  return v === undefined || v === "" ? fail(100, `${name} is required`, http) : v
}

/** Capture's timestamp format, e.g. `2024-01-01 00:00:00.000000 +0000`. */
const captureTime = (ms: number): string =>
  `${new Date(ms).toISOString().slice(0, 23).replace("T", " ")}000 +0000`

const resolveClient = (spec: CaptureClientSpec, defaultTtl: number): CaptureClient => {
  if (!spec.clientId || !spec.clientSecret) {
    throw new TypeError("a Capture client needs a non-empty clientId and clientSecret")
  }
  const ttl = spec.accessTokenTtlSeconds ?? defaultTtl
  if (!Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_TTL_SECONDS) {
    throw new RangeError(`accessTokenTtlSeconds must be an integer in 1..${MAX_TTL_SECONDS}`)
  }
  const features = spec.features ?? ["owner"]
  for (const f of features) if (!FEATURES.has(f)) throw new TypeError(`unknown Capture client feature ${f}`)
  return {
    clientId: spec.clientId,
    clientSecret: spec.clientSecret,
    features: new Set(features),
    accessTokenTtlSeconds: ttl
  }
}

/** The request handed over by the simulator core. */
export interface CaptureRequest {
  readonly method: string
  /** The operation path with its leading `/`, without the prefix: `/entity.count`. */
  readonly endpoint: string
  readonly query: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly requestId: string
}

type Operation = (call: Call) => Record<string, unknown>

/**
 * The Capture simulator state and its operations. `sim.capture` exposes it as {@link CaptureControls}.
 */
export class CaptureService implements CaptureControls {
  readonly requests: CaptureRequestLogEntry[] = []
  readonly writes: CaptureWriteRecord[] = []
  readonly tokens: CaptureTokenRecord[] = []

  private readonly clients = new Map<string, CaptureClient>()
  private readonly baseUsers = new Map<string, UserRecord>()
  private users = new Map<string, UserRecord>()
  private readonly codes = new Map<string, CodeState>()
  private readonly access = new Map<string, AccessState>()
  private readonly refresh = new Map<string, RefreshState>()
  private readonly creation = new Map<string, CreationState>()
  private readonly revokedAccess = new Set<string>()
  private readonly revokedRefresh = new Set<string>()
  private readonly envelopes: CaptureEnvelopes
  private readonly defaultTtl: number
  private readonly windowMs: number
  private counters = CaptureService.zero()

  constructor(
    private readonly clock: SimClock,
    private readonly options: CaptureOptions = {},
    /** The request log keeps about this many newest entries (the simulator's `maxLogEntries`). */
    private readonly maxLog = 100_000
  ) {
    this.defaultTtl = options.accessTokenTtlSeconds ?? 3600
    const window = options.signatureWindowSeconds ?? 300
    if (!(Number.isFinite(window) && window >= 0)) throw new RangeError("signatureWindowSeconds must be >= 0")
    this.windowMs = window * 1000
    this.envelopes = new CaptureEnvelopes(options.errorStyle ?? "standard")
    for (const c of options.clients ?? [SAMPLE_CAPTURE_CLIENT]) this.addClient(c)
    for (const u of options.users ?? [SAMPLE_CAPTURE_USER]) this.addUser(u)
  }

  private static zero() {
    return {
      tokenRequests: new Map<string, number>(),
      tokensIssued: 0,
      refreshTokensUsed: 0,
      refreshTokenReuse: 0,
      authorizationCodesIssued: 0,
      authorizationCodesRedeemed: 0,
      creationTokensIssued: 0,
      creationTokensRedeemed: 0,
      signaturePassed: 0,
      signatureFailed: 0,
      authModes: new Map<string, number>(),
      operations: new Map<string, number>()
    }
  }

  addClient(spec: CaptureClientSpec): void {
    const client = resolveClient(spec, this.defaultTtl)
    this.clients.set(client.clientId, client)
  }

  addUser(spec: CaptureUserSpec): void {
    if (!spec.uuid) throw new TypeError("a Capture user needs a uuid")
    for (const k of Object.keys(spec.attributes ?? {})) {
      if (RESERVED.has(k)) throw new TypeError(`a Capture user's attributes may not set ${k}`)
    }
    const now = this.clock.now()
    const record: UserRecord = {
      id: spec.id ?? this.nextId(),
      uuid: spec.uuid,
      typeName: spec.typeName ?? "user",
      attributes: structuredClone({ ...spec.attributes }),
      created: now,
      lastUpdated: now
    }
    this.baseUsers.set(record.uuid, record)
    this.users.set(record.uuid, { ...record, attributes: structuredClone(record.attributes) })
  }

  user(uuid: string): Readonly<Record<string, unknown>> | undefined {
    const u = this.users.get(uuid)
    return u === undefined ? undefined : this.record(u)
  }

  expireAccessTokens(): void {
    for (const state of this.access.values()) state.forced = true
  }

  revokeAccessToken(token: string): void {
    this.revokedAccess.add(token)
  }

  revokeRefreshToken(token: string): void {
    this.revokedRefresh.add(token)
  }

  revokeUser(uuid: string): void {
    for (const [token, s] of this.access) if (s.uuid === uuid) this.revokedAccess.add(token)
    for (const [token, s] of this.refresh) if (s.uuid === uuid) this.revokedRefresh.add(token)
    for (const s of this.codes.values()) if (s.uuid === uuid) s.used = true
  }

  setErrorStyle(style: CaptureErrorStyle): void {
    this.envelopes.restart(style)
  }

  stats(): CaptureStats {
    const c = this.counters
    return {
      tokenRequests: Object.fromEntries(c.tokenRequests),
      tokensIssued: c.tokensIssued,
      refreshTokensUsed: c.refreshTokensUsed,
      refreshTokenReuse: c.refreshTokenReuse,
      authorizationCodesIssued: c.authorizationCodesIssued,
      authorizationCodesRedeemed: c.authorizationCodesRedeemed,
      creationTokensIssued: c.creationTokensIssued,
      creationTokensRedeemed: c.creationTokensRedeemed,
      signatureChecks: { passed: c.signaturePassed, failed: c.signatureFailed },
      authModes: Object.fromEntries(c.authModes),
      operations: Object.fromEntries(c.operations)
    }
  }

  /**
   * @internal Clears counters, logs and writes, restores the users given at start (or added by `addUser`)
   * and the configured error style. Keeps clients and the state of codes and tokens.
   */
  reset(): void {
    this.requests.length = 0
    this.writes.length = 0
    this.tokens.length = 0
    this.counters = CaptureService.zero()
    this.envelopes.restart(this.options.errorStyle ?? "standard")
    this.users = new Map(
      [...this.baseUsers].map(([k, u]) => [k, { ...u, attributes: structuredClone(u.attributes) }])
    )
  }

  /** @internal The error body a fault answers on a Capture path. */
  faultBody(code: number, message: string | undefined): unknown {
    return this.envelopes.body(code, message)
  }

  /** @internal Serves one Capture request. */
  handle(req: CaptureRequest): SimReply {
    const now = this.clock.now()
    const call: Call = {
      endpoint: req.endpoint,
      headers: req.headers,
      params: [],
      now,
      auth: "none",
      clientId: undefined
    }
    let status = 200
    let body: Record<string, unknown>
    try {
      const method = req.method.toUpperCase()
      if (method !== "POST" && method !== "GET") fail(200, "use POST (or GET)", 405)
      const op = this.operations[req.endpoint]
      if (op === undefined) fail(200, `unknown Capture operation ${req.endpoint}`, 404)
      call.params = this.parseParams(req, method)
      body = op(call)
    } catch (err) {
      if (!(err instanceof Failure)) throw err
      status = err.http
      body = this.envelopes.body(err.error.code, err.error.description)
    }
    this.log(req, call, status, body)
    return json(status, body)
  }

  private log(req: CaptureRequest, call: Call, status: number, body: Record<string, unknown>): void {
    const c = this.counters
    const code = body.stat === "error" ? (body.code as number) : undefined
    const key = `${req.endpoint} -> ${code ?? "ok"}`
    c.operations.set(key, (c.operations.get(key) ?? 0) + 1)
    c.authModes.set(call.auth, (c.authModes.get(call.auth) ?? 0) + 1)
    if (this.requests.length >= this.maxLog + this.maxLog / 10)
      this.requests.splice(0, this.requests.length - this.maxLog)
    const params: Record<string, string> = {}
    for (const [k, v] of call.params) params[k] = k === "client_secret" ? "[redacted]" : v
    this.requests.push({
      operation: req.endpoint,
      method: req.method.toUpperCase(),
      params,
      auth: call.auth,
      ...(call.clientId === undefined ? {} : { clientId: call.clientId }),
      httpStatus: status,
      stat: code === undefined ? "ok" : "error",
      ...(code === undefined ? {} : { code }),
      at: call.now,
      requestId: req.requestId
    })
  }

  /** Query parameters, then the form body; a name given twice is 201 duplicate_argument. */
  private parseParams(req: CaptureRequest, method: string): Array<readonly [string, string]> {
    const out: Array<readonly [string, string]> = [...new URLSearchParams(req.query)]
    if (method === "POST" && req.body !== "") {
      const ct = (req.headers["content-type"] ?? "").toLowerCase()
      if (!ct.includes("application/x-www-form-urlencoded")) {
        fail(
          200,
          "the body must be application/x-www-form-urlencoded",
          req.endpoint === "/oauth/token" ? 400 : 200
        )
      }
      out.push(...new URLSearchParams(req.body))
    }
    const seen = new Set<string>()
    for (const [k] of out) {
      if (seen.has(k)) fail(201, `${k} was given more than once`, req.endpoint === "/oauth/token" ? 400 : 200)
      seen.add(k)
    }
    return out
  }

  private nextId(): number {
    let max = 0
    for (const u of [...this.baseUsers.values(), ...this.users.values()]) max = Math.max(max, u.id)
    return max + 1
  }

  private record(u: UserRecord): Record<string, unknown> {
    return {
      id: u.id,
      uuid: u.uuid,
      created: captureTime(u.created),
      lastUpdated: captureTime(u.lastUpdated),
      ...structuredClone(u.attributes)
    }
  }

  /** Authenticates the calling client and checks it holds one of `features` (any when empty). */
  private client(call: Call, features: readonly CaptureClientFeature[], http = 200): CaptureClient {
    const result = authenticateClient(this.clients, {
      headers: call.headers,
      params: call.params,
      endpoint: call.endpoint,
      now: call.now,
      windowMs: this.windowMs
    })
    if (result.signature === "passed") this.counters.signaturePassed++
    if (result.signature === "failed") this.counters.signatureFailed++
    call.auth = result.mode
    if (!result.ok) {
      call.clientId = result.clientId
      throw new Failure(result.error, http)
    }
    call.clientId = result.client.clientId
    if (features.length > 0 && !features.some((f) => result.client.features.has(f))) {
      fail(403, `client ${result.client.clientId} may not call ${call.endpoint}`, http)
    }
    return result.client
  }

  /** The access token of the request (`Authorization: OAuth` wins over the `access_token` parameter). */
  private bearer(call: Call): string | undefined {
    const m = /^OAuth\s+(\S+)$/i.exec(call.headers.authorization?.trim() ?? "")
    return m?.[1] ?? param(call, "access_token")
  }

  /** The user an access token acts for; 413 when unknown or revoked, 414 when expired. */
  private tokenUser(call: Call, token: string): UserRecord {
    call.auth = "access_token"
    const state = this.access.get(token)
    if (state === undefined || this.revokedAccess.has(token)) {
      return fail(413, "the access token is not valid")
    }
    call.clientId = state.clientId
    if (state.forced || call.now >= state.expiresAt) fail(414, "the access token has expired")
    const user = this.users.get(state.uuid)
    if (user === undefined) return fail(413, "the access token's user no longer exists")
    // Naming another entity than the token's own is refused.
    const uuid = param(call, "uuid")
    const id = param(call, "id")
    if ((uuid !== undefined && uuid !== user.uuid) || (id !== undefined && id !== String(user.id))) {
      fail(413, "the access token does not grant access to that entity")
    }
    const typeName = param(call, "type_name")
    if (typeName !== undefined && typeName !== user.typeName) {
      fail(413, "the access token does not grant access to that entity type")
    }
    return user
  }

  private knownType(typeName: string): void {
    if (typeName === "user") return
    for (const u of this.users.values()) if (u.typeName === typeName) return
    fail(200, `unknown entity type ${typeName}`)
  }

  /** The entity named by `uuid`, `id` or `key_attribute` + `key_value`, of `type_name`. */
  private findUser(call: Call, typeName: string): UserRecord {
    this.knownType(typeName)
    const uuid = param(call, "uuid")
    const id = param(call, "id")
    const keyAttribute = param(call, "key_attribute")
    const keyValue = param(call, "key_value")
    let match: (u: UserRecord) => boolean
    if (uuid !== undefined) match = (u) => u.uuid === uuid
    else if (id !== undefined) match = (u) => String(u.id) === id
    else if (keyAttribute !== undefined) {
      if (keyValue === undefined) return fail(100, "key_value is required with key_attribute")
      match = (u) => {
        const v = keyAttribute === "uuid" ? u.uuid : keyAttribute === "id" ? u.id : u.attributes[keyAttribute]
        return v !== undefined && v !== null && String(v) === keyValue
      }
    } else return fail(100, "uuid, id or key_attribute and key_value is required")
    for (const u of this.users.values()) if (u.typeName === typeName && match(u)) return u
    return fail(310, "no entity matches")
  }

  private lifetime(call: Call, fallback: number): number {
    const raw = param(call, "lifetime")
    if (raw === undefined || raw === "") return fallback
    const n = Number(raw)
    return Number.isInteger(n) && n > 0 && n <= MAX_TTL_SECONDS
      ? n
      : fail(200, `lifetime must be an integer in 1..${MAX_TTL_SECONDS}`)
  }

  private forClient(call: Call): string | undefined {
    const id = param(call, "for_client_id")
    if (id === undefined || id === "") return undefined
    return this.clients.has(id) ? id : fail(200, `for_client_id ${id} is not a client of this application`)
  }

  /** The `attributes` parameter: a JSON object that sets no reserved attribute. */
  private attributes(call: Call): Record<string, unknown> {
    const raw = required(call, "attributes")
    let value: unknown
    try {
      value = JSON.parse(raw)
    } catch {
      return fail(200, "attributes must be a JSON object")
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return fail(200, "attributes must be a JSON object")
    }
    for (const k of Object.keys(value)) if (RESERVED.has(k)) fail(200, `attributes may not set ${k}`)
    return value as Record<string, unknown>
  }

  private issueTokens(
    call: Call,
    client: CaptureClient,
    uuid: string,
    grantType: CaptureTokenRecord["grantType"]
  ) {
    const accessToken = randomId(24)
    const refreshToken = randomId(24)
    const ttl = client.accessTokenTtlSeconds
    const expiresAt = call.now + ttl * 1000
    this.access.set(accessToken, { clientId: client.clientId, uuid, expiresAt, forced: false })
    this.refresh.set(refreshToken, { clientId: client.clientId, uuid, used: false })
    this.tokens.push({
      accessToken,
      refreshToken,
      clientId: client.clientId,
      uuid,
      grantType,
      issuedAt: call.now,
      expiresAt
    })
    this.counters.tokensIssued++
    return { access_token: accessToken, expires_in: ttl, refresh_token: refreshToken, stat: "ok" }
  }

  private readonly operations: Readonly<Record<string, Operation>> = {
    "/oauth/token": (call) => {
      const grant = param(call, "grant_type")
      const key = grant === undefined || grant === "" ? "(none)" : grant
      this.counters.tokenRequests.set(key, (this.counters.tokenRequests.get(key) ?? 0) + 1)
      const client = this.client(call, [], 401)
      if (grant === undefined || grant === "") return fail(100, "grant_type is required", 400)

      if (grant === "authorization_code") {
        const code = required(call, "code", 400)
        const redirectUri = required(call, "redirect_uri", 400)
        const state = this.codes.get(code)
        if (state === undefined) return fail(200, "code is not a valid authorization code", 400)
        if (state.used) return fail(415, "the authorization code has already been used", 400)
        if (call.now >= state.expiresAt) return fail(415, "the authorization code has expired", 400)
        if ((state.forClientId ?? state.issuer) !== client.clientId) {
          return fail(403, "the authorization code was issued for another client", 400)
        }
        // A mismatch does not spend the code.
        if (redirectUri !== state.redirectUri) {
          return fail(420, "redirect_uri does not match the one the code was issued for", 400)
        }
        state.used = true
        this.counters.authorizationCodesRedeemed++
        return this.issueTokens(call, client, state.uuid, "authorization_code")
      }

      if (grant === "refresh_token") {
        const token = required(call, "refresh_token", 400)
        const state = this.refresh.get(token)
        if (state === undefined) return fail(210, "refresh_token is not a valid refresh token", 400)
        if (state.used || this.revokedRefresh.has(token)) {
          this.counters.refreshTokenReuse++
          return fail(
            210,
            state.used ? "the refresh token has already been used" : "the refresh token was revoked",
            400
          )
        }
        if (state.clientId !== client.clientId) {
          return fail(403, "the refresh token was issued to another client", 400)
        }
        if (!this.users.has(state.uuid)) return fail(210, "the refresh token's user no longer exists", 400)
        state.used = true
        this.counters.refreshTokensUsed++
        return this.issueTokens(call, client, state.uuid, "refresh_token")
      }

      return fail(200, "grant_type must be authorization_code or refresh_token", 400)
    },

    "/access/getAuthorizationCode": (call) => {
      const client = this.client(call, ["owner", "access_issuer"])
      const user = this.findUser(call, required(call, "type_name"))
      const redirectUri = required(call, "redirect_uri")
      const lifetime = this.lifetime(call, 30)
      const forClientId = this.forClient(call)
      const code = randomId(14)
      this.codes.set(code, {
        uuid: user.uuid,
        issuer: client.clientId,
        forClientId,
        redirectUri,
        expiresAt: call.now + lifetime * 1000,
        used: false
      })
      this.counters.authorizationCodesIssued++
      return { stat: "ok", authorizationCode: code }
    },

    "/access/getCreationToken": (call) => {
      const client = this.client(call, ["owner", "access_issuer"])
      const typeName = required(call, "type_name")
      this.knownType(typeName)
      const lifetime = this.lifetime(call, 3600)
      const forClientId = this.forClient(call)
      const token = randomId(24)
      this.creation.set(token, {
        typeName,
        issuer: client.clientId,
        forClientId,
        expiresAt: call.now + lifetime * 1000,
        used: false
      })
      this.counters.creationTokensIssued++
      return { stat: "ok", creation_token: token }
    },

    "/entity.count": (call) => {
      this.client(call, ["owner", "direct_access", "direct_read_access"])
      const typeName = required(call, "type_name")
      this.knownType(typeName)
      let total = 0
      for (const u of this.users.values()) if (u.typeName === typeName) total++
      return { stat: "ok", total_count: total }
    },

    "/entity": (call) => {
      const token = this.bearer(call)
      if (token !== undefined) return { stat: "ok", result: this.record(this.tokenUser(call, token)) }
      this.client(call, ["owner", "direct_access", "direct_read_access"])
      return { stat: "ok", result: this.record(this.findUser(call, required(call, "type_name"))) }
    },

    "/entity.update": (call) => {
      const token = this.bearer(call)
      let user: UserRecord
      let principal: string
      if (token !== undefined) {
        user = this.tokenUser(call, token)
        principal = `access_token:${call.clientId}`
      } else {
        const client = this.client(call, ["owner", "direct_access"])
        user = this.findUser(call, required(call, "type_name"))
        principal = `client:${client.clientId}`
      }
      const attributes = this.attributes(call)
      user.attributes = { ...user.attributes, ...structuredClone(attributes) }
      user.lastUpdated = call.now
      this.writes.push({
        operation: "entity.update",
        typeName: user.typeName,
        uuid: user.uuid,
        attributes,
        principal,
        at: call.now
      })
      return { stat: "ok" }
    },

    "/entity.create": (call) => {
      const token = param(call, "creation_token")
      let creation: CreationState | undefined
      let principal: string
      if (token !== undefined) {
        call.auth = "creation_token"
        creation = this.creation.get(token)
        if (creation === undefined) return fail(200, "creation_token is not a valid creation token")
        call.clientId = creation.forClientId ?? creation.issuer
        if (creation.used) return fail(417, "the creation token has already been used")
        if (call.now >= creation.expiresAt) return fail(417, "the creation token has expired")
        principal = `creation_token:${call.clientId}`
      } else {
        principal = `client:${this.client(call, ["owner", "direct_access"]).clientId}`
      }
      const typeName = required(call, "type_name")
      this.knownType(typeName)
      if (creation !== undefined && creation.typeName !== typeName) {
        return fail(200, `the creation token is for entity type ${creation.typeName}`)
      }
      const attributes = this.attributes(call)
      // Only a successful create spends the creation token.
      if (creation !== undefined) {
        creation.used = true
        this.counters.creationTokensRedeemed++
      }
      const user: UserRecord = {
        id: this.nextId(),
        uuid: crypto.randomUUID(),
        typeName,
        attributes: structuredClone(attributes),
        created: call.now,
        lastUpdated: call.now
      }
      this.users.set(user.uuid, user)
      this.writes.push({
        operation: "entity.create",
        typeName,
        uuid: user.uuid,
        attributes,
        principal,
        at: call.now
      })
      return { stat: "ok", id: user.id, uuid: user.uuid }
    }
  }
}
