/**
 * Chaos: N writes with unique ids, `concurrency` at a time, through one driver, against the testkit simulator
 * on 127.0.0.1 with short tokens, token-endpoint faults and random API expiries and revocations. Then every
 * write is accounted for: by its caller's outcome and by the simulator's record of accepted writes.
 */
import { mulberry32, type Simulator, startSimulator, TOKEN_PATH } from "@capauth/testkit"
import type { Driver, MakeDriver } from "./drivers.ts"
import { writeIdOf } from "./drivers.ts"
import { keyOf, quantile, Tally } from "./outcome.ts"
import { ExpiryWitness, ServerExpiryRecord } from "./witness.ts"

/** Token-endpoint fault rates (marginal chances per token request). */
export interface FaultMix {
  readonly serverError: number
  readonly noAnswer: number
  readonly malformed: number
  readonly rateLimited: number
}

/** The issue's mix: 20% 5xx/503, 5% no answer, 2% malformed JSON, 1% 429 + Retry-After. */
export const issueFaults: FaultMix = { serverError: 0.2, noAnswer: 0.05, malformed: 0.02, rateLimited: 0.01 }

export interface ChaosOptions {
  readonly seed: number
  readonly writes: number
  readonly concurrency: number
  /** Token lifetime on the simulator (real clock). */
  readonly ttlSeconds: number
  readonly faults: FaultMix
  /** On average one `expireAllTokens()` per this many completed writes (0: never). */
  readonly expireEvery: number
  /** On average one revocation of the newest token per this many completed writes (0: never). */
  readonly revokeEvery: number
  readonly driver: MakeDriver
  /** Extra client options passed to the driver. */
  readonly clientOptions?: Record<string, unknown>
  /** Called with the running simulator and driver (the redaction scan looks at both). */
  readonly observe?: (sim: Simulator, driver: Driver) => void
  /** Called once every write is done, before the simulator closes (the redaction scan reads its tokens). */
  readonly observeEnd?: (sim: Simulator) => void
  /** Every rejection a caller saw and every lifecycle event (the redaction scan renders them). */
  readonly onError?: (error: unknown) => void
  readonly onEvent?: (event: unknown) => void
}

export interface ChaosResult {
  readonly label: string
  readonly seed: number
  readonly writes: number
  readonly concurrency: number
  readonly ttlSeconds: number
  readonly durationMillis: number
  readonly outcomes: Record<string, number>
  readonly accepted: number
  readonly acceptedRatio: number
  /** Writes the simulator accepted more than once. */
  readonly duplicated: number
  /** Writes the caller saw accepted that the simulator never recorded. */
  readonly acceptedButMissing: number
  /** Writes the simulator accepted whose caller got an error. */
  readonly acceptedButReportedFailed: number
  readonly untyped: number
  readonly untypedSamples: ReadonlyArray<string>
  /** API requests sent with a token the client had known expired (see witness.ts). */
  readonly lateSends: number
  readonly lateLagMaxMillis: number
  /** Sends with a token whose 498 had reached the client at all, even within the same event-loop turn. */
  readonly sendsAfterAny498: number
  /** Simulator side, every signal: "expired" answers, later requests with such a token, those >= 50 ms later. */
  readonly serverExpiredAnswers: number
  readonly serverLateArrivals: number
  readonly serverLateArrivalsOver50ms: number
  readonly serverLagMaxMillis: number
  readonly apiSends: number
  readonly expiredAnswers: number
  readonly rejectedAnswers: number
  readonly tokenRequests: number
  readonly tokensIssued: number
  readonly faultsFired: Record<string, number>
  readonly forcedExpiries: number
  readonly revocations: number
  readonly latencyMillis: { readonly p50: number; readonly p99: number; readonly max: number }
}

/** Adds the token-endpoint fault rules; each rule draws only when the ones before it did not fire. */
const addTokenFaults = (sim: Simulator, mix: FaultMix): void => {
  let left = 1
  const add = (chance: number, fault: Parameters<Simulator["faults"]["add"]>[0]["fault"]) => {
    if (chance <= 0) return
    sim.faults.add({ path: TOKEN_PATH, method: "POST", fault, probability: Math.min(1, chance / left) })
    left -= chance
  }
  add(mix.serverError / 2, { kind: "status", status: 503, errorCode: 4001 })
  add(mix.serverError / 2, { kind: "status", status: 502 })
  add(mix.noAnswer, { kind: "no-response" })
  add(mix.malformed, { kind: "malformed-json" })
  add(mix.rateLimited, { kind: "rate-limit", retryAfterSeconds: 1 })
}

const SIGNALS = ["http-498", "body-number", "body-string"] as const

