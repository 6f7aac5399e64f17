/**
 * The server side of the Capture page (`/capture.html`): what an app's backend does for Capture, with the client
 * secret kept in this process.
 *
 * - `POST /capture/creation-token`: after the app's own check (here: the request comes from this site's pages),
 *   mint a short-lived, single-use creation token; the browser then calls Capture's `entity.create` with it
 *   directly.
 * - `GET /capture/login` → `GET /capture/callback?code=…`: the authorization code flow. The code is exchanged
 *   here for a session (`exchangeCode`); the session (access and refresh tokens) stays on this server, keyed by
 *   a random id in an `HttpOnly` cookie. `GET /capture/profile` reads the user's record with it; the browser
 *   gets the record, never a token. `POST /capture/logout` forgets the session.
 * - `POST /capture/audit`: the page posts everything it holds (document, storage, every response and message it
 *   received); this server, which knows the secrets, counts their occurrences and answers only the counts.
 */
import { randomBytes } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"
import { type CapturePromiseSession, createCaptureClient } from "@capauth/node"
import * as Redacted from "effect/Redacted"

export interface CaptureDemoOptions {
  /** The Capture app (or `sim.captureUrl`): the page calls `${baseUrl}/entity.create` from the browser. */
  readonly baseUrl: string
  readonly clientId: string
  /** Used by this server only. */
  readonly clientSecret: string | Redacted.Redacted<string>
  readonly clientAuth?: "basic" | "params" | "signed" | undefined
  /** The entity type (default `user`). */
  readonly typeName?: string | undefined
  /**
   * The user "Sign in" opens a session for. It stands in for Capture's hosted login (or widget), which signs the
   * user in and redirects to your `redirect_uri` with `?code=`; here the server asks for that code itself
   * (`access/getAuthorizationCode`). Without it the page offers no sign-in.
   */
  readonly uuid?: string | undefined
}

/** A secret the audit looks for, with the encodings it could travel in. */
export interface AuditedSecret {
  readonly name: string
  readonly forms: ReadonlyArray<string>
}

export interface CaptureRoutes {
  /** Serve a `/capture/...` request. */
  readonly handle: (req: IncomingMessage, res: ServerResponse, path: string) => void
  readonly close: () => Promise<void>
}

const COOKIE = "capauth_capture_session"
const maxAuditBody = 8 * 1024 * 1024

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers })
  res.end(JSON.stringify(body))
}

/** The app's own check before it spends anything for the page. A real app checks its session here. */
const fromOurPages = (req: IncomingMessage) => req.headers["sec-fetch-site"] === "same-origin"

const cookieOf = (req: IncomingMessage, name: string): string | undefined => {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=")
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

const readBody = (req: IncomingMessage, limit: number): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        reject(new Error("request body too large"))
        req.destroy()
      } else chunks.push(chunk)
    })
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })

const occurrences = (haystack: string, needle: string): number => {
  if (needle === "") return 0
  let n = 0
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + needle.length)) n++
  return n
}

