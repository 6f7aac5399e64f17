/**
 * The command line: `demo` (default), `token`, `call`, `capture`, `web`. Parses flags strictly, runs the command and maps
 * any failure to one line on stderr and an exit code (0 ok, 1 runtime failure, 2 usage or configuration).
 */
import { type ParseArgsConfig, parseArgs } from "node:util"
import { describe, ExitCode, Reported, UsageError, WebDemoMissing } from "./Failure.ts"
import * as Help from "./Help.ts"
import { type Io, program } from "./Io.ts"

const helps: Record<string, string> = {
  demo: Help.demo,
  token: Help.token,
  call: Help.call,
  capture: Help.capture,
  web: Help.web,
  fleet: Help.fleet,
  rotate: Help.rotate
}

const parseCount = (command: string, flag: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new UsageError(`--${flag} needs an integer 1..1000, got "${value}"`, command)
  }
  return n
}

const parsePort = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port needs an integer 0..65535, got "${value}"`, "web")
  }
  return port
}

const nonEmpty = (command: string, flag: string, value: string | undefined): string | undefined => {
  if (value === undefined) return undefined
  if (value.trim() === "") throw new UsageError(`--${flag} needs a value`, command)
  return value.trim()
}

type Values = Record<string, string | boolean | Array<string | boolean> | undefined>

const parse = (
  command: string,
  args: ReadonlyArray<string>,
  options: NonNullable<ParseArgsConfig["options"]>
): { readonly values: Values; readonly positionals: string[] } => {
  try {
    return parseArgs({
      args: [...args],
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true
    })
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional.*$/s, ""), command)
  }
}

const noPositionals = (command: string, positionals: ReadonlyArray<string>) => {
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, command)
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export const run = async (argv: ReadonlyArray<string>, io: Io): Promise<number> => {
  try {
    return await dispatch(argv, io)
  } catch (error) {
    if (error instanceof Reported) return error.exitCode
    if (error instanceof WebDemoMissing) {
      io.stderr.write(`${program}: ${error.message}\n`)
      return ExitCode.failure
    }
    const { line, exitCode } = describe(error, program)
    io.stderr.write(`${line}\n`)
    return exitCode
  }
}

const dispatch = async (argv: ReadonlyArray<string>, io: Io): Promise<number> => {
  const first = argv[0]
  if (first === "--help" || first === "-h" || first === "help") {
    const topic = first === "help" ? argv[1] : undefined
    io.stdout.write(topic !== undefined && helps[topic] !== undefined ? helps[topic] : Help.main)
    return ExitCode.ok
  }
  // No command, or flags only: the demo.
  const [command, rest] =
    first === undefined || first.startsWith("-") ? ["demo", argv] : [first, argv.slice(1)]
  const showHelp = (values: { help?: boolean | undefined }) => {
    if (values.help !== true) return false
    io.stdout.write(helps[command] ?? Help.main)
    return true
  }
  switch (command) {
    case "demo": {
      const { values, positionals } = parse("demo", rest, {
        burst: { type: "string" },
        wave: { type: "string" }
      })
      if (showHelp(values)) return ExitCode.ok
      noPositionals("demo", positionals)
      const Demo = await import("./commands/demo.ts")
      return Demo.run(
        {
          burst: parseCount("demo", "burst", values.burst as string | undefined, 50),
          wave: parseCount("demo", "wave", values.wave as string | undefined, 10)
        },
        io
      )
    }
    case "token": {
      const { values, positionals } = parse("token", rest, {
        reveal: { type: "boolean" },
        json: { type: "boolean" },
        simulator: { type: "boolean" }
      })
      if (showHelp(values)) return ExitCode.ok
      noPositionals("token", positionals)
      const Token = await import("./commands/token.ts")
      await Token.run(
        { reveal: values.reveal === true, json: values.json === true, simulator: values.simulator === true },
        io
      )
      return ExitCode.ok
    }
    case "call": {
      const { values, positionals } = parse("call", rest, {
        data: { type: "string", short: "d" },
        header: { type: "string", short: "H", multiple: true },
        json: { type: "boolean" },
        simulator: { type: "boolean" }
      })
      if (showHelp(values)) return ExitCode.ok
      const [method, path, extra] = positionals
      if (method === undefined || path === undefined)
        throw new UsageError("call needs METHOD and PATH", "call")
      if (extra !== undefined)
        throw new UsageError(`unexpected argument "${extra}" (quote a PATH with & or ?)`, "call")
      const Call = await import("./commands/call.ts")
      return Call.run(
        {
          method,
          path,
          data: values.data as string | undefined,
          headers: (values.header as string[] | undefined) ?? [],
          json: values.json === true,
          simulator: values.simulator === true
        },
        io
      )
    }
    case "capture": {
      const { values, positionals } = parse("capture", rest, {
        wave: { type: "string" },
        uuid: { type: "string" },
        "type-name": { type: "string" },
        create: { type: "boolean" },
        reveal: { type: "boolean" },
        simulator: { type: "boolean" }
      })
      if (showHelp(values)) return ExitCode.ok
      noPositionals("capture", positionals)
      const Capture = await import("./commands/capture.ts")
      return Capture.run(
        {
          wave: parseCount("capture", "wave", values.wave as string | undefined, 200),
          uuid: nonEmpty("capture", "uuid", values.uuid as string | undefined),
          typeName: nonEmpty("capture", "type-name", values["type-name"] as string | undefined) ?? "user",
          create: values.create === true,
          reveal: values.reveal === true,
          simulator: values.simulator === true
        },
        io
      )
    }
    case "web": {
      const { values, positionals } = parse("web", rest, {
        port: { type: "string" },
        "capture-uuid": { type: "string" },
        simulator: { type: "boolean" }
      })
      if (showHelp(values)) return ExitCode.ok
      noPositionals("web", positionals)
      const Web = await import("./commands/web.ts")
      await Web.run(
        {
          port: parsePort(values.port as string | undefined),
          captureUuid: nonEmpty("web", "capture-uuid", values["capture-uuid"] as string | undefined),
          simulator: values.simulator === true
        },
        io
      )
      return ExitCode.ok
    }
    case "rotate": {
      const { values, positionals } = parse("rotate", rest, { wave: { type: "string" } })
      if (showHelp(values)) return ExitCode.ok
      noPositionals("rotate", positionals)
      const Rotate = await import("./commands/rotate.ts")
      return Rotate.run({ wave: parseCount("rotate", "wave", values.wave as string | undefined, 20) }, io)
    }
    case "fleet": {
      const { values, positionals } = parse("fleet", rest, {
        processes: { type: "string" },
        callers: { type: "string" },
        worker: { type: "boolean" }
      })
      if (showHelp(values)) return ExitCode.ok
      noPositionals("fleet", positionals)
      const Fleet = await import("./commands/fleet.ts")
      if (values.worker === true) return Fleet.worker(io)
      const processes = parseCount("fleet", "processes", values.processes as string | undefined, 4)
      if (processes > 32)
        throw new UsageError(`--processes needs an integer 1..32, got "${processes}"`, "fleet")
      return Fleet.run(
        { processes, callers: parseCount("fleet", "callers", values.callers as string | undefined, 100) },
        io
      )
    }
    default:
      throw new UsageError(`unknown command "${command}"`)
  }
}
