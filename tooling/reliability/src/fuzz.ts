/**
 * Fuzzing (fast-check): generated token-endpoint responses and API responses, served from a loopback server
 * that answers whatever the current case says. Every case must end in a success (when the response is valid)
 * or a typed capauth error: never a defect or an untyped rejection. Cases are generated from a seed with
 * `fc.sample` and all run, so the report can count every kind of outcome, not only the first failure.
 */
import { CapillaryConfig, TokenEndpoint } from "@capauth/core"
import type { CapillaryPromiseClient } from "@capauth/core/PromiseClient"
import type * as HttpClient from "effect/http/HttpClient"
import type * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Result from "effect/Result"
import fc from "fast-check"
import { outcomeOfExit } from "./drivers.ts"
import { keyOf, type Outcome, outcomeOfError, Tally } from "./outcome.ts"

/** A response as raw parts: the body is text (so invalid JSON and huge numbers can be written as is). */
interface Reply {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** What a case must end in: `accept` (a valid answer), `refuse` (a typed error), or `either` (typed if refused). */
type Expect = "accept" | "refuse" | "either"

interface Case {
  readonly label: string
  readonly expect: Expect
  /** Built when served, so 10k cases never hold their 8 MiB bodies at once. */
  readonly reply: () => Reply
}

export type Serve = (
  handler: (request: Request) => Response | Promise<Response>
) => Promise<{ readonly url: string; close(): Promise<void> }>

const json = "application/json"
const MIB = 1024 * 1024
const maxTokenChars = 8192
const maxTtlSeconds = 31 * 24 * 3600

const b64url = fc.string({
  unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
  minLength: 4,
  maxLength: 60
})
const validToken = fc.tuple(b64url, b64url, b64url).map(([a, b, c]) => `eyJ${a}.eyJ${b}.${c}`)
const validTtl = fc.oneof(
  fc.integer({ min: 2, max: maxTtlSeconds - 100 }).map(String),
  fc.integer({ min: 2, max: maxTtlSeconds - 100 }).map((n) => JSON.stringify(String(n))),
  fc.constantFrom("300", "3600", "86400", '"300"', "1.5e3", "299.5")
)
const tokenBody = (token: string, ttl: string, errors = "null") =>
  `{"data":{"accessToken":${token},"ttlSeconds":${ttl}},"errors":${errors}}`

const badTtl = fc.constantFrom(
  '"Infinity"',
  "1e300",
  "1e13",
  "1e-9",
  "0",
  "-5",
  '"NaN"',
  '"0x3c"',
  '"0b1"',
  '"60s"',
  '" 60"',
  '""',
  "true",
  "null",
  "{}",
  "[]",
  String(maxTtlSeconds + 1),
  "1e999",
  "-1e999",
  '"1e3"',
  "0.5"
)
const badToken = fc.oneof(
  fc.constantFrom('""', '"   "', "null", "42", "{}", "[]", "true", '"a b"', '"tok\\nen"', '"tok\\u0000en"'),
  fc.constant(JSON.stringify("x".repeat(64 * 1024))),
  fc.constant(JSON.stringify("y".repeat(maxTokenChars + 1)))
)
const oddErrors = fc.constantFrom(
  "[null]",
  "[{}]",
  '[{"code":498}]',
  '[{"code":"x"}]',
  '[{"code":null,"message":7}]',
  '[{"code":9999999}]',
  "[[]]",
  '"oops"'
)
const anyJson = fc.json({ maxDepth: 3 })
const invalidJson = fc.oneof(
  fc.constantFrom(
    "",
    "{",
    "{,}",
    "not json",
    "<html>502 Bad Gateway</html>",
    '{"data":',
    "\u0000\u0001",
    "[".repeat(50_000)
  ),
  fc.string({ maxLength: 40 }).map((s) => `{${s}`)
)
const hugeBody = fc.constantFrom(
  () => `{"data":{"accessToken":"${"z".repeat(8 * MIB)}","ttlSeconds":300}}`,
  () => `{"pad":"${" ".repeat(8 * MIB)}"}`,
  () => `{"errors":[{"code":500,"message":"${"m".repeat(8 * MIB)}"}]}`
)
const status = fc.oneof(
  fc.integer({ min: 200, max: 599 }),
  fc.constantFrom(200, 401, 403, 429, 498, 500, 502, 503, 504)
)
const retryAfter = fc.constantFrom(
  "1",
  "0",
  "-1",
  "abc",
  "99999999999",
  "1e3",
  "Wed, 21 Oct 2015 07:28:00 GMT",
  ""
)
const headers = fc
  .record(
    {
      "content-type": fc.constantFrom(
        json,
        "text/html",
        "application/json; charset=utf-8",
        "",
        "application/x-garbage"
      ),
      "retry-after": retryAfter
    },
    { requiredKeys: ["content-type"] }
  )
  .map((h) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== "")))

