/**
 * Plain terminal output: ANSI styles only when stdout is a TTY and NO_COLOR is unset, a progress line that
 * updates in place on a TTY (plain lines otherwise), and aligned tables. No colour library.
 */

export interface Output {
  readonly write: (text: string) => void
  readonly isTTY: boolean
}

export interface Terminal {
  readonly color: boolean
  readonly tty: boolean
  readonly bold: (s: string) => string
  readonly dim: (s: string) => string
  readonly green: (s: string) => string
  readonly red: (s: string) => string
  readonly yellow: (s: string) => string
  readonly cyan: (s: string) => string
  /** Print a line (clears a live progress line first, then redraws it). */
  readonly line: (text?: string) => void
  /** Show progress: in place on a TTY; on a pipe only when `milestone` is true. */
  readonly progress: (text: string, milestone: boolean) => void
  /** End the live progress line (keeps nothing of it on screen). */
  readonly endProgress: () => void
}

const ansi = (open: number, close: number) => (s: string) =>
  s === "" ? s : `\u001b[${open}m${s}\u001b[${close}m`

export const make = (out: Output, env: Record<string, string | undefined> = process.env): Terminal => {
  const tty = out.isTTY
  const color = tty && (env.NO_COLOR ?? "") === "" && env.TERM !== "dumb"
  const style = (open: number, close: number) => (color ? ansi(open, close) : (s: string) => s)
  let live: string | undefined
  const clear = () => {
    if (live !== undefined) out.write("\r\u001b[2K")
  }
  return {
    color,
    tty,
    bold: style(1, 22),
    dim: style(2, 22),
    green: style(32, 39),
    red: style(31, 39),
    yellow: style(33, 39),
    cyan: style(36, 39),
    line: (text = "") => {
      clear()
      out.write(`${text}\n`)
      if (live !== undefined) out.write(live)
    },
    progress: (text, milestone) => {
      if (tty) {
        clear()
        live = text
        out.write(text)
      } else if (milestone) {
        out.write(`${text}\n`)
      }
    },
    endProgress: () => {
      clear()
      live = undefined
    }
  }
}

const escapes = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g")

/** Visible width of a string (ANSI escapes excluded). */
const width = (s: string): number => s.replace(escapes, "").length

const pad = (s: string, n: number) => s + " ".repeat(Math.max(0, n - width(s)))

/** Rows of cells as aligned columns, each line prefixed by `indent`. */
export const columns = (rows: ReadonlyArray<ReadonlyArray<string>>, indent = "  ", gap = "  "): string[] => {
  const widths: number[] = []
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, width(cell))
    })
  }
  return rows.map((row) =>
    (
      indent + row.map((cell, i) => (i === row.length - 1 ? cell : pad(cell, widths[i] ?? 0))).join(gap)
    ).trimEnd()
  )
}

/** A boxed table (box drawing characters read fine in a pipe too); `header` adds a first row and a rule. */
export const table = (
  rows: ReadonlyArray<ReadonlyArray<string>>,
  options: { readonly header?: ReadonlyArray<string>; readonly indent?: string } = {}
): string[] => {
  const indent = options.indent ?? "  "
  const all = options.header === undefined ? rows : [options.header, ...rows]
  const widths = (all[0] ?? []).map((_, i) => Math.max(...all.map((r) => width(r[i] ?? ""))))
  const rule = (l: string, m: string, r: string) =>
    indent + l + widths.map((w) => "─".repeat(w + 2)).join(m) + r
  const row = (cells: ReadonlyArray<string>) =>
    `${indent}│${widths.map((w, i) => ` ${pad(cells[i] ?? "", w)} `).join("│")}│`
  const head = options.header === undefined ? [] : [row(options.header), rule("├", "┼", "┤")]
  return [rule("┌", "┬", "┐"), ...head, ...rows.map(row), rule("└", "┴", "┘")]
}

/** `59m 58s`, `1h 02m`, `850 ms`. */
export const duration = (millis: number): string => {
  if (millis < 0) return `-${duration(-millis)}`
  if (millis < 1000) return `${Math.round(millis)} ms`
  const s = Math.floor(millis / 1000)
  if (s < 60) return `${(millis / 1000).toFixed(1)} s`
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  return h > 0 ? `${h}h ${String(m).padStart(2, "0")}m` : `${m}m ${String(sec).padStart(2, "0")}s`
}

/** Local wall-clock time, `2025-01-31 14:05:09`. */
export const clockTime = (date: Date): string => {
  const p = (n: number) => String(n).padStart(2, "0")
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`
}

/** Claims as display rows; epoch-second claims (iat, exp, nbf) also shown as local times. */
export const claimRows = (claims: Readonly<Record<string, unknown>>): string[][] =>
  Object.entries(claims).map(([name, value]) => {
    const shown = typeof value === "string" ? value : JSON.stringify(value)
    const time =
      (name === "iat" || name === "exp" || name === "nbf") && typeof value === "number"
        ? `  (${clockTime(new Date(value * 1000))})`
        : ""
    return [name, `${shown}${time}`]
  })
