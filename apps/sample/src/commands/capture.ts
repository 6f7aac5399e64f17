/**
 * `capture`: a guided run of capauth's Capture facade (`createCaptureClient` of `@capauth/node`), on the embedded
 * simulator or the Capture app named by `CAPTURE_*`. It shows client authentication in each mode, a code
 * exchange that opens a user session, a forced expiry recovered by one refresh (with rotation), a wave of
 * concurrent calls on an expired session served by one refresh, a creation token used once for `entity.create`,
 * and what the simulator counted. Secrets are never printed; tokens only with `--reveal`.
 */
import { createHash } from "node:crypto"
import * as CaptureRequest from "@capauth/core/CaptureRequest"
import * as RefreshTokenStore from "@capauth/core/RefreshTokenStore"
import { type CapturePromiseClient, type CapturePromiseSession, createCaptureClient } from "@capauth/node"
import type { Simulator } from "@capauth/testkit"
import * as Redacted from "effect/Redacted"
import * as CaptureTarget from "../CaptureTarget.ts"
import { describe as describeFailure } from "../Failure.ts"
import { type Io, note, program } from "../Io.ts"
import { embeddedSimulator } from "../Target.ts"
import * as Terminal from "../Terminal.ts"

export interface CaptureOptions {
  /** Concurrent calls on the expired session (step 5). */
  readonly wave: number
  /** The user whose authorization code opens the session (default: the simulator's sample user). */
  readonly uuid: string | undefined
  readonly typeName: string
  /** Allow `entity.create` on a real Capture app (it creates a record there). */
  readonly create: boolean
  readonly reveal: boolean
  readonly simulator: boolean
}

/** Never followed: Capture only checks that the exchange names the same URI as the code request. */
const REDIRECT_URI = "https://capauth-sample.example/callback"

/** Capture's error names, for the summary (the codes this run can meet). */
const codeNames: Readonly<Record<string, string>> = {
  "100": "missing_argument",
  "200": "invalid_argument",
  "210": "invalid_credentials",
  "402": "invalid_client_credentials",
  "403": "client_permission_error",
  "413": "no_access_grant",
  "414": "access_token_expired",
  "415": "authorization_code_expired",
  "417": "creation_token_expired"
}

/** Not a token: the first 8 hex digits of its SHA-256, to tell tokens apart without showing them. */
const fingerprint = (value: Redacted.Redacted<string> | string) =>
  createHash("sha256")
    .update(Redacted.isRedacted(value) ? Redacted.value(value) : value)
    .digest("hex")
    .slice(0, 8)

/** A refresh token store in memory that counts its writes (the library's store is opaque on purpose). */
const countingStore = () => {
  const entries = new Map<string, string>()
  let writes = 0
  const store = RefreshTokenStore.fromPromise({
    get: async (key) => entries.get(key),
    set: async (key, value) => {
      writes++
      entries.set(key, value)
    }
  })
  return { store, get: (key: string) => entries.get(key), writes: () => writes }
}

interface CaptureAnswer {
  readonly stat?: unknown
  readonly code?: unknown
  readonly error?: unknown
  readonly uuid?: unknown
  readonly id?: unknown
}

/** `entity.create` as a browser sends it: the creation token and the record, no client credentials. */
const createWithToken = async (
  baseUrl: string,
  token: string,
  typeName: string,
  attributes: Record<string, unknown>
): Promise<CaptureAnswer> => {
  const response = await fetch(`${baseUrl}/entity.create`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({
      creation_token: token,
      type_name: typeName,
      attributes: JSON.stringify(attributes)
    }),
    signal: AbortSignal.timeout(10_000)
  })
  return (await response.json()) as CaptureAnswer
}

/** Count occurrences of `needle` (0 for an empty needle). */
const occurrences = (haystack: string, needle: string): number => {
  if (needle === "") return 0
  let n = 0
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + needle.length)) n++
  return n
}

