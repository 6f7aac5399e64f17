// TypeDoc plugin of the capauth docs build (loaded by typedoc.json).
//
// The build converts every package in one TypeScript program (entryPointStrategy "resolve": one program is
// several times faster than "packages", which builds one per package). Two things of "packages" mode are
// restored here:
//
// 1. Entry modules are named as users import them (`@capauth/core`, `@capauth/core/PromiseClient`,
//    `@capauth/testkit/contract`), not by their path (`core/src`).
// 2. `validation.notExported` across the workspace. TypeDoc checks it only for types of the root package.json's
//    package ("capauth", which owns no source), so a public signature referring to a type that no entry point
//    exports would pass silently. Here every `@capauth/*` type referenced by the docs must be documented too,
//    unless listed in the `workspaceIntentionallyNotExported` option (entries `name` or `file:name`, as
//    TypeDoc's own `intentionallyNotExported`).
//
// And one check of its own: every export of a module or namespace carries `@since` and `@category` (a namespace,
// i.e. a module's header, `@since`). The `tagCheck` option says what a missing tag is: "error" (a validation
// warning, fatal under treatWarningsAsErrors), "report" (listed, not fatal) or "off".
import { Application, Converter, makeRecursiveVisitor, ParameterType, ReflectionKind } from "typedoc"

const workspaceScope = "@capauth/"

/** `src/index.ts` -> "", `src/contract/index.ts` -> "/contract", `src/PromiseClient.ts` -> "/PromiseClient". */
const subpath = (packagePath) => {
  const bare = packagePath
    .replace(/^src\//, "")
    .replace(/\.[cm]?tsx?$/, "")
    .replace(/(^|\/)index$/, "")
  return bare === "" ? "" : `/${bare}`
}

/** The comments that may hold a reflection's tags (TypeDoc puts a function's on its signatures). */
const commentsOf = (reflection) => {
  const signatures = [
    ...(reflection.signatures ?? []),
    ...(reflection.type?.type === "reflection" ? (reflection.type.declaration.signatures ?? []) : [])
  ]
  return [reflection.comment, ...signatures.map((s) => s.comment)].filter((c) => c !== undefined)
}

const hasTag = (comments, tag) => comments.some((c) => c.blockTags.some((t) => t.tag === tag))

/** Every type a reflection's signature, properties or heritage mention. */
const typesOf = (reflection) => [
  reflection.type,
  reflection.default,
  ...(reflection.extendedTypes ?? []),
  ...(reflection.implementedTypes ?? [])
]

export function load(app) {
  app.options.addDeclaration({
    name: "workspaceIntentionallyNotExported",
    help: "capauth: workspace types that may be referenced without being documented (name or file:name).",
    type: ParameterType.Array,
    defaultValue: []
  })

  app.options.addDeclaration({
    name: "tagCheck",
    help: 'capauth: what an export without @since or @category is: "error", "report" or "off".',
    type: ParameterType.Map,
    map: { error: "error", report: "report", off: "off" },
    defaultValue: "error"
  })

  // Before CategoryPlugin (priority -200) takes the @category tags out of the comments.
  let untagged = []
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    untagged = []
    const project = context.project
    for (const parent of project.getReflectionsByKind(ReflectionKind.SomeModule)) {
      for (const child of parent.children ?? []) {
        if (child.kindOf(ReflectionKind.Reference)) continue
        const comments = commentsOf(child)
        const missing = (
          child.kindOf(ReflectionKind.SomeModule) ? ["@since"] : ["@since", "@category"]
        ).filter((tag) => !hasTag(comments, tag))
        if (missing.length === 0) continue
        const id = project.getSymbolIdFromReflection(child)
        const file = id === undefined ? "?" : `${id.packageName}/${id.packagePath}`
        const why =
          child.kindOf(ReflectionKind.SomeModule) && comments.length === 0
            ? "has no module comment (a file's header comment counts only with a @module tag)"
            : `lacks ${missing.join(" and ")}`
        untagged.push(`${file}: ${child.getFriendlyFullName()} ${why}`)
      }
    }
  })

  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project
    for (const module of project.getChildrenByKind(ReflectionKind.Module)) {
      const id = project.getSymbolIdFromReflection(module)
      if (id?.packageName.startsWith(workspaceScope)) module.name = id.packageName + subpath(id.packagePath)
    }
  })

  app.on(Application.EVENT_VALIDATE_PROJECT, () => {
    const mode = app.options.getValue("tagCheck")
    if (mode === "off" || untagged.length === 0) return
    const list = [...new Set(untagged)].sort()
    if (mode === "error") for (const line of list) app.logger.validationWarning(line)
    else {
      app.logger.info(
        `tagCheck: ${list.length} exports lack @since or @category (the list: --logLevel Verbose)`
      )
      app.logger.verbose(`tagCheck:\n\t${list.join("\n\t")}`)
    }
  })

  app.on(Application.EVENT_VALIDATE_PROJECT, (project) => {
    if (!app.options.getValue("validation").notExported) return
    const allowed = app.options.getValue("workspaceIntentionallyNotExported").map((entry) => {
      const colon = entry.lastIndexOf(":")
      return { file: colon === -1 ? "" : entry.slice(0, colon), name: entry.slice(colon + 1), used: false }
    })
    const warned = new Set()
    let owner
    const visitor = makeRecursiveVisitor({
      reference(type) {
        if (type.reflection !== undefined || type.externalUrl !== undefined || type.isIntentionallyBroken())
          return
        const id = type.symbolId
        if (id === undefined || !type.package?.startsWith(workspaceScope)) return
        if (project.symbolIdHasBeenRemoved(id)) return
        const where = `${id.packageName}/${id.packagePath}`
        const entry = allowed.find((a) => a.name === type.qualifiedName && where.endsWith(a.file))
        if (entry !== undefined) {
          entry.used = true
          return
        }
        const key = `${where}:${type.qualifiedName}`
        if (warned.has(key)) return
        warned.add(key)
        app.logger.validationWarning(
          `${type.qualifiedName}, defined in ${where}, is referenced by ${owner.getFriendlyFullName()} but not included in the documentation`
        )
      }
    })
    for (const reflection of Object.values(project.reflections)) {
      owner = reflection
      for (const type of typesOf(reflection)) type?.visit(visitor)
    }
    const unused = allowed.filter((a) => !a.used)
    if (unused.length > 0) {
      app.logger.validationWarning(
        `workspaceIntentionallyNotExported lists types that are documented or not referenced: ${unused
          .map((a) => (a.file === "" ? a.name : `${a.file}:${a.name}`))
          .join(", ")}`
      )
    }
  })
}