/** Generated token-endpoint responses, each with what it must end in. */
const tokenCases: fc.Arbitrary<Case> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.tuple(validToken, validTtl).map(([t, ttl]) => ({
      label: "valid",
      expect: "accept" as const,
      reply: () => ({
        status: 200,
        headers: { "content-type": json },
        body: tokenBody(JSON.stringify(t), ttl)
      })
    }))
  },
  {
    weight: 4,
    arbitrary: fc.tuple(validToken, badTtl).map(([t, ttl]) => ({
      label: `ttlSeconds ${ttl}`,
      expect: "refuse" as const,
      reply: () => ({
        status: 200,
        headers: { "content-type": json },
        body: tokenBody(JSON.stringify(t), ttl)
      })
    }))
  },
  {
    weight: 3,
    arbitrary: fc.tuple(badToken, validTtl).map(([t, ttl]) => ({
      label: `accessToken ${t.length > 40 ? `${t.length} chars` : t}`,
      expect: "refuse" as const,
      reply: () => ({ status: 200, headers: { "content-type": json }, body: tokenBody(t, ttl) })
    }))
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.option(validToken), oddErrors).map(([t, e]) => ({
      label: `HTTP 200 errors ${e}`,
      expect: t === null ? ("refuse" as const) : ("either" as const),
      reply: () => ({
        status: 200,
        headers: { "content-type": json },
        body: t === null ? `{"data":null,"errors":${e}}` : tokenBody(JSON.stringify(t), "300", e)
      })
    }))
  },
  {
    weight: 3,
    arbitrary: fc.tuple(status, headers, anyJson).map(([s, h, b]) => ({
      label: `HTTP ${s} any JSON`,
      expect: (s === 200 ? "either" : "refuse") as Expect,
      reply: () => ({ status: s, headers: h, body: b })
    }))
  },
  {
    weight: 3,
    arbitrary: fc.tuple(status, headers, invalidJson).map(([s, h, b]) => ({
      label: "invalid JSON",
      expect: "refuse" as const,
      reply: () => ({ status: s, headers: h, body: b })
    }))
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(200, 500), hugeBody).map(([s, body]) => ({
      label: "8 MiB body",
      expect: "refuse" as const,
      reply: () => ({ status: s, headers: { "content-type": json }, body: body() })
    }))
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom(429, 503, 500, 401, 403), retryAfter).map(([s, ra]) => ({
      label: `HTTP ${s} Retry-After "${ra}"`,
      expect: "refuse" as const,
      reply: () => ({
        status: s,
        headers: { "content-type": json, "retry-after": ra },
        body: `{"data":null,"errors":[{"code":${s === 401 ? 320001 : s},"message":"x"}]}`
      })
    }))
  }
)

