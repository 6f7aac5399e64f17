/**
 * Redaction: the chaos scenario with every log line captured (the Effect client's at debug level through its
 * Logger; the Promise facade's runtime through the console it logs to), every error a caller got, every
 * lifecycle event, and `inspect()` / `JSON.stringify` of the clients, errors, events and token info. Every
 * secret and every token the simulator issued is then searched for in all of it: 0 hits.
 */
import { type ChaosResult, issueFaults, runChaos } from "./chaos.ts"
import { chaosScenario } from "./counts.ts"
import type { EffectDriverOptions, MakeDriver } from "./drivers.ts"

export type Inspect = (value: unknown) => string

export interface RedactionResult {
  readonly label: string
  readonly chaos: ChaosResult
  readonly texts: number
  readonly logLines: number
  readonly errors: number
  readonly events: number
  /** Values searched for: the secret, each issued token and its signature. */
  readonly needles: number
  readonly hits: number
  readonly hitSamples: ReadonlyArray<string>
}

const renderings = (value: unknown, inspect: Inspect): Array<string> => {
  const out = [inspect(value), String(value)]
  try {
    out.push(JSON.stringify(value) ?? "")
  } catch (e) {
    out.push(`JSON.stringify threw: ${String(e)}`)
  }
  if (value instanceof Error) out.push(value.message, value.stack ?? "", inspect(value.cause))
  return out
}

const CONSOLE = ["log", "info", "warn", "error", "debug", "trace"] as const

/**
 * Runs the chaos scenario through the driver `make(logOptions)` builds (the Effect driver takes `onLogLine`),
 * with the console captured, and scans everything.
 */
export const runRedaction = async (options: {
  readonly label: string
  readonly seed: number
  readonly writes: number
  readonly make: (log: EffectDriverOptions) => MakeDriver
  readonly inspect: Inspect
}): Promise<RedactionResult> => {
  const texts: Array<string> = []
  let logLines = 0
  let errors = 0
  let events = 0
  const saved = CONSOLE.map((m) => console[m])
  for (const m of CONSOLE)
    console[m] = (...args: Array<unknown>) => {
      logLines++
      for (const a of args) texts.push(typeof a === "string" ? a : options.inspect(a))
    }
  const onLogLine = (line: string) => {
    logLines++
    texts.push(line)
  }
  const needles = new Set<string>()
  let inspectables: ReadonlyArray<unknown> = []
  let chaos: ChaosResult
  try {
    chaos = await runChaos({
      ...chaosScenario(options.writes),
      seed: options.seed,
      faults: issueFaults,
      driver: options.make({ onLogLine }),
      onError: (e) => {
        errors++
        texts.push(...renderings(e, options.inspect))
      },
      onEvent: (e) => {
        events++
        texts.push(...renderings(e, options.inspect))
      },
      observe: (sim, driver) => {
        inspectables = driver.inspectables
        texts.push(...driver.inspectables.flatMap((x) => renderings(x, options.inspect)))
        void sim
      },
      observeEnd: (sim) => {
        for (const t of sim.tokens) {
          needles.add(t.token)
          needles.add(t.token.split(".")[2] ?? t.token)
        }
        // The secret is in the token-request body the simulator logged before redacting: take it from the client list.
        for (const c of sim.core.registry.clients.values()) needles.add(c.secret)
        texts.push(...inspectables.flatMap((x) => renderings(x, options.inspect)))
      }
    })
  } finally {
    CONSOLE.forEach((m, i) => {
      console[m] = saved[i] as never
    })
  }
  const hitSamples: Array<string> = []
  let hits = 0
  for (const text of texts)
    for (const needle of needles)
      if (needle.length >= 8 && text.includes(needle)) {
        hits++
        if (hitSamples.length < 3) hitSamples.push(text.slice(0, 200))
      }
  return {
    label: options.label,
    chaos,
    texts: texts.length,
    logLines,
    errors,
    events,
    needles: needles.size,
    hits,
    hitSamples
  }
}
