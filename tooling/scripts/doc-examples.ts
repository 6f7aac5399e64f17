/**
 * Type-checks the examples in the API docs: every ```ts (or ```typescript) fenced block inside a JSDoc comment
 * of packages/<pkg>/src/**\/*.ts (tests and .d.ts files excluded).
 *
 *   node_modules/.bin/tsx tooling/scripts/doc-examples.ts [--keep] [--verbose]
 *
 * How:
 * - Each block is written as its own module to packages/<pkg>/.doc-examples/ (gitignored, removed afterwards;
 *   `--keep` leaves it for inspection), so `@capauth/core`, `effect`, `ky`... resolve from the owning package as
 *   a user's import would (a package's own name resolves through its `exports`).
 * - One TypeScript program per package, with the options of the package's tsconfig.json (strict, NodeNext,
 *   `exactOptionalPropertyTypes`...) except `noUnusedLocals`/`noUnusedParameters`, which examples may break. The
 *   programs share parsed files, so Effect's declarations are parsed once.
 * - Every diagnostic is printed as `file:line` of the source line inside the JSDoc block (and the block's
 *   opening fence); the exit code is 1 if there is any.
 *
 * Conventions for examples:
 * - Blocks are whole modules: import what they use; top-level `await` is fine (ESM). Values a reader supplies
 *   come from the environment (`process.env.CAPILLARY_CLIENT_KEY!`) or a `declare const cap: ...` line, never
 *   from undeclared names.
 * - Deno: packages/deno has no tsconfig.json (Deno reads deno.json). Its examples are checked with
 *   tsconfig.base.json, lib ES2022 + DOM and the minimal ambient `Deno` of tooling/docs/deno.d.ts (the one the
 *   TypeDoc build uses; Deno's full `deno types` clash with lib.dom). An example needing more of Deno's API
 *   extends that file.
 * - A block fenced ```ts ignore is documentation only and skipped (say why in the text around it). Fences with
 *   no language (diagrams, output) are never checked.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import ts from "typescript"

const root = path.resolve(import.meta.dirname, "../..")
const packagesDir = path.join(root, "packages")
const denoAmbient = path.join(root, "tooling/docs/deno.d.ts")
const outDirName = ".doc-examples"
const keep = process.argv.includes("--keep")
const verbose = process.argv.includes("--verbose")

interface Example {
  readonly pkg: string
  /** Source file, relative to the repo root. */
  readonly source: string
  /** 1-based line of the opening fence in the source file. */
  readonly fenceLine: number
  readonly code: string
  /** Where the block is written. */
  readonly file: string
}

const started = performance.now()

/** packages/<pkg>/src/**\/*.ts, tests and declaration files excluded. */
const sourceFiles = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sourceFiles(full)
    return /\.ts$/.test(entry.name) && !/\.(test|spec|d)\.ts$/.test(entry.name) ? [full] : []
  })

/** The JSDoc comments (`/** ... *\/`) of a file, found through the parser (never inside strings). */
const jsDocComments = (file: string, text: string): Array<{ pos: number; text: string }> => {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const seen = new Map<number, string>()
  const visit = (node: ts.Node) => {
    for (const range of ts.getLeadingCommentRanges(text, node.pos) ?? []) {
      const comment = text.slice(range.pos, range.end)
      if (range.kind === ts.SyntaxKind.MultiLineCommentTrivia && comment.startsWith("/**"))
        seen.set(range.pos, comment)
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  visit(sf.endOfFileToken)
  return [...seen].sort(([a], [b]) => a - b).map(([pos, comment]) => ({ pos, text: comment }))
}

const lineOf = (text: string, pos: number) => text.slice(0, pos).split("\n").length

const opening = /^\s*```(ts|typescript)(?:\s+(.*))?$/
const closing = /^\s*```\s*$/

/** The checked blocks of one comment; lines keep their offset from the comment's first line. */
const blocks = (comment: string): Array<{ offset: number; code: string }> => {
  const lines = comment
    .replace(/^\/\*\*/, "")
    .replace(/\*\/$/, "")
    .split("\n")
    .map((line) => line.replace(/^\s*\* ?/, ""))
  const found: Array<{ offset: number; code: string }> = []
  for (let i = 0; i < lines.length; i++) {
    const open = opening.exec(lines[i] ?? "")
    if (open === null) continue
    const end = lines.findIndex((line, j) => j > i && closing.test(line))
    if (end === -1) throw new Error(`unclosed \`\`\`${open[1]} fence`)
    if (!(open[2] ?? "").split(/\s+/).includes("ignore")) {
      found.push({ offset: i, code: lines.slice(i + 1, end).join("\n") })
    }
    i = end
  }
  return found
}

const packages = fs
  .readdirSync(packagesDir)
  .filter((name) => fs.existsSync(path.join(packagesDir, name, "package.json")))
  .filter((name) => fs.existsSync(path.join(packagesDir, name, "src")))
  .sort()

const examples: Array<Example> = []
const problems: Array<string> = []
for (const pkg of packages) {
  for (const file of sourceFiles(path.join(packagesDir, pkg, "src")).sort()) {
    const text = fs.readFileSync(file, "utf8")
    const source = path.relative(root, file)
    for (const comment of jsDocComments(file, text)) {
      const commentLine = lineOf(text, comment.pos)
      let found: Array<{ offset: number; code: string }>
      try {
        found = blocks(comment.text)
      } catch (error) {
        problems.push(`${source}:${commentLine}: ${(error as Error).message}`)
        continue
      }
      for (const block of found) {
        const fenceLine = commentLine + block.offset
        const stem = path
          .relative(path.join(packagesDir, pkg, "src"), file)
          .replace(/\.ts$/, "")
          .replace(/[\\/]/g, "__")
        examples.push({
          pkg,
          source,
          fenceLine,
          // A module of its own even without imports (top-level await, no global clashes between blocks).
          code: `${block.code}\nexport {}\n`,
          file: path.join(packagesDir, pkg, outDirName, `${stem}.L${fenceLine}.ts`)
        })
      }
    }
  }
}

/** Options of a package's tsconfig.json (the deno package: the base config, see the header). */
const optionsFor = (pkg: string): ts.CompilerOptions => {
  const dir = path.join(packagesDir, pkg)
  const own = path.join(dir, "tsconfig.json")
  const configFile = fs.existsSync(own) ? own : path.join(root, "tsconfig.base.json")
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configFile,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"))
      }
    }
  )
  if (parsed === undefined) throw new Error(`cannot read ${configFile}`)
  const options: ts.CompilerOptions = { ...parsed.options }
  if (configFile !== own) {
    options.lib = ["lib.es2022.d.ts", "lib.dom.d.ts"]
    options.types = []
  }
  for (const key of ["outDir", "rootDir", "tsBuildInfoFile", "declarationDir"] as const) delete options[key]
  return {
    ...options,
    noEmit: true,
    noUnusedLocals: false,
    noUnusedParameters: false,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    composite: false,
    incremental: false
  }
}

