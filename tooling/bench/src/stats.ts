/** Small statistics: medians and spreads of interleaved rounds, latency percentiles, formatting. */

const median = (xs: ReadonlyArray<number>): number => {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** The value at quantile `q` (0..1) of sorted samples (nearest rank). */
export const quantile = (sorted: ArrayLike<number>, q: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!

/** A figure over rounds: its median and the lowest and highest round. */
export interface Spread {
  readonly median: number
  readonly min: number
  readonly max: number
  readonly n: number
}

export const spread = (xs: ReadonlyArray<number>): Spread => ({
  median: median(xs),
  min: Math.min(...xs),
  max: Math.max(...xs),
  n: xs.length
})

/** `0.97x (0.95–0.99)`: a ratio with the range of the rounds. */
export const ratio = (s: Spread, digits = 2): string =>
  Number.isNaN(s.median)
    ? "-"
    : s.n > 1
      ? `${s.median.toFixed(digits)}x (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`
      : `${s.median.toFixed(digits)}x`

/** `ratio` with a third digit where two would round the median onto its goal's bound (0.998x against >= 1.00x). */
export const ratioAgainst = (s: Spread, bound: number): string =>
  ratio(s, s.median !== bound && s.median.toFixed(2) === bound.toFixed(2) ? 3 : 2)

export const count = (s: Spread): string =>
  Number.isNaN(s.median)
    ? "-"
    : s.n > 1 && s.min !== s.max
      ? `${s.median} (${s.min}–${s.max})`
      : `${s.median}`

/** A markdown table. */
export const table = (head: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const line = (cells: ReadonlyArray<string>) => `| ${cells.join(" | ")} |`
  return [line(head), line(head.map((_, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n")
}