/** Generated API responses: whatever the status and body, the facade resolves with a Response or rejects typed. */
const apiCases: fc.Arbitrary<Case> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.tuple(status, headers, anyJson).map(([s, h, b]) => ({
      label: `HTTP ${s} any JSON`,
      expect: "either" as const,
      reply: () => ({ status: s, headers: h, body: b })
    }))
  },
  {
    weight: 2,
    arbitrary: fc.tuple(status, headers, invalidJson).map(([s, h, b]) => ({
      label: "invalid JSON",
      expect: "either" as const,
      reply: () => ({ status: s, headers: h, body: b })
    }))
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom(200, 400, 500),
        fc.oneof(
          fc.constantFrom("498", '"498"', "401", "null", '"x"', "1e999", "-0", '" 498 "', "{}"),
          fc.integer().map(String)
        )
      )
      .map(([s, code]) => ({
        label: `v1.1 envelope code ${code}`,
        expect: "either" as const,
        reply: () => ({
          status: s,
          headers: { "content-type": json },
          body: `{"response":{"status":{"success":false,"code":${code},"message":"m"}}}`
        })
      }))
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom(200, 400), oddErrors).map(([s, e]) => ({
      label: `errors ${e}`,
      expect: "either" as const,
      reply: () => ({ status: s, headers: { "content-type": json }, body: `{"errors":${e}}` })
    }))
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(200, 498), hugeBody).map(([s, body]) => ({
      label: "8 MiB body",
      expect: "either" as const,
      reply: () => ({ status: s, headers: { "content-type": json }, body: body() })
    }))
  }
)

export interface FuzzResult {
  readonly target: "token endpoint" | "API"
  readonly seed: number
  readonly runs: number
  readonly outcomes: Record<string, number>
  readonly untyped: number
  /** Cases that must be refused but were accepted, by label. */
  readonly wronglyAccepted: Record<string, number>
  /** Valid cases that were refused, by label and tag. */
  readonly wronglyRefused: Record<string, number>
  /** Unknown token-endpoint codes that became a lockout error (InvalidCredentials / AccessDenied). */
  readonly lockouts: Record<string, number>
  readonly untypedSamples: ReadonlyArray<string>
  readonly durationMillis: number
}

/** A loopback server answering whatever `current` holds; the token endpoint answers `token`. */
const fuzzServer = async (serve: Serve) => {
  const state: { token: Reply; api: Reply } = {
    token: { status: 200, headers: { "content-type": json }, body: tokenBody('"eyJa.eyJb.c"', "3600") },
    api: { status: 200, headers: { "content-type": json }, body: "{}" }
  }
  const server = await serve(async (request) => {
    await request.arrayBuffer()
    const r = new URL(request.url).pathname === TokenEndpoint.path ? state.token : state.api
    const noBody = r.body === "" || [204, 205, 304].includes(r.status)
    return new Response(noBody ? null : r.body, { status: r.status, headers: r.headers })
  })
  return { state, server }
}

const tally = (target: FuzzResult["target"], seed: number, started: number) => {
  const outcomes = new Tally()
  const wronglyAccepted = new Tally()
  const wronglyRefused = new Tally()
  const lockouts = new Tally()
  const untypedSamples: Array<string> = []
  return {
    record(c: Case, o: Outcome) {
      outcomes.add(keyOf(o))
      if (o.kind === "untyped" && untypedSamples.length < 5)
        untypedSamples.push(`${c.label}: ${o.name}: ${o.message}`.slice(0, 300))
      if (o.kind === "accepted" && c.expect === "refuse") wronglyAccepted.add(c.label)
      if (o.kind !== "accepted" && c.expect === "accept") wronglyRefused.add(`${c.label} -> ${keyOf(o)}`)
      if (
        o.kind === "typed" &&
        c.label.startsWith("HTTP 200 errors") &&
        (o.tag === "InvalidCredentials" || o.tag === "AccessDenied")
      )
        lockouts.add(c.label)
    },
    result(runs: number): FuzzResult {
      return {
        target,
        seed,
        runs,
        outcomes: outcomes.toJSON(),
        untyped: [...outcomes.counts]
          .filter(([k]) => k.startsWith("untyped:") || k.startsWith("HttpClientError"))
          .reduce((n, [, v]) => n + v, 0),
        wronglyAccepted: wronglyAccepted.toJSON(),
        wronglyRefused: wronglyRefused.toJSON(),
        lockouts: lockouts.toJSON(),
        untypedSamples,
        durationMillis: Math.round(performance.now() - started)
      }
    }
  }
}

