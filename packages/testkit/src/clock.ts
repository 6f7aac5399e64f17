/**
 * The simulator's clock. It governs token `iat`/`exp` and expiry checks only; fault latency uses real timers
 * because it models the network.
 *
 * @example
 * const sim = await startSimulator({ clock: "manual" })
 * sim.clock.advance(3600_000) // every token with a 1 h TTL is now expired
 * @since 0.1.0
 * @category models
 */
export interface SimClock {
  readonly kind: "real" | "manual"
  /** Current time in epoch ms. */
  now(): number
  /** Moves a manual clock forward. Throws on a real clock, so a test cannot silently not advance time. */
  advance(ms: number): void
  /** Sets a manual clock to an absolute epoch ms. Throws on a real clock. */
  set(epochMs: number): void
}

/** Creates a real (wall) clock or a manual clock starting at `start`. */
export const makeClock = (kind: "real" | "manual", start: number): SimClock => {
  if (kind === "real") {
    const refuse = (): never => {
      throw new Error('capauth simulator: the clock is "real"; start with clock: "manual" to move time')
    }
    return { kind, now: () => Date.now(), advance: refuse, set: refuse }
  }
  let current = start
  return {
    kind,
    now: () => current,
    advance: (ms) => {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError("clock.advance needs a finite ms >= 0")
      current += ms
    },
    set: (epochMs) => {
      current = epochMs
    }
  }
}
