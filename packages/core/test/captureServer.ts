/**
 * A small Capture server over node:http for the tests, following the facts (shared/docs/capillary-auth-facts.md
 * sections 5 and 7) and written independently of the library: form-encoded POSTs, the three client auth modes
 * (the signed one checked with node:crypto), `Authorization: OAuth` for access tokens, `stat` envelopes, errors
 * with HTTP 200 except oauth/token (400/401), single-use authorization codes and refresh tokens.
 * To be replaced by (or joined with) the testkit simulator's Capture endpoints once they land.
 */
import { createHmac, randomBytes } from "node:crypto"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

export interface Event {
  readonly op: string
  readonly at: number
  /** `client` (with its mode), `token`, `creation`, or `none`. */
  readonly auth: string
  readonly grant?: string | undefined
  readonly accessToken?: string | undefined
  readonly refreshToken?: string | undefined
  readonly status: number
  readonly code?: number | undefined
  /** What oauth/token issued. */
  readonly issued?: { readonly accessToken: string; readonly refreshToken: string } | undefined
}

export interface FakeCapture {
  readonly url: string
  readonly clientId: string
  readonly clientSecret: string
  readonly events: Array<Event>
  /** Answers (in order) to give instead of the real one, per operation: a Capture error code. */
  readonly faults: Map<string, Array<number>>
  /** Lifetime of issued access tokens, in seconds. */
  expiresIn: number
  /** ms to wait before answering a refresh (widens the window for concurrent callers). */
  refreshDelay: number
  /** Answer 414 to every token call, whatever the token. */
  always414: boolean
  /** Make one access token expire server-side now. */
  readonly expire: (accessToken: string) => void
  readonly issueCode: (uuid: string, redirectUri: string) => string
  readonly refreshes: () => number
  readonly close: () => Promise<void>
}

const errorNames: Record<number, string> = {
  100: "missing_argument",
  200: "invalid_argument",
  205: "invalid_auth_method",
  210: "invalid_credentials",
  402: "invalid_client_credentials",
  403: "client_permission_error",
  413: "no_access_grant",
  414: "access_token_expired",
  415: "authorization_code_expired",
  417: "creation_token_expired",
  420: "redirect_uri_mismatch",
  480: "api_feature_disabled",
  510: "api_limit_error"
}

const token = () => randomBytes(12).toString("hex")

