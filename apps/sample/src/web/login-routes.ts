/**
 * The server side of the login page (`/login.html`): end-customer auth runs in the page (`createCustomerAuth` of
 * `@capauth/browser`, talking to the Auth Engine and its gateway directly); this server only says where they
 * are and, against the simulator, offers the stand-ins a real deployment does not have:
 *
 * - `GET /login/settings`: the Auth Engine, the gateway, the brand and a sample mobile number.
 * - `GET /login/otp?sessionId=…`: the OTP the simulator would have sent by SMS (`sim.authEngine.otp`). A real
 *   Auth Engine texts it to the customer; nothing can read it back.
 * - `POST /login/expire-tokens`: every token issued so far is expired in the simulator, so the page's next
 *   call shows the token being renewed behind the scenes.
 * - `GET /login/stats`: the simulator's regenerations and gateway calls.
 */
import type { IncomingMessage, ServerResponse } from "node:http"

/** The simulator's Auth Engine controls the login page's stand-ins use (`sim.authEngine`). */
interface AuthEngineSimulatorControls {
  otp(sessionId: string): string | undefined
  expireTokens(): void
  stats(): { readonly tokensRegenerated: number; readonly gatewayCalls: Readonly<Record<string, number>> }
}

export interface LoginDemoOptions {
  /** The Auth Engine (`sim.authEngineUrl`). */
  readonly baseUrl: string
  /** The API gateway (`sim.authEngineGatewayUrl`). */
  readonly gatewayUrl: string
  readonly brand: string
  /** The number the page suggests (placeholder). */
  readonly mobile?: string | undefined
  /** The simulator's controls: the OTP read-back and the expiry button exist only with them. */
  readonly simulator?: AuthEngineSimulatorControls | undefined
}

export interface LoginRoutes {
  /** Serve a `/login/...` request. */
  readonly handle: (req: IncomingMessage, res: ServerResponse, path: string) => void
}

const send = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" })
  res.end(JSON.stringify(body))
}

/** The app's own check: only this site's pages. */
const fromOurPages = (req: IncomingMessage) => req.headers["sec-fetch-site"] === "same-origin"

export const make = (options: LoginDemoOptions): LoginRoutes => ({
  handle: (req, res, path) => {
    const sim = options.simulator
    if (path === "/login/settings") {
      return send(res, 200, {
        baseUrl: options.baseUrl,
        gatewayUrl: options.gatewayUrl,
        brand: options.brand,
        mobile: options.mobile ?? "",
        simulator: sim !== undefined
      })
    }
    if (sim === undefined) return send(res, 404, { error: "these routes exist only with the simulator" })
    if (!fromOurPages(req)) return send(res, 403, { error: "only this site's pages" })
    if (path === "/login/otp" && req.method === "GET") {
      const sessionId = new URL(req.url ?? "/", "http://x").searchParams.get("sessionId") ?? ""
      const otp = sim.otp(sessionId)
      return otp === undefined
        ? send(res, 404, { error: "no pending OTP for that session" })
        : send(res, 200, { otp })
    }
    if (path === "/login/expire-tokens" && req.method === "POST") {
      sim.expireTokens()
      return send(res, 200, { expired: true })
    }
    if (path === "/login/stats" && req.method === "GET") {
      const { tokensRegenerated, gatewayCalls } = sim.stats()
      return send(res, 200, { tokensRegenerated, gatewayCalls })
    }
    return send(res, 404, { error: "not found" })
  }
})
