import { parseArgs } from "node:util"
import { SAMPLE_CUSTOMER } from "./customer-store.ts"
import { SAMPLE_CAPTURE_CLIENT, SAMPLE_CAPTURE_USER, SAMPLE_CLIENT, SAMPLE_TILL } from "./defaults.ts"
import { startSimulator } from "./simulator.ts"
import type { ExpirySignal } from "./types.ts"

const HELP = `capauth-sim: a Capillary (and Capture) auth + API simulator on 127.0.0.1

Usage: capauth-sim [options]

  --port N                    port to listen on (default 8787; 0 picks a free one)
  --clock real|manual         token clock (default real; manual never moves in the CLI)
  --seed N                    seed of fault randomness (default 1)
  --expiry-signal MODE        http-498 | body-string | body-number (default http-498)
  --capture                   also print the Capture base URL, sample client and user, and curl examples
  --help                      show this help

Capture (Janrain) is always served too, under /capture on the same port.
The host is always 127.0.0.1. Stop with Ctrl-C (SIGINT) or SIGTERM.
`

/** The Capture part of the banner: base URL, sample client and user, curl examples. */
const captureBanner = (captureUrl: string, detailed: boolean): string[] => {
  if (!detailed)
    return [`Capture        base URL: ${captureUrl}   (--capture: its sample client, user and curl examples)`]
  const { clientId, clientSecret } = SAMPLE_CAPTURE_CLIENT
  const basic = `Basic ${btoa(`${clientId}:${clientSecret}`)}`
  const user = SAMPLE_CAPTURE_USER
  const redirect = "https://app.example.com/callback"
  return [
    `Capture        base URL: ${captureUrl}   (form-encoded POST to ${captureUrl}/<operation>)`,
    `Capture client client_id: ${clientId}   client_secret: ${clientSecret}   header: ${basic}`,
    `Capture user   type_name: ${user.typeName ?? "user"}   uuid: ${user.uuid}   id: ${user.id}`,
    "",
    "Count users (client auth: Basic; or client_id/client_secret params; or Date + Authorization: Signature):",
    `  curl -s ${captureUrl}/entity.count -u '${clientId}:${clientSecret}' -d type_name=user`,
    "Get an authorization code (lifetime 30 s), exchange it, read the user with the access token:",
    `  curl -s ${captureUrl}/access/getAuthorizationCode -u '${clientId}:${clientSecret}' \\`,
    `    -d type_name=user -d uuid=${user.uuid} -d redirect_uri=${redirect}`,
    `  curl -s ${captureUrl}/oauth/token -u '${clientId}:${clientSecret}' \\`,
    `    -d grant_type=authorization_code -d code=$CODE -d redirect_uri=${redirect}`,
    `  curl -s -X POST ${captureUrl}/entity -H "Authorization: OAuth $ACCESS_TOKEN"`,
    "Rotate the refresh token (each one works once):",
    `  curl -s ${captureUrl}/oauth/token -u '${clientId}:${clientSecret}' -d grant_type=refresh_token -d refresh_token=$REFRESH_TOKEN`
  ]
}

const EXPIRY: readonly ExpirySignal[] = ["http-498", "body-string", "body-number"]

const fail = (message: string): never => {
  process.stderr.write(`capauth-sim: ${message}\n\n${HELP}`)
  process.exit(2)
}

const int = (name: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) fail(`--${name} needs a non-negative integer, got ${value}`)
  return n
}

/** Runs the CLI with `argv` (without node and script). Resolves once the server is listening. */
export const main = async (argv: readonly string[]): Promise<void> => {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        port: { type: "string" },
        host: { type: "string" },
        clock: { type: "string" },
        seed: { type: "string" },
        "expiry-signal": { type: "string" },
        capture: { type: "boolean" },
        help: { type: "boolean", short: "h" }
      },
      strict: true
    }).values
  } catch (err) {
    return fail((err as Error).message)
  }
  if (values.help) {
    process.stdout.write(HELP)
    return
  }
  if (values.host !== undefined && values.host !== "127.0.0.1") fail("--host can only be 127.0.0.1")
  const clock = (values.clock as string | undefined) ?? "real"
  if (clock !== "real" && clock !== "manual") fail(`--clock must be real or manual, got ${clock}`)
  const expiry = (values["expiry-signal"] as string | undefined) ?? "http-498"
  if (!EXPIRY.includes(expiry as ExpirySignal)) fail(`--expiry-signal must be one of ${EXPIRY.join(", ")}`)

  const sim = await startSimulator({
    port: int("port", values.port as string | undefined, 8787),
    clock: clock as "real" | "manual",
    seed: int("seed", values.seed as string | undefined, 1),
    expirySignal: expiry as ExpirySignal
  })

  const till = SAMPLE_TILL.id
  const basic = `Basic ${btoa(`${till}:${sim.core.registry.tills.get(till)}`)}`
  process.stdout.write(
    [
      `capauth simulator listening on ${sim.url}`,
      "",
      `OAuth client   key: ${SAMPLE_CLIENT.key}   secret: ${SAMPLE_CLIENT.secret}   ttl: ${SAMPLE_CLIENT.ttlSeconds}s`,
      `Basic till     id: ${till}   password: ${SAMPLE_TILL.password}   header: ${basic}`,
      "",
      "Get a token:",
      `  curl -s -X POST ${sim.url}/v3/oauth/token/generate -H 'Content-Type: application/json' \\`,
      `    -d '{"key":"${SAMPLE_CLIENT.key}","secret":"${SAMPLE_CLIENT.secret}"}'`,
      "Read a customer with it:",
      `  curl -s '${sim.url}/v1.1/customer/get?format=json&mobile=${SAMPLE_CUSTOMER.mobile}' \\`,
      "    -H 'Accept: application/json' -H \"X-CAP-API-OAUTH-TOKEN: $TOKEN\"",
      "Or with Basic auth:",
      `  curl -s '${sim.url}/v1.1/customer/get?format=json&mobile=${SAMPLE_CUSTOMER.mobile}' -H 'Authorization: ${basic}'`,
      "",
      ...captureBanner(sim.captureUrl, values.capture === true),
      "",
      "Ctrl-C to stop.",
      ""
    ].join("\n")
  )

  const stop = (signal: string) => {
    process.stdout.write(`\n${signal}: closing\n`)
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1)
    )
  }
  process.once("SIGINT", () => stop("SIGINT"))
  process.once("SIGTERM", () => stop("SIGTERM"))
}
