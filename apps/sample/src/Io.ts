/** The process streams a command writes to (a seam for the CLI, not a test double: tests spawn the real CLI). */
import type { Output } from "./Terminal.ts"

export interface Io {
  readonly stdout: Output
  readonly stderr: Output
  readonly env: Readonly<Record<string, string | undefined>>
}

export const program = "capauth-sample"

export const processIo = (): Io => ({
  stdout: { write: (s) => void process.stdout.write(s), isTTY: process.stdout.isTTY === true },
  stderr: { write: (s) => void process.stderr.write(s), isTTY: process.stderr.isTTY === true },
  env: process.env
})

/** A note for the human on stderr, prefixed with the program name. */
export const note = (io: Io) => (line: string) => io.stderr.write(`${program}: ${line}\n`)