/** The page's routes. `origin` is this server's (for the redirect URI); `audited` are other secrets to count. */
export const make = (
  options: CaptureDemoOptions,
  origin: () => string,
  audited: ReadonlyArray<AuditedSecret> = []
): CaptureRoutes => {
  const capture = createCaptureClient({
    baseUrl: options.baseUrl,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    ...(options.clientAuth === undefined ? {} : { clientAuth: options.clientAuth })
  })
  const typeName = options.typeName ?? "user"
  const secret = Redacted.isRedacted(options.clientSecret)
    ? Redacted.value(options.clientSecret)
    : options.clientSecret
  const secrets: ReadonlyArray<AuditedSecret> = [
    {
      name: "Capture client secret",
      forms: [secret, encodeURIComponent(secret), btoa(`${options.clientId}:${secret}`)]
    },
    ...audited
  ]
  /** Sessions by the random id in the HttpOnly cookie. Tokens never leave this map. */
  const sessions = new Map<string, CapturePromiseSession>()
  const redirectUri = () => `${origin()}/capture/callback`
  const sessionOf = (req: IncomingMessage) => {
    const id = cookieOf(req, COOKIE)
    return id === undefined ? undefined : sessions.get(id)
  }

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>> = {
    "GET /capture/settings": async (_req, res) =>
      send(res, 200, { captureUrl: options.baseUrl, typeName, signIn: options.uuid !== undefined }),

    "POST /capture/creation-token": async (req, res) => {
      if (!fromOurPages(req)) return send(res, 403, { error: "only this site's pages may ask" })
      const token = await capture.creationToken({ typeName, lifetime: 300 })
      send(res, 200, {
        creationToken: Redacted.value(token.value),
        expiresAt: token.expiresAt.toISOString(),
        typeName
      })
    },

    "GET /capture/login": async (_req, res) => {
      if (options.uuid === undefined) return send(res, 404, { error: "no user to sign in (--capture-uuid)" })
      const code = await capture.authorizationCode({
        typeName,
        uuid: options.uuid,
        redirectUri: redirectUri()
      })
      res.writeHead(302, {
        location: `/capture/callback?code=${encodeURIComponent(Redacted.value(code))}`,
        "cache-control": "no-store"
      })
      res.end()
    },

    "GET /capture/callback": async (req, res) => {
      const code = new URL(req.url ?? "/", "http://x").searchParams.get("code") ?? ""
      if (code === "") return send(res, 400, { error: "no code" })
      const session = await capture.exchangeCode({ code, redirectUri: redirectUri() })
      const previous = sessionOf(req)
      const id = randomBytes(32).toString("base64url")
      sessions.set(id, session)
      if (previous !== undefined) await previous.close()
      // HttpOnly: the page's JavaScript cannot read it. Add `Secure` when serving over https.
      res.writeHead(303, {
        location: "/capture.html",
        "set-cookie": `${COOKIE}=${id}; HttpOnly; SameSite=Lax; Path=/; Max-Age=3600`,
        "cache-control": "no-store"
      })
      res.end()
    },

    "GET /capture/profile": async (req, res) => {
      const session = sessionOf(req)
      if (session === undefined) return send(res, 200, { signedIn: false })
      const record = (await session.call("entity", { type_name: typeName })).result as
        | Record<string, unknown>
        | undefined
      const { expiresAt } = await session.tokens()
      send(res, 200, {
        signedIn: true,
        profile: {
          uuid: record?.uuid,
          email: record?.email,
          givenName: record?.givenName,
          familyName: record?.familyName
        },
        accessTokenExpiresAt: expiresAt.toISOString()
      })
    },

    "POST /capture/logout": async (req, res) => {
      const id = cookieOf(req, COOKIE)
      const session = id === undefined ? undefined : sessions.get(id)
      if (id !== undefined) sessions.delete(id)
      await session?.close()
      send(
        res,
        200,
        { signedIn: false },
        { "set-cookie": `${COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0` }
      )
    },

    "POST /capture/audit": async (req, res) => {
      if (!fromOurPages(req)) return send(res, 403, { error: "only this site's pages may ask" })
      const { sources } = JSON.parse(await readBody(req, maxAuditBody)) as {
        sources?: ReadonlyArray<{ name?: unknown; text?: unknown }>
      }
      const texts = (sources ?? []).map((s) => ({ name: String(s.name), text: String(s.text ?? "") }))
      const needles = [...secrets]
      const session = sessionOf(req)
      if (session !== undefined) {
        const tokens = await session.tokens()
        needles.push(
          { name: "Capture access token", forms: [Redacted.value(tokens.accessToken)] },
          { name: "Capture refresh token", forms: [Redacted.value(tokens.refreshToken)] }
        )
      }
      send(res, 200, {
        sources: texts.length,
        chars: texts.reduce((n, s) => n + s.text.length, 0),
        results: needles.map((needle) => {
          const where = texts.filter((s) => needle.forms.some((form) => occurrences(s.text, form) > 0))
          return {
            name: needle.name,
            hits: texts.reduce(
              (n, s) => n + needle.forms.reduce((m, form) => m + occurrences(s.text, form), 0),
              0
            ),
            where: where.map((s) => s.name)
          }
        })
      })
    }
  }

  return {
    handle: (req, res, path) => {
      const route = routes[`${req.method} ${path}`]
      if (route === undefined) return send(res, 404, { error: "not found" })
      route(req, res).catch((error: unknown) => {
        // capauth's errors carry no secret, code or token in their message.
        const e = error as { _tag?: string; message?: string; code?: unknown }
        if (!res.headersSent) send(res, 502, { error: e._tag ?? "Error", code: e.code, message: e.message })
        else res.end()
      })
    },
    close: async () => {
      sessions.clear()
      await capture.close()
    }
  }
}