export const startFakeCapture = async (
  options: { prefix?: string; clientId?: string; clientSecret?: string } = {}
): Promise<FakeCapture> => {
  const prefix = options.prefix ?? ""
  const clientId = options.clientId ?? "client-1"
  const clientSecret = options.clientSecret ?? "s3cr3t-value"
  const codes = new Map<string, { uuid: string; redirectUri: string }>()
  const refreshTokens = new Map<string, string>() // live refresh token -> uuid
  const accessTokens = new Map<string, { uuid: string; expiresAt: number }>()
  const events: Array<Event> = []

  const issue = (uuid: string) => {
    const access = token()
    const refresh = token()
    accessTokens.set(access, { uuid, expiresAt: Date.now() + state.expiresIn * 1000 })
    refreshTokens.set(refresh, uuid)
    return { access_token: access, expires_in: state.expiresIn, refresh_token: refresh, stat: "ok" }
  }

  /** The client's authentication, checked per mode; `undefined` if the request carries none. */
  const clientAuth = (req: IncomingMessage, op: string, form: URLSearchParams): "ok" | "bad" | undefined => {
    const authorization = req.headers.authorization ?? ""
    if (authorization.startsWith("Basic ")) {
      const [id, secret] = Buffer.from(authorization.slice(6), "base64").toString("utf8").split(":")
      return id === clientId && secret === clientSecret ? "ok" : "bad"
    }
    if (authorization.startsWith("Signature ")) {
      const [id, sig] = authorization.slice(10).split(":")
      const date = String(req.headers.date ?? "")
      if (!/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(date)) return "bad"
      const lines = [...form.entries()]
        .filter(([k]) => k !== "client_id" && k !== "client_secret" && k !== "access_token")
        .map(([k, v]) => `${k}=${v}`)
        .sort()
      const expected = createHmac("sha1", clientSecret)
        .update(`/${op}\n${date}\n${lines.map((line) => `${line}\n`).join("")}`)
        .digest("base64")
      return id === clientId && sig === expected ? "ok" : "bad"
    }
    if (form.has("client_id") || form.has("client_secret")) {
      return form.get("client_id") === clientId && form.get("client_secret") === clientSecret ? "ok" : "bad"
    }
    return undefined
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Array<Buffer> = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"))
    const path = new URL(req.url ?? "/", "http://x").pathname
    const op = path.startsWith(`${prefix}/`) ? path.slice(prefix.length + 1) : path.slice(1)
    const authorization = req.headers.authorization ?? ""
    const bearer = authorization.startsWith("OAuth ") ? authorization.slice(6) : undefined
    const event: { -readonly [K in keyof Event]: Event[K] } = {
      op,
      at: Date.now(),
      auth: bearer !== undefined ? "token" : form.has("creation_token") ? "creation" : "client",
      grant: form.get("grant_type") ?? undefined,
      accessToken: bearer,
      refreshToken: form.get("refresh_token") ?? undefined,
      status: 200
    }
    const send = (status: number, body: unknown) => {
      event.status = status
      events.push(event)
      res.writeHead(status, { "content-type": "application/json" })
      res.end(JSON.stringify(body))
    }
    const fail = (code: number, description: string, status = 200) => {
      event.code = code
      send(status, {
        stat: "error",
        code,
        error: errorNames[code] ?? "unexpected_error",
        error_description: description,
        request_id: `req${token().slice(0, 13)}`
      })
    }
    if (req.method !== "POST") return fail(200, "POST only")
    const fault = state.faults.get(op)?.shift()
    if (fault !== undefined) return fail(fault, "injected fault", op === "oauth/token" ? 400 : 200)

    if (bearer !== undefined) {
      const held = accessTokens.get(bearer)
      if (state.always414 || held === undefined || held.expiresAt <= Date.now()) {
        return fail(414, "access token expired")
      }
      if (op === "entity")
        return send(200, { stat: "ok", result: { uuid: held.uuid, email: "ada@example.com" } })
      return fail(403, "not allowed with an access token")
    }
    const client = clientAuth(req, op, form)
    if (client === "bad") return fail(402, "invalid client credentials", op === "oauth/token" ? 401 : 200)
    if (client === undefined) return fail(205, "no client authentication", op === "oauth/token" ? 400 : 200)

    switch (op) {
      case "entity.count":
        return send(200, { stat: "ok", total_count: 42 })
      case "entity.find":
        return send(200, { stat: "ok", results: [], echo: Object.fromEntries(form) })
      case "access/getAuthorizationCode": {
        const uuid = form.get("uuid")
        const redirectUri = form.get("redirect_uri")
        if (uuid === null || redirectUri === null) return fail(100, "uuid and redirect_uri are required")
        const code = token()
        codes.set(code, { uuid, redirectUri })
        return send(200, { stat: "ok", authorizationCode: code })
      }
      case "access/getCreationToken":
        return send(200, { stat: "ok", creation_token: token() })
      case "oauth/token": {
        const grant = form.get("grant_type")
        if (grant === "authorization_code") {
          const code = codes.get(form.get("code") ?? "")
          if (code === undefined) return fail(415, "authorization code expired or already used", 400)
          codes.delete(form.get("code")!)
          if (code.redirectUri !== form.get("redirect_uri")) return fail(420, "redirect_uri mismatch", 400)
          const issued = issue(code.uuid)
          event.issued = { accessToken: issued.access_token, refreshToken: issued.refresh_token }
          return send(200, issued)
        }
        if (grant === "refresh_token") {
          const presented = form.get("refresh_token") ?? ""
          const uuid = refreshTokens.get(presented)
          if (uuid === undefined) {
            return fail(200, `refresh_token ${presented} is invalid or was already used`, 400)
          }
          refreshTokens.delete(presented) // single use
          if (state.refreshDelay > 0) await new Promise((r) => setTimeout(r, state.refreshDelay))
          const issued = issue(uuid)
          event.issued = { accessToken: issued.access_token, refreshToken: issued.refresh_token }
          return send(200, issued)
        }
        return fail(200, "unsupported grant_type", 400)
      }
      default:
        return fail(200, `unknown operation ${op}`)
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      res.writeHead(500)
      res.end(String(error))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port

  const state: FakeCapture = {
    url: `http://127.0.0.1:${port}${prefix}`,
    clientId,
    clientSecret,
    events,
    faults: new Map(),
    expiresIn: 3600,
    refreshDelay: 0,
    always414: false,
    expire: (accessToken) => {
      const held = accessTokens.get(accessToken)
      if (held !== undefined) held.expiresAt = 0
    },
    issueCode: (uuid, redirectUri) => {
      const code = token()
      codes.set(code, { uuid, redirectUri })
      return code
    },
    refreshes: () => events.filter((e) => e.op === "oauth/token" && e.grant === "refresh_token").length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
  return state
}
