/**
 * The browser demo: a page whose Capillary calls go through `@capauth/browser`'s SharedWorker, served with the
 * worker bundle and a token broker (`TokenBroker` of `@capauth/node`). The client secret stays in this process.
 * With `capture`, also the Capture page (`/capture.html`, routes in `capture-routes.ts`): a creation token minted
 * here and used by the browser, and a Capture session kept here behind an HttpOnly cookie.
 *
 * @example
 * ```ts
 * const demo = await startWebDemo({ baseUrl: sim.url, credentials: { key: "sample-key", secret: "sample-secret" } })
 * console.log(`open ${demo.url}`)
 * await demo.close()
 * ```
 */
import { readFile } from "node:fs/promises"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { createCapillaryClient } from "@capauth/node"
import * as TokenBroker from "@capauth/node/TokenBroker"
import * as esbuild from "esbuild"
import * as CaptureRoutes from "./capture-routes.ts"
import * as LoginRoutes from "./login-routes.ts"

export interface WebDemoOptions {
  /** Port to listen on (default 0: a free one). */
  readonly port?: number | undefined
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string | undefined
  /** The Capillary API (or simulator) origin the page talks to. */
  readonly baseUrl: string
  /** API client credentials: used here, by the broker, never sent to the page. */
  readonly credentials: { readonly key: string; readonly secret: string }
  readonly attribution?: { readonly type?: string | undefined; readonly code: string } | undefined
  /** The mobile number the "Get customer" button looks up (default the simulator's sample customer). */
  readonly mobile?: string | undefined
  /** The Capture app (or `sim.captureUrl`) of the Capture page; without it the page says it is not configured. */
  readonly capture?: CaptureRoutes.CaptureDemoOptions | undefined
  /** The Auth Engine (or `sim.authEngineUrl`) of the login page; without it the page says it is not configured. */
  readonly authEngine?: LoginRoutes.LoginDemoOptions | undefined
}

export interface WebDemo {
  readonly url: string
  readonly close: () => Promise<void>
}

const asset = (name: string) => fileURLToPath(new URL(name, import.meta.url))

const bundle = async (): Promise<Map<string, string>> => {
  const result = await esbuild.build({
    entryPoints: {
      "capauth-shared-worker": fileURLToPath(import.meta.resolve("@capauth/browser/shared-worker")),
      app: asset("./app.ts"),
      capture: fileURLToPath(import.meta.resolve("./capture.ts")),
      login: fileURLToPath(import.meta.resolve("./login.ts"))
    },
    bundle: true,
    // Workspace packages from their TypeScript sources (the "@capauth/source" export condition).
    conditions: ["@capauth/source", "module"],
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    write: false,
    outdir: "/out",
    logLevel: "silent"
  })
  return new Map(result.outputFiles.map((f) => [`/${f.path.slice("/out/".length)}`, f.text]))
}

/** Start the demo server. */
export const startWebDemo = async (options: WebDemoOptions): Promise<WebDemo> => {
  const [files, html, captureHtml, loginHtml] = await Promise.all([
    bundle(),
    readFile(asset("./index.html"), "utf8"),
    readFile(asset("./capture.html"), "utf8"),
    readFile(asset("./login.html"), "utf8")
  ])
  const cap = createCapillaryClient({
    baseUrl: options.baseUrl,
    credentials: options.credentials,
    ...(options.attribution === undefined ? {} : { attribution: options.attribution })
  })
  const mobile = options.mobile ?? "919876543210"
  let brokerRequests = 0
  const broker = TokenBroker.make({
    client: cap,
    // A real app checks its session here. The demo serves only its own pages (and their workers).
    authorize: (request) => request.headers.get("sec-fetch-site") === "same-origin"
  })

  let origin = ""
  const capture =
    options.capture === undefined
      ? undefined
      : CaptureRoutes.make(options.capture, () => origin, [
          {
            name: "Capillary client secret",
            forms: [options.credentials.secret, encodeURIComponent(options.credentials.secret)]
          }
        ])

  const login = options.authEngine === undefined ? undefined : LoginRoutes.make(options.authEngine)

  const json = (res: ServerResponse, body: unknown) => {
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" })
    res.end(JSON.stringify(body))
  }
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://x").pathname
    if (path === "/capillary/token") {
      brokerRequests++
      return broker.node(req, res)
    }
    if (path === "/demo/settings") return json(res, { baseUrl: options.baseUrl, mobile })
    if (path === "/demo/stats") return json(res, { brokerRequests })
    if (path.startsWith("/capture/")) {
      if (capture !== undefined) return capture.handle(req, res, path)
      res.writeHead(404, { "content-type": "application/json" })
      return res.end(JSON.stringify({ error: "Capture is not configured for this demo" }))
    }
    if (path.startsWith("/login/")) {
      if (login !== undefined) return login.handle(req, res, path)
      res.writeHead(404, { "content-type": "application/json" })
      return res.end(JSON.stringify({ error: "the Auth Engine is not configured for this demo" }))
    }
    const js = files.get(path)
    if (js !== undefined) {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" })
      return res.end(js)
    }
    if (path === "/" || path === "/index.html") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" })
      return res.end(html)
    }
    if (path === "/capture.html") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" })
      return res.end(captureHtml)
    }
    if (path === "/login.html") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" })
      return res.end(loginHtml)
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found")
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve)
  })
  const { port } = server.address() as AddressInfo
  origin = `http://${options.host ?? "127.0.0.1"}:${port}`
  return {
    url: `${origin}/`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await cap.close()
      await capture?.close()
    }
  }
}
