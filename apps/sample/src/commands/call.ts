/** `call METHOD PATH [--data JSON]`: one authenticated request, like curl. */
import { UsageError } from "../Failure.ts"
import { type Io, note } from "../Io.ts"
import { connect, withTarget } from "../Target.ts"
import * as Terminal from "../Terminal.ts"

const methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] as const

export interface CallOptions {
  readonly method: string
  readonly path: string
  readonly data: string | undefined
  readonly headers: ReadonlyArray<string>
  readonly json: boolean
  readonly simulator: boolean
}

interface Request {
  readonly method: string
  readonly path: string
  readonly body: string | undefined
  readonly headers: Headers
}

/** Check the arguments before anything is started or sent. */
const parse = (options: CallOptions): Request => {
  const method = options.method.toUpperCase()
  if (!(methods as ReadonlyArray<string>).includes(method)) {
    throw new UsageError(`unknown METHOD "${options.method}": use one of ${methods.join(", ")}`, "call")
  }
  // Only paths: an absolute URL would carry the token to whatever host it names.
  if (!options.path.startsWith("/") || options.path.startsWith("//")) {
    throw new UsageError(`PATH must start with / (a path on the API host), got "${options.path}"`, "call")
  }
  const headers = new Headers()
  for (const header of options.headers) {
    const colon = header.indexOf(":")
    const name = header.slice(0, colon).trim()
    if (colon <= 0 || name === "")
      throw new UsageError(`--header needs "Name: value", got "${header}"`, "call")
    try {
      headers.append(name, header.slice(colon + 1).trim())
    } catch {
      throw new UsageError(`--header "${name}" is not a valid header`, "call")
    }
  }
  let body: string | undefined
  if (options.data !== undefined) {
    if (method === "GET" || method === "HEAD")
      throw new UsageError(`--data cannot be sent with ${method}`, "call")
    try {
      JSON.parse(options.data)
    } catch (error) {
      throw new UsageError(`--data is not valid JSON (${(error as Error).message})`, "call")
    }
    body = options.data
    if (!headers.has("content-type")) headers.set("content-type", "application/json")
  }
  if (!headers.has("accept")) headers.set("accept", "application/json")
  return { method, path: options.path, body, headers }
}

/** Runs the request; returns the exit code (1 for an HTTP error status). */
export const run = async (options: CallOptions, io: Io): Promise<number> => {
  const request = parse(options)
  const target = await connect({ forceSimulator: options.simulator, note: note(io), env: io.env })
  try {
    const started = performance.now()
    const response = await withTarget(
      target,
      target.cap.fetch(request.path, {
        method: request.method,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body })
      })
    )
    const text = await response.text()
    const elapsed = performance.now() - started
    const requestId = response.headers.get("x-cap-requestid") ?? undefined
    let parsed: unknown
    try {
      parsed = text === "" ? undefined : JSON.parse(text)
    } catch {
      parsed = undefined
    }
    const failed = response.status >= 400
    const err = Terminal.make(io.stderr, io.env)
    const status = `HTTP ${response.status}${response.statusText === "" ? "" : ` ${response.statusText}`}`
    const details = [`${request.method} ${request.path}`, Terminal.duration(elapsed)]
    if (requestId !== undefined) details.push(`request id ${requestId}`)
    err.line(`${failed ? err.red(status) : err.green(status)} ${err.dim(`· ${details.join(" · ")}`)}`)
    if (options.json) {
      const out = { status: response.status, ok: !failed, requestId: requestId ?? null, body: parsed ?? text }
      io.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
    } else if (parsed !== undefined) {
      io.stdout.write(`${JSON.stringify(parsed, null, 2)}\n`)
    } else if (text !== "") {
      io.stdout.write(text.endsWith("\n") ? text : `${text}\n`)
    }
    return failed ? 1 : 0
  } finally {
    await target.close()
  }
}