/** Parsed files shared by every package's program (same parse options for the same file). */
const parsed = new Map<string, ts.SourceFile | undefined>()
const hostFor = (options: ts.CompilerOptions): ts.CompilerHost => {
  const host = ts.createCompilerHost(options, true)
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const opts = typeof languageVersion === "object" ? languageVersion : { languageVersion }
    const key = `${fileName}|${opts.languageVersion}|${opts.impliedNodeFormat ?? ""}|${opts.jsDocParsingMode ?? ""}`
    if (fileName.includes(`/${outDirName}/`) || !parsed.has(key)) {
      parsed.set(key, getSourceFile(fileName, languageVersion, onError, shouldCreate))
    }
    return parsed.get(key)
  }
  return host
}

const format = (d: ts.Diagnostic, example: Example | undefined): string => {
  const message = ts.flattenDiagnosticMessageText(d.messageText, "\n    ")
  if (d.file === undefined || d.start === undefined) return `TS${d.code}: ${message}`
  const { line } = d.file.getLineAndCharacterOfPosition(d.start)
  if (example === undefined)
    return `${path.relative(root, d.file.fileName)}:${line + 1}: TS${d.code}: ${message}`
  const sourceLine = example.fenceLine + 1 + line
  return `${example.source}:${sourceLine} (example at line ${example.fenceLine}): TS${d.code}: ${message}`
}

const outDirs = packages.map((pkg) => path.join(packagesDir, pkg, outDirName))
const cleanUp = () => {
  if (!keep) for (const dir of outDirs) fs.rmSync(dir, { recursive: true, force: true })
}
process.on("SIGINT", () => {
  cleanUp()
  process.exit(130)
})

const errors: Array<string> = [...problems]
try {
  for (const dir of outDirs) fs.rmSync(dir, { recursive: true, force: true })
  for (const example of examples) {
    fs.mkdirSync(path.dirname(example.file), { recursive: true })
    fs.writeFileSync(example.file, example.code)
  }
  for (const pkg of packages) {
    const own = examples.filter((e) => e.pkg === pkg)
    if (own.length === 0) continue
    const options = optionsFor(pkg)
    const rootNames = own.map((e) => e.file)
    if (!fs.existsSync(path.join(packagesDir, pkg, "tsconfig.json"))) rootNames.push(denoAmbient)
    const program = ts.createProgram({ rootNames, options, host: hostFor(options) })
    for (const d of [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()]) {
      errors.push(`packages/${pkg}: ${format(d, undefined)}`)
    }
    for (const example of own) {
      const sf = program.getSourceFile(example.file)
      if (sf === undefined) {
        errors.push(`${example.source}:${example.fenceLine}: the example was not compiled`)
        continue
      }
      const diagnostics = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]
      for (const d of diagnostics) errors.push(format(d, example))
      if (verbose)
        console.log(`${diagnostics.length === 0 ? "ok  " : "FAIL"} ${example.source}:${example.fenceLine}`)
    }
  }
} finally {
  cleanUp()
}

const files = new Set(examples.map((e) => e.source)).size
const seconds = ((performance.now() - started) / 1000).toFixed(1)
for (const error of errors) console.log(error)
console.log(
  `doc-examples: ${examples.length} examples in ${files} files checked in ${seconds} s: ${
    errors.length === 0 ? "no errors" : `${errors.length} error(s)`
  }`
)
process.exitCode = errors.length === 0 ? 0 : 1