export const runChaos = async (options: ChaosOptions): Promise<ChaosResult> => {
  const key = `chaos-${options.seed}`
  const secret = `chaos-secret-${crypto.randomUUID()}`
  const sim = await startSimulator({
    seed: options.seed,
    sharedKey: true,
    clients: [{ key, secret, ttlSeconds: options.ttlSeconds }],
    maxLogEntries: 1000
  })
  addTokenFaults(sim, options.faults)
  const witness = new ExpiryWitness()
  const server = new ServerExpiryRecord()
  server.attach(sim.core as never)
  const driver = options.driver({
    baseUrl: sim.url,
    credentials: { key, secret },
    witness,
    ...(options.clientOptions ? { options: options.clientOptions } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {})
  })
  options.observe?.(sim, driver)
  const random = mulberry32(options.seed * 7919 + 1)
  const outcomes = new Tally()
  const failedIds = new Set<string>()
  const acceptedIds: Array<string> = []
  const latencies: Array<number> = []
  const untypedSamples: Array<string> = []
  let forcedExpiries = 0
  let revocations = 0
  let next = 0
  const runId = crypto.randomUUID().slice(0, 8)
  const started = performance.now()

  const worker = async () => {
    while (next < options.writes) {
      const id = `${runId}-${next++}`
      const t0 = performance.now()
      const outcome = await driver.write(id)
      latencies.push(performance.now() - t0)
      outcomes.add(keyOf(outcome))
      if (outcome.kind === "accepted") acceptedIds.push(id)
      else failedIds.add(id)
      if (outcome.kind === "untyped" && untypedSamples.length < 5)
        untypedSamples.push(`${outcome.name}: ${outcome.message}`.slice(0, 300))
      if (options.expireEvery > 0 && random() < 1 / options.expireEvery) {
        // Every expiry signal Capillary uses: HTTP 498, and HTTP 200 with code 498 as a number or a string.
        sim.setExpirySignal(SIGNALS[Math.floor(random() * SIGNALS.length)]!)
        sim.expireAllTokens()
        forcedExpiries++
      }
      if (options.revokeEvery > 0 && random() < 1 / options.revokeEvery) {
        const newest = sim.tokens.at(-1)
        if (newest !== undefined) {
          sim.revokeToken(newest.token)
          revocations++
        }
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker))
  } finally {
    await driver.close()
  }
  const durationMillis = performance.now() - started

  const serverCounts = new Map<string, number>()
  for (const w of sim.writes) {
    const id = writeIdOf(w.body)
    if (id !== undefined) serverCounts.set(id, (serverCounts.get(id) ?? 0) + 1)
  }
  let duplicated = 0
  for (const n of serverCounts.values()) if (n > 1) duplicated++
  let acceptedButMissing = 0
  for (const id of acceptedIds) if (!serverCounts.has(id)) acceptedButMissing++
  let acceptedButReportedFailed = 0
  for (const id of failedIds) if (serverCounts.has(id)) acceptedButReportedFailed++
  const faultsFired: Record<string, number> = {}
  for (const f of sim.faults.list()) {
    const name = f.fault.kind === "status" ? `status-${f.fault.status}` : f.fault.kind
    faultsFired[name] = (faultsFired[name] ?? 0) + f.hits
  }
  const result: ChaosResult = {
    label: driver.label,
    seed: options.seed,
    writes: options.writes,
    concurrency: options.concurrency,
    ttlSeconds: options.ttlSeconds,
    durationMillis: Math.round(durationMillis),
    outcomes: outcomes.toJSON(),
    accepted: outcomes.get("accepted"),
    acceptedRatio: outcomes.get("accepted") / options.writes,
    duplicated,
    acceptedButMissing,
    acceptedButReportedFailed,
    untyped: [...outcomes.counts].filter(([k]) => k.startsWith("untyped:")).reduce((n, [, v]) => n + v, 0),
    untypedSamples,
    lateSends: witness.lateSends,
    lateLagMaxMillis: Math.round(Math.max(0, ...witness.lateLagMillis)),
    sendsAfterAny498: witness.sendsAfterAny498,
    serverExpiredAnswers: server.expiredAnswers,
    serverLateArrivals: server.lagsMillis.length,
    serverLateArrivalsOver50ms: server.lagsMillis.filter((l) => l >= 50).length,
    serverLagMaxMillis: Math.round(Math.max(0, ...server.lagsMillis)),
    apiSends: witness.sends,
    expiredAnswers: witness.expiredAnswers,
    rejectedAnswers: witness.rejectedAnswers,
    tokenRequests: sim.stats().tokenRequestsTotal,
    tokensIssued: sim.tokens.length,
    faultsFired,
    forcedExpiries,
    revocations,
    latencyMillis: {
      p50: Math.round(quantile(latencies, 0.5)),
      p99: Math.round(quantile(latencies, 0.99)),
      max: Math.round(quantile(latencies, 1))
    }
  }
  options.observeEnd?.(sim)
  await sim.close()
  return result
}

/** One goal of the issue, checked against a result. */
export interface Goal {
  readonly goal: string
  readonly holds: boolean
  readonly figure: string
}

export const chaosGoals = (r: ChaosResult, minAccepted = 0.99): ReadonlyArray<Goal> => {
  const typed = Object.entries(r.outcomes)
    .filter(([k]) => k !== "accepted")
    .every(([k]) => k.startsWith("typed:"))
  return [
    {
      goal: "every write accepted exactly once or reported to its caller as a typed error",
      holds: r.acceptedButMissing === 0 && r.duplicated === 0 && typed,
      figure: `missing ${r.acceptedButMissing}, duplicated ${r.duplicated}, outcomes ${JSON.stringify(r.outcomes)}`
    },
    { goal: "none duplicated by a replay", holds: r.duplicated === 0, figure: String(r.duplicated) },
    {
      goal: "0 requests sent with a token already known expired",
      holds: r.lateSends === 0 && r.apiSends > 0,
      figure: `${r.lateSends} of ${r.apiSends} sends (max ${r.lateLagMaxMillis} ms after the 498)`
    },
    { goal: "0 untyped failures", holds: r.untyped === 0, figure: String(r.untyped) },
    {
      goal: `>= ${minAccepted * 100}% of writes accepted`,
      holds: r.acceptedRatio >= minAccepted,
      figure: `${(r.acceptedRatio * 100).toFixed(2)}% (${r.accepted} of ${r.writes})`
    }
  ]
}
