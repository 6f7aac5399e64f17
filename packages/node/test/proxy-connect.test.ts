/**
 * An `https:` target through the proxy: undici tunnels it with `CONNECT`, so the proxy sees only `host:port` and
 * never a request, a secret or a token. The target is the simulator behind a TLS terminator on 127.0.0.1 with a
 * self-signed certificate for 127.0.0.1 (test/fixtures/tls, valid until 2126), trusted by this test file's
 * worker only (`tls.setDefaultCACertificates`, added to the default CAs).
 *
 * (An `http:` target, which capauth allows only on loopback, is forwarded in absolute form instead: undici's
 * `ProxyAgent` tunnels plain HTTP only with `proxyTunnel: true`; the transport contract covers that case.)
 */
import { readFileSync } from "node:fs"
import { connect, type Socket } from "node:net"
import * as tls from "node:tls"
import { SAMPLE_CLIENT, type Simulator, startSimulator } from "@capauth/testkit"
import { startProxy, type TestProxy } from "@capauth/testkit/contract"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { createCapillaryClient } from "../src/index.ts"

const fixture = (name: string) => readFileSync(new URL(`./fixtures/tls/${name}`, import.meta.url), "utf8")
const cert = fixture("cert.pem")
const credentials = { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }
const proxyVars = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"]

let sim: Simulator
let terminator: tls.Server
let httpsUrl: string
const sockets = new Set<Socket>()
const saved = new Map(proxyVars.map((name) => [name, process.env[name]]))

beforeAll(async () => {
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), cert])
  sim = await startSimulator({ port: 0, sharedKey: true })
  terminator = tls.createServer({ key: fixture("key.pem"), cert }, (socket) => {
    const upstream = connect(sim.port, "127.0.0.1")
    for (const s of [socket, upstream]) {
      sockets.add(s)
      s.on("close", () => sockets.delete(s))
      s.on("error", () => undefined)
    }
    socket.pipe(upstream).pipe(socket)
  })
  await new Promise<void>((resolve) => terminator.listen(0, "127.0.0.1", resolve))
  httpsUrl = `https://127.0.0.1:${(terminator.address() as { port: number }).port}`
})

afterAll(async () => {
  for (const s of sockets) s.destroy()
  await new Promise<void>((resolve) => terminator.close(() => resolve()))
  await sim.close()
})

afterEach(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
})

/** What the proxy was sent: CONNECTs to the terminator only, with nothing of the credentials or tokens. */
const expectTunnelsOnly = (proxy: TestProxy) => {
  const target = new URL(httpsUrl).host
  expect(proxy.seen.length).toBeGreaterThan(0)
  for (const seen of proxy.seen) {
    expect([seen.kind, seen.method, seen.target]).toEqual(["connect", "CONNECT", target])
    expect(seen.body).toBe("")
  }
  const transcript = proxy.transcript()
  for (const secret of [credentials.secret, ...sim.tokens.map((t) => t.token)]) {
    expect(transcript.includes(secret)).toBe(false)
  }
}

describe("an https: target through a proxy (CONNECT)", () => {
  const auth = { username: "egress", password: "pr0xy-pass" }
  for (const via of ["proxy option", "HTTPS_PROXY", "https_proxy with credentials"] as const) {
    it(`${via}: the token request and API calls are tunnelled; the proxy sees only host:port`, async () => {
      const withAuth = via === "https_proxy with credentials"
      const proxy = await startProxy(withAuth ? { auth } : {})
      for (const name of proxyVars) delete process.env[name]
      if (via === "HTTPS_PROXY") process.env.HTTPS_PROXY = proxy.url
      if (withAuth)
        process.env.https_proxy = `http://${auth.username}:${auth.password}@127.0.0.1:${proxy.port}`
      const before = sim.requests.length
      const cap = createCapillaryClient({
        baseUrl: httpsUrl,
        credentials,
        ...(via === "proxy option" ? { proxy: proxy.url } : {})
      })
      try {
        for (let i = 0; i < 2; i++) {
          const response = await cap.fetch("/v2/customers/1")
          expect(response.status).toBe(200)
          expect(((await response.json()) as { id: number }).id).toBe(1)
        }
      } finally {
        await cap.close()
        await proxy.close()
      }
      expect(sim.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([
        "POST /v3/oauth/token/generate",
        "GET /v2/customers/1",
        "GET /v2/customers/1"
      ])
      expectTunnelsOnly(proxy)
      const basic = withAuth ? `Basic ${btoa(`${auth.username}:${auth.password}`)}` : undefined
      for (const seen of proxy.seen) expect(seen.headers["proxy-authorization"]).toBe(basic)
    })
  }
})
