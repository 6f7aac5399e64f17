import type { Fault, FaultRule } from "./types.ts"

/** A registered fault rule and how often it has fired. */
export interface ActiveFault extends FaultRule {
  readonly id: number
  /** Requests it has applied to so far. */
  readonly hits: number
}

/**
 * Fault rules, matched per request in the order they were added. A rule with `probability` draws from the
 * simulator's seeded PRNG only when its path matches, so a run is reproducible from its seed.
 *
 * @example
 * sim.faults.add({ path: "/v3/oauth/token/generate", fault: { kind: "status", status: 503 }, times: 2 })
 */
export class FaultController {
  private rules: { rule: FaultRule; id: number; hits: number }[] = []
  private nextId = 1

  constructor(private readonly random: () => number) {}

  /** Adds a rule; returns its id (for `remove`). */
  add(rule: FaultRule): number {
    if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) {
      throw new RangeError("probability must be within 0..1")
    }
    if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times >= 0)) {
      throw new RangeError("times must be an integer >= 0")
    }
    const id = this.nextId++
    this.rules.push({ rule, id, hits: 0 })
    return id
  }

  remove(id: number): void {
    this.rules = this.rules.filter((r) => r.id !== id)
  }

  clear(): void {
    this.rules = []
  }

  /** The rules with their hit counts. */
  list(): ActiveFault[] {
    return this.rules.map((r) => ({ ...r.rule, id: r.id, hits: r.hits }))
  }

  /** The fault for this request, if any; consumes one of its `times`. */
  pick(method: string, path: string): Fault | undefined {
    for (const r of this.rules) {
      const { rule } = r
      if (rule.path !== "*" && rule.path !== path) continue
      if (rule.method !== undefined && rule.method.toUpperCase() !== method) continue
      if (rule.times !== undefined && r.hits >= rule.times) continue
      if (rule.probability !== undefined && this.random() >= rule.probability) continue
      r.hits++
      return rule.fault
    }
    return undefined
  }
}
