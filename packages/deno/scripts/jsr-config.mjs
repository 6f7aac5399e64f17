// Writes the stage's deno.json (what JSR gets) and package.json (for the type check only): run by scripts/jsr.sh.
//   node scripts/jsr-config.mjs <stage> <core tarball>
// The repo's deno.json maps @capauth/core to ../core/src for development. The staged one maps each @capauth/core
// import the staged modules use to npm:@capauth/core@^<core version>[/<subpath>], and only to subpaths that core's
// package.json exports; it keeps the npm:/jsr: entries the modules use and drops the rest (testkit, test-only).
// The version comes from package.json (what changesets bumps), so deno.json carries none of its own.
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"

const pkgDir = resolve(import.meta.dirname, "..")
const [stage, coreTarball] = process.argv.slice(2)
if (stage === undefined || coreTarball === undefined) {
  throw new Error("usage: node scripts/jsr-config.mjs <stage> <core tarball>")
}
const readJson = (path) => JSON.parse(readFileSync(path, "utf8"))
const config = readJson(join(pkgDir, "deno.json"))
const npmPackage = readJson(join(pkgDir, "package.json"))
const core = readJson(join(pkgDir, "../core/package.json"))

// Every specifier the staged modules import or re-export (comments, and so JSDoc examples, left out).
const modules = [
  "mod.ts",
  ...readdirSync(join(stage, "src"), { recursive: true })
    .filter((file) => file.endsWith(".ts"))
    .map((file) => join("src", file))
]
const used = new Set()
for (const file of modules) {
  const code = readFileSync(join(stage, file), "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "")
  for (const match of code.matchAll(/\b(?:from|import)\s*\(?\s*"([^"]+)"/g)) used.add(match[1])
}
const isUsed = (key) => [...used].some((s) => s === key || (key.endsWith("/") && s.startsWith(key)))

const imports = {}
for (const [key, target] of Object.entries(config.imports ?? {})) {
  if (!isUsed(key)) continue
  if (key === core.name || key.startsWith(`${core.name}/`)) {
    const subpath = key.slice(core.name.length)
    if (!(`.${subpath}` in core.exports)) {
      throw new Error(`${key} is not a public export of ${core.name} (its package.json "exports")`)
    }
    imports[key] = `npm:${core.name}@^${core.version}${subpath}`
  } else if (/^(npm|jsr):/.test(target)) {
    imports[key] = target
  } else {
    throw new Error(
      `the package imports ${key}, which deno.json maps into the repo (${target}): JSR needs npm: or jsr:`
    )
  }
}
for (const specifier of used) {
  const mapped = Object.keys(imports).some(
    (k) => specifier === k || (k.endsWith("/") && specifier.startsWith(k))
  )
  if (!mapped && !/^(\.{1,2}\/|npm:|jsr:|node:)/.test(specifier)) {
    throw new Error(`the package imports ${specifier}, which deno.json does not map`)
  }
}

const staged = {
  name: config.name,
  version: npmPackage.version,
  license: npmPackage.license,
  exports: config.exports,
  imports,
  compilerOptions: config.compilerOptions,
  // package.json, package-lock.json and node_modules are in the stage for the type check only.
  publish: { exclude: ["package.json", "package-lock.json", "node_modules/"] }
}
writeFileSync(join(stage, "deno.json"), `${JSON.stringify(staged, null, 2)}\n`)

// The npm packages the staged imports name, installed into the stage's node_modules: core from its packed
// tarball (as npm would publish it; not yet on the registry before a release), the others by range.
const dependencies = {}
for (const target of Object.values(imports)) {
  const match = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)(?:@([^/]+))?/.exec(target)
  if (match === null) continue
  const [, name, range] = match
  dependencies[name] = name === core.name ? `file:${resolve(coreTarball)}` : (range ?? "*")
}
writeFileSync(
  join(stage, "package.json"),
  `${JSON.stringify({ name: "capauth-jsr-stage", private: true, dependencies }, null, 2)}\n`
)
console.log(JSON.stringify(staged.imports))