export const run = async (options: CaptureOptions, io: Io): Promise<number> => {
  const useCluster = !options.simulator && CaptureTarget.wantsCapture(io.env)
  // Check the environment before anything starts: a bad CAPTURE_* variable is a ConfigError (exit 2).
  const fromEnv = useCluster ? CaptureTarget.fromEnv(io.env) : undefined
  const t = Terminal.make(io.stdout, io.env)
  const started = performance.now()
  const ok = t.green("✓")
  const bad = t.red("✗")
  const skip = t.dim("–")
  let failures = 0
  const check = (passed: boolean) => {
    if (!passed) failures++
    return passed ? ok : bad
  }
  const step = (n: number, title: string) => {
    t.line()
    t.line(`${t.bold(t.cyan(`${n}`))}  ${t.bold(title)}`)
  }
  const say = (text: string) => t.line(`   ${text}`)
  const reveal = (label: string, value: Redacted.Redacted<string>) => {
    if (options.reveal) say(`  ${t.dim(label.padEnd(14))} ${Redacted.value(value)}`)
  }
  const failed = (error: unknown) => {
    failures++
    say(`${bad} ${describeFailure(error, program).line}`)
  }

  let sim: Simulator | undefined
  const clients: CapturePromiseClient[] = []
  try {
    let settings: CaptureTarget.CaptureSettings
    if (fromEnv === undefined) {
      sim = await embeddedSimulator()
      settings = await CaptureTarget.simulatorSettings(sim.captureUrl)
      note(io)(
        `${options.simulator ? "--simulator given" : "no CAPTURE_* credentials in the environment"}: using the embedded simulator's Capture at ${sim.captureUrl}`
      )
    } else {
      settings = fromEnv
    }
    const { SAMPLE_CAPTURE_USER } = await import("@capauth/testkit")
    const uuid = options.uuid ?? (sim === undefined ? undefined : SAMPLE_CAPTURE_USER.uuid)
    const typeName = options.typeName
    const secret = Redacted.value(settings.clientSecret) // only to prove it is absent from what was sent
    const basicCredentials = Buffer.from(`${settings.clientId}:${secret}`).toString("base64")

    t.line(
      `${t.bold("capauth capture")} ${t.dim(`· createCaptureClient() from @capauth/node against ${sim === undefined ? "a Capture app (CAPTURE_*)" : "an embedded simulator"}`)}`
    )
    t.line(
      t.dim(
        `   ${settings.baseUrl} · client "${settings.clientId}" · type "${typeName}"${uuid === undefined ? "" : ` · user ${uuid}`}`
      )
    )
    const tokens = countingStore()
    const make = (clientAuth: CaptureTarget.CaptureSettings["clientAuth"]) => {
      const client = createCaptureClient({
        baseUrl: settings.baseUrl,
        clientId: settings.clientId,
        clientSecret: settings.clientSecret,
        clientAuth,
        tokenStore: tokens.store
      })
      clients.push(client)
      return client
    }
    /** The request the simulator received for `operation` since log index `from` (headers as sent). */
    const prefix = sim === undefined ? "" : new URL(sim.captureUrl).pathname
    const received = (from: number, operation: string) =>
      sim?.requests
        .slice(from)
        .filter((r) => r.path === `${prefix}/${operation}`)
        .at(-1)
    const loggedFields = (body: unknown): Record<string, string> =>
      typeof body === "object" && body !== null ? (body as Record<string, string>) : {}

    // 1. Client authentication, three ways.
    step(1, "Client authentication · entity.count in each mode")
    let primary: CapturePromiseClient | undefined
    for (const mode of ["basic", "params", "signed"] as const) {
      const client = make(mode)
      if (mode === settings.clientAuth) primary = client
      const from = sim?.requests.length ?? 0
      const signaturesBefore = sim?.capture.stats().signatureChecks.passed ?? 0
      let count: unknown
      try {
        count = (await client.call("entity.count", { type_name: typeName })).total_count
      } catch (error) {
        failures++
        say(`${bad} ${t.bold(mode.padEnd(6))} ${describeFailure(error, program).line}`)
        continue
      }
      const sent = received(from, "entity.count")
      const headers = sent?.headers ?? {}
      const fields = loggedFields(sent?.body)
      const authorization = headers.authorization ?? ""
      const head = `${mode.padEnd(6)} total_count ${count}`
      switch (mode) {
        case "basic": {
          const carries = sent === undefined ? undefined : authorization === `Basic ${basicCredentials}`
          say(
            `${check(carries !== false)} ${t.bold(head)} ${t.dim("· Authorization: Basic base64(id:secret): the secret travels, encoded, in a header")}`
          )
          break
        }
        case "params": {
          const carries = sent === undefined ? undefined : "client_id" in fields && "client_secret" in fields
          say(
            `${check(carries !== false)} ${t.bold(head)} ${t.dim("· client_id + client_secret form fields: the secret travels in the body")}`
          )
          break
        }
        case "signed": {
          const date = headers.date ?? CaptureRequest.formatDate(Date.now())
          const params = Object.fromEntries(
            Object.entries(fields).filter(([key]) => !CaptureRequest.credentialParams.includes(key))
          )
          const text = CaptureRequest.signedText("entity.count", date, { type_name: typeName, ...params })
          const [firstLine, ...rest] = text.split("\n")
          const signed = authorization.startsWith(`Signature ${settings.clientId}:`)
          say(
            `${check(sent === undefined || signed)} ${t.bold(head)} ${t.dim(`· Date + Authorization: Signature ${settings.clientId}:<HMAC-SHA1>`)}`
          )
          say(
            `         signed text, first line: ${t.bold(firstLine ?? "")} ${t.dim(`(then the Date, then ${rest.length - 2} parameter line(s); the HMAC key is the secret)`)}`
          )
          if (sent === undefined) {
            say(`         ${skip} ${t.dim("what went over the wire: the simulator's request log only")}`)
          } else {
            const wire = [
              sent.path,
              sent.query,
              ...Object.entries(headers).flat(),
              JSON.stringify(sent.body ?? "")
            ]
            const hits = wire.reduce(
              (n, part) =>
                n +
                occurrences(part, secret) +
                occurrences(part, encodeURIComponent(secret)) +
                occurrences(part, basicCredentials),
              0
            )
            const verified = (sim?.capture.stats().signatureChecks.passed ?? 0) - signaturesBefore
            say(
              `         ${check(hits === 0 && !("client_secret" in fields))} ${t.bold("the secret was not sent")}: ` +
                `${hits} occurrences in the request's headers, query and body ${t.dim(`(simulator's request log) · signature verified ${verified}×`)}`
            )
          }
          break
        }
      }
    }
    primary ??= make(settings.clientAuth)
    const capture = primary
    const captureStats = () => sim?.capture.stats()

    // 2. An authorization code exchanged for a session.
    step(2, "Authorization code → a user session (code exchange)")
    let session: CapturePromiseSession | undefined
    let firstRefresh: Redacted.Redacted<string> | undefined
    if (uuid === undefined) {
      say(`${skip} ${t.dim("skipped: give --uuid UUID (a user of this Capture app) to open a session")}`)
    } else {
      try {
        const code = await capture.authorizationCode({ typeName, uuid, redirectUri: REDIRECT_URI })
        say(`${ok} access/getAuthorizationCode ${t.dim(`· user ${uuid} · code hidden (single use, 30 s)`)}`)
        reveal("code", code)
        session = await capture.exchangeCode({ code, redirectUri: REDIRECT_URI })
        const first = await session.tokens()
        firstRefresh = first.refreshToken
        say(
          `${check(tokens.writes() === 1)} oauth/token grant_type=authorization_code → ${t.bold("a session")} ` +
            t.dim(
              `· access token expires ${Terminal.clockTime(first.expiresAt)} (in ${Terminal.duration(first.expiresAt.getTime() - Date.now())})`
            )
        )
        say(
          `  ${t.dim(`refresh token ${fingerprint(first.refreshToken)}… (fingerprint) written to the store before use · store writes ${tokens.writes()}`)}`
        )
        if (!options.reveal) say(`  ${t.dim("tokens hidden (pass --reveal to print them)")}`)
        reveal("access token", first.accessToken)
        reveal("refresh token", first.refreshToken)
      } catch (error) {
        failed(error)
        session = undefined
      }
    }

    // 3. A call with the user's access token.
    step(3, `session.call("entity") · the user's own record, with the access token`)
    if (session === undefined) {
      say(`${skip} ${t.dim("skipped: no session")}`)
    } else {
      const from = sim?.requests.length ?? 0
      const me = (await session.call("entity", { type_name: typeName })).result as
        | Record<string, unknown>
        | undefined
      const sent = received(from, "entity")
      const viaToken =
        sent === undefined ||
        ((sent.headers.authorization ?? "").startsWith("OAuth ") &&
          !("client_secret" in loggedFields(sent.body)))
      const name = [me?.givenName, me?.familyName].filter((s) => typeof s === "string").join(" ")
      say(
        `${check(me?.uuid === uuid && viaToken)} ${t.bold(name === "" ? String(me?.uuid) : name)}` +
          `${typeof me?.email === "string" ? ` · ${me.email}` : ""} ${t.dim(`· uuid ${String(me?.uuid)}`)}`
      )
      say(`  ${t.dim("sent with Authorization: OAuth <access token>: no client credentials on a user call")}`)
    }

    // 4. Forced expiry: one refresh, and the refresh token rotates.
    step(4, "Forced expiry → one refresh, and rotation")
    if (session === undefined || sim === undefined || firstRefresh === undefined) {
      say(
        `${skip} ${t.dim(sim === undefined ? "simulator only: a Capture app cannot be told to expire its tokens" : "skipped: no session")}`
      )
    } else {
      say(t.dim(`sim.capture.expireAccessTokens() · then session.call("entity")`))
      sim.capture.expireAccessTokens()
      const before = captureStats()
      const writesBefore = tokens.writes()
      const again = await session.call("entity", { type_name: typeName })
      const after = captureStats()
      const expired = delta(before?.operations, after?.operations, "/entity -> 414")
      const refreshes = delta(before?.tokenRequests, after?.tokenRequests, "refresh_token")
      say(
        `${check(again.stat === "ok" && expired === 1 && refreshes === 1)} ${expired} × 414 access_token_expired → ` +
          `${t.bold(`${refreshes} refresh`)} (grant_type=refresh_token) → the call sent again → ok`
      )
      const now = await session.tokens()
      const stored = tokens.get(session.key)
      const rotated = stored === Redacted.value(now.refreshToken) && stored !== Redacted.value(firstRefresh)
      say(
        `${check(rotated && tokens.writes() === writesBefore + 1)} rotation: the store holds the new refresh token ` +
          t.dim(
            `(${fingerprint(firstRefresh)}… → ${fingerprint(now.refreshToken)}…, written before the new access token was used)`
          )
      )
      reveal("access token", now.accessToken)
      reveal("refresh token", now.refreshToken)
      try {
        await capture.call("oauth/token", { grant_type: "refresh_token", refresh_token: firstRefresh })
        say(`${check(false)} the old refresh token was accepted again`)
      } catch (error) {
        const e = error as { _tag?: string; code?: unknown; error?: unknown }
        say(
          `${check(e.code === 210)} the old refresh token is refused: ${t.bold(`${e._tag} · ${e.code} ${e.error ?? ""}`.trimEnd())} ` +
            t.dim("(Capture's refresh tokens are single use)")
        )
      }
    }

    // 5. Many callers, one expired session: one refresh.
    step(5, `${options.wave} concurrent calls on an expired session`)
    if (session === undefined || sim === undefined) {
      say(
        `${skip} ${t.dim(sim === undefined ? "simulator only: a Capture app cannot be told to expire its tokens" : "skipped: no session")}`
      )
    } else {
      say(t.dim(`sim.capture.expireAccessTokens() · then ${options.wave} × session.call("entity") at once`))
      sim.capture.expireAccessTokens()
      const before = captureStats()
      const open = session
      const wave = await concurrently(t, "calls", options.wave, () =>
        open.call("entity", { type_name: typeName })
      )
      const after = captureStats()
      const expired = delta(before?.operations, after?.operations, "/entity -> 414")
      const refreshes = delta(before?.tokenRequests, after?.tokenRequests, "refresh_token")
      say(
        `${check(wave.ok === options.wave && refreshes === 1)} ${wave.ok}/${options.wave} ok in ${Terminal.duration(wave.millis)} · ` +
          `${expired} × 414 recovered with ${t.bold(`${refreshes} refresh`)} ${t.dim("· one refresh in flight, every caller waits for it")}`
      )
    }

    // 6. A creation token, used once.
    step(6, "Creation token → entity.create, once (what a browser does)")
    let created: string | undefined
    try {
      const creation = await capture.creationToken({ typeName, lifetime: 300 })
      say(
        `${ok} access/getCreationToken ${t.dim(`· type ${typeName} · expires ${Terminal.clockTime(creation.expiresAt)} · value hidden`)}`
      )
      reveal("creation token", creation.value)
      if (sim === undefined && !options.create) {
        say(
          `${skip} ${t.dim("entity.create skipped: on a real Capture app it creates a record (pass --create)")}`
        )
      } else {
        const stamp = Date.now().toString(36)
        const attributes = {
          email: `capauth-sample+${stamp}@example.com`,
          givenName: "Capture",
          familyName: "Sample"
        }
        const token = Redacted.value(creation.value)
        const first = await createWithToken(settings.baseUrl, token, typeName, attributes)
        created = typeof first.uuid === "string" ? first.uuid : undefined
        say(
          `${check(first.stat === "ok" && created !== undefined)} entity.create with the creation token only ` +
            `→ ${first.stat === "ok" ? t.bold(`uuid ${created} · id ${String(first.id)}`) : `${first.code} ${first.error}`} ` +
            t.dim("· no client credentials: creation_token, type_name, attributes")
        )
        const second = await createWithToken(settings.baseUrl, token, typeName, attributes)
        say(
          `${check(second.stat === "error" && second.code === 417)} the same token again → refused: ` +
            `${t.bold(`${String(second.code)} ${String(second.error)}`)} ${t.dim("(single use)")}`
        )
      }
    } catch (error) {
      failed(error)
    }

    // 7. What the simulator counted.
    const elapsed = performance.now() - started
    const stats = captureStats()
    t.line()
    if (stats === undefined) {
      t.line(`${t.bold("Requests")} ${t.dim("· counted by the simulator only")}`)
    } else {
      t.line(`${t.bold("Capture requests")} ${t.dim("· sim.capture.stats()")}`)
      const rows = Object.entries(stats.operations).map(([key, n]) => {
        const [operation = key, answer = ""] = key.split(" -> ")
        const named = codeNames[answer] === undefined ? answer : `${answer} ${codeNames[answer]}`
        return [operation, answer === "ok" ? t.green("ok") : t.yellow(named), String(n)]
      })
      for (const line of Terminal.table(rows, { header: ["operation", "answer", "requests"] })) t.line(line)
      const list = (record: Readonly<Record<string, number>>) =>
        Object.entries(record)
          .map(([k, n]) => `${k} ${n}`)
          .join(" · ")
      const facts: string[][] = [
        ["auth modes", list(stats.authModes)],
        ["oauth/token", `${list(stats.tokenRequests)} ${t.dim("(by grant_type)")}`],
        ["refresh tokens", `used ${stats.refreshTokensUsed} · reuse refused ${stats.refreshTokenReuse}`],
        ["signatures", `passed ${stats.signatureChecks.passed} · failed ${stats.signatureChecks.failed}`],
        [
          "creation tokens",
          `issued ${stats.creationTokensIssued} · redeemed ${stats.creationTokensRedeemed}`
        ],
        ["elapsed", Terminal.duration(elapsed)]
      ]
      for (const line of Terminal.columns(
        facts.map(([k, v]) => [t.dim(k ?? ""), v ?? ""]),
        "  "
      ))
        t.line(line)
    }
    t.line()
    t.line(
      failures === 0
        ? `${ok} done: nothing secret was printed${options.reveal ? " (tokens shown: --reveal)" : ""}; closing the clients${sim === undefined ? "" : " and the simulator"}`
        : `${bad} ${failures} check(s) failed (see above)`
    )
    return failures === 0 ? 0 : 1
  } finally {
    for (const client of clients) await client.close().catch(() => undefined)
    await sim?.close()
  }
}

const delta = (
  before: Readonly<Record<string, number>> | undefined,
  after: Readonly<Record<string, number>> | undefined,
  key: string
) => (after?.[key] ?? 0) - (before?.[key] ?? 0)

/** Run `count` calls at once, showing a live counter; resolves when all have settled. */
const concurrently = async (
  t: Terminal.Terminal,
  label: string,
  count: number,
  call: (i: number) => Promise<unknown>
): Promise<{ readonly ok: number; readonly millis: number }> => {
  const started = performance.now()
  let done = 0
  let ok = 0
  const every = Math.max(1, Math.ceil(count / 4))
  const show = () =>
    t.progress(
      `   ${label} ${done}/${count} ${t.dim(`(${ok} ok)`)}`,
      done > 0 && (done % every === 0 || done === count)
    )
  show()
  const failures = new Set<string>()
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      call(i)
        .then(
          () => void ok++,
          (error: unknown) => void failures.add(describeFailure(error, program).line)
        )
        .finally(() => {
          done++
          show()
        })
    )
  )
  t.endProgress()
  for (const failure of [...failures].slice(0, 3)) t.line(`   ${t.red("✗")} ${failure}`)
  return { ok, millis: performance.now() - started }
}
