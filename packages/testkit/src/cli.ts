import { parseArgs } from "node:util"
import { SAMPLE_CUSTOMER } from "./customer-store.ts"
import {
  SAMPLE_AUTH_ENGINE_BRAND,
  SAMPLE_AUTH_ENGINE_DEVICE_ID,
  SAMPLE_AUTH_ENGINE_USER,
  SAMPLE_CAPTURE_CLIENT,
  SAMPLE_CAPTURE_USER,
  SAMPLE_CLIENT,
  SAMPLE_TILL
} from "./defaults.ts"
import { startSimulator } from "./simulator.ts"
import type { ExpirySignal } from "./types.ts"

const HELP = `capauth-sim: a Capillary (Capture, Auth Engine) auth + API simulator on 127.0.0.1

Usage: capauth-sim [options]

  --port N                    port to listen on (default 8787; 0 picks a free one)
  --clock real|manual         token clock (default real; manual never moves in the CLI)
  --seed N                    seed of fault randomness (default 1)
  --expiry-signal MODE        http-498 | body-string | body-number (default http-498)
  --capture                   also print the Capture base URL, sample client and user, and curl examples
  --auth-engine               also print the Auth Engine sample brand, customer, device, the admin OTP route
                              and curl examples (end-customer OTP / password login and its gateway)
  --auth-token-ttl N          Auth Engine token lifetime in seconds (default 900; the reference's samples: 3600)
  --auth-otp DIGITS           every Auth Engine OTP is DIGITS (4 to 8 digits, e.g. 999999; default random)
  --help                      show this help

Capture (Janrain) is always served too, under /capture on the same port, and the end-customer
Auth Engine with its gateway under /auth-engine.
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

/** The Auth Engine part of the banner: base URLs, sample brand, customer and device, curl examples. */
const authEngineBanner = (authUrl: string, gatewayUrl: string, ttl: number, detailed: boolean): string[] => {
  if (!detailed) {
    return [
      `Auth Engine    base URL: ${authUrl}   (--auth-engine: its sample customer, OTP route and curl examples)`
    ]
  }
  const user = SAMPLE_AUTH_ENGINE_USER
  const brand = SAMPLE_AUTH_ENGINE_BRAND.name
  const device = SAMPLE_AUTH_ENGINE_DEVICE_ID
  const json = "-H 'Content-Type: application/json'"
  const who = `"identifierType":"MOBILE","identifierValue":"${user.mobile}","brand":"${brand}","deviceId":"${device}"`
  return [
    `Auth Engine    base URL: ${authUrl}   (JSON POST to ${authUrl}/auth/v1/...; tokens HS256, ${ttl}s)`,
    `Auth gateway   base URL: ${gatewayUrl}   (GET ${gatewayUrl}/v1/customer/profile)`,
    `Auth customer  brand: ${brand}   mobile: ${user.mobile}   email: ${user.email}   username: ${user.username}   password: ${user.password}`,
    `Auth device    deviceId: ${device}`,
    `Auth OTPs      GET ${authUrl}/_admin/otp?sessionId=$SESSION_ID   (simulator only: the pending OTP)`,
    "",
    "Start a session (user.sessionId), send an OTP, read it, validate it (auth.token, auth.key):",
    `  curl -s ${authUrl}/auth/v1/token/generate ${json} -d '{${who}}'`,
    `  curl -s ${authUrl}/auth/v1/otp/generate ${json} -d '{${who},"sessionId":"'$SESSION_ID'"}'`,
    `  curl -s '${authUrl}/_admin/otp?sessionId='$SESSION_ID`,
    `  curl -s ${authUrl}/auth/v1/otp/validate ${json} -d '{${who},"sessionId":"'$SESSION_ID'","otp":"'$OTP'"}'`,
    "Or validate the password in a new session:",
    `  curl -s ${authUrl}/auth/v1/password/validate ${json} -d '{${who},"sessionId":"'$SESSION_ID'","password":"${user.password}"}'`,
    "Call the gateway with the token; regenerate it with the key:",
    `  curl -s ${gatewayUrl}/v1/customer/profile -H "cap_authorization: $TOKEN" -H 'cap_brand: ${brand}' -H 'cap_device_id: ${device}'`,
    `  curl -s ${authUrl}/auth/v1/token/regenerate ${json} -d '{${who},"key":"'$KEY'"}'`
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
        "auth-engine": { type: "boolean" },
        "auth-token-ttl": { type: "string" },
        "auth-otp": { type: "string" },
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

  const tokenTtl = int("auth-token-ttl", values["auth-token-ttl"] as string | undefined, 900)
  if (tokenTtl < 1) fail("--auth-token-ttl needs an integer >= 1")
  const otp = values["auth-otp"] as string | undefined
  if (otp !== undefined && !/^\d{4,8}$/.test(otp)) fail(`--auth-otp needs 4 to 8 digits, got ${otp}`)

  const sim = await startSimulator({
    port: int("port", values.port as string | undefined, 8787),
    clock: clock as "real" | "manual",
    seed: int("seed", values.seed as string | undefined, 1),
    expirySignal: expiry as ExpirySignal,
    authEngine: { tokenTtlSeconds: tokenTtl, ...(otp === undefined ? {} : { otp }) }
  })

  // Before the banner: whoever reads it may signal at once.
  const stop = (signal: string) => {
    process.stdout.write(`\n${signal}: closing\n`)
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1)
    )
  }
  process.once("SIGINT", () => stop("SIGINT"))
  process.once("SIGTERM", () => stop("SIGTERM"))

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
      ...authEngineBanner(
        sim.authEngineUrl,
        sim.authEngineGatewayUrl,
        tokenTtl,
        values["auth-engine"] === true
      ),
      "",
      "Ctrl-C to stop.",
      ""
    ].join("\n")
  )
}