/** Each generated token response, through the token endpoint source (one request, no retry): typed or valid. */
export const fuzzTokenEndpoint = async (options: {
  readonly seed: number
  readonly runs: number
  readonly serve: Serve
  readonly httpLayer: Layer.Layer<HttpClient.HttpClient>
}): Promise<FuzzResult> => {
  const started = performance.now()
  const { state, server } = await fuzzServer(options.serve)
  const runtime = ManagedRuntime.make(options.httpLayer)
  const t = tally("token endpoint", options.seed, started)
  try {
    const client = Result.getOrThrow(
      CapillaryConfig.make({ baseUrl: server.url, credentials: { key: "fuzz-key", secret: "fuzz-secret" } })
    ).credentials
    if (client._tag !== "OAuthClient") throw new Error("unreachable")
    const source = await runtime.runPromise(
      TokenEndpoint.source(new URL(server.url), client, { timeout: "5 seconds" })
    )
    for (const c of fc.sample(tokenCases, { numRuns: options.runs, seed: options.seed })) {
      state.token = c.reply()
      const exit = await runtime.runPromiseExit(source.fetch).catch((e: unknown) => e)
      const o =
        typeof exit === "object" &&
        exit !== null &&
        "_tag" in exit &&
        (exit._tag === "Success" || exit._tag === "Failure")
          ? outcomeOfExit(exit as never, () => ({ kind: "accepted" }) as Outcome)
          : outcomeOfError(exit)
      t.record(c, o)
    }
  } finally {
    await runtime.dispose()
    await server.close()
  }
  return t.result(options.runs)
}

/** Each generated API response, through the Promise facade: a Response (read whole) or a typed rejection. */
export const fuzzApi = async (options: {
  readonly seed: number
  readonly runs: number
  readonly serve: Serve
  readonly create: (options: CapillaryConfig.Input) => CapillaryPromiseClient
}): Promise<FuzzResult> => {
  const started = performance.now()
  const { state, server } = await fuzzServer(options.serve)
  const t = tally("API", options.seed, started)
  const cap = options.create({ baseUrl: server.url, credentials: { key: "fuzz-key", secret: "fuzz-secret" } })
  try {
    for (const c of fc.sample(apiCases, { numRuns: options.runs, seed: options.seed })) {
      state.api = c.reply()
      let o: Outcome
      try {
        const res = await cap.fetch("/v2/customers/1")
        await res.arrayBuffer()
        o = { kind: "accepted" }
      } catch (error) {
        o = outcomeOfError(error)
      }
      t.record(c, o)
    }
  } finally {
    await cap.close()
    await server.close()
  }
  return t.result(options.runs)
}

/** The goals a fuzz result must meet. */
export const fuzzGoals = (r: FuzzResult) => [
  {
    goal: `${r.target}: never a defect or an untyped rejection`,
    holds: r.untyped === 0,
    figure: `${r.untyped} of ${r.runs}`
  },
  {
    goal: `${r.target}: every invalid response refused`,
    holds: Object.keys(r.wronglyAccepted).length === 0,
    figure: JSON.stringify(r.wronglyAccepted)
  },
  {
    goal: `${r.target}: every valid response accepted`,
    holds: Object.keys(r.wronglyRefused).length === 0,
    figure: JSON.stringify(r.wronglyRefused)
  },
  {
    goal: `${r.target}: an unknown code with HTTP 200 is never a lockout`,
    holds: Object.keys(r.lockouts).length === 0,
    figure: JSON.stringify(r.lockouts)
  }
]
