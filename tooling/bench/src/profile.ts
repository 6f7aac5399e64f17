/**
 * 7. Where the warm path's time goes: the facade's small-JSON loop (and raw fetch's, for comparison) run in a
 * child under `--cpu-prof`; the profile's self time is summed by function and by the code it belongs to.
 */

import { fork } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { benchDir, tsFlags } from "./child.ts"
import type { Section, Settings } from "./report.ts"
import { table } from "./stats.ts"

interface Node {
  readonly id: number
  readonly callFrame: { functionName: string; url: string; lineNumber: number }
  readonly children?: ReadonlyArray<number>
}
interface Profile {
  readonly nodes: ReadonlyArray<Node>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

/** Which code a frame belongs to. */
const area = (url: string, name: string): string => {
  if (name === "(garbage collector)") return "GC"
  if (name === "(idle)" || name === "(program)" || name === "(root)") return name
  if (url === "node:inspector") return "(idle)" // the profiler's own session
  if (url.includes("/packages/core/")) return "capauth core"
  if (url.includes("/packages/node/")) return "capauth node"
  if (url.startsWith("node:internal/deps/undici")) return "Node's fetch (built-in undici)"
  if (url.includes("/undici/")) return "undici (npm)"
  if (url.includes("/ky/")) return "ky"
  if (url.includes("/effect/") || url.includes("/@effect/")) return "effect"
  if (url.includes("tooling/bench")) return "bench harness"
  if (url.startsWith("node:")) return "Node internals"
  if (url === "") return "native / builtins"
  return "other"
}

const summarise = (profile: Profile) => {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  const byArea = new Map<string, number>()
  const byFunction = new Map<string, number>()
  let total = 0
  for (const [id, micros] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame
    const a = area(url, functionName)
    if (a === "(idle)") continue
    total += micros
    byArea.set(a, (byArea.get(a) ?? 0) + micros)
    const file = url.replace(/^.*\/(node_modules|packages|tooling)\//, "").replace(/^file:\/\//, "")
    const key = `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros)
  }
  const sorted = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => [k, `${((100 * v) / total).toFixed(1)}%`])
  return { total, areas: sorted(byArea, 12), functions: sorted(byFunction, 15) }
}

const profileOf = async (base: string, variant: string, requests: number) => {
  const dir = mkdtempSync(join(tmpdir(), "capauth-prof-"))
  try {
    const child = fork(
      fileURLToPath(new URL("profile-child.ts", import.meta.url)),
      [base, variant, String(requests), join(dir, "warm.cpuprofile")],
      {
        cwd: benchDir,
        execArgv: tsFlags,
        stdio: ["ignore", "inherit", "inherit", "ipc"]
      }
    )
    const run = await new Promise<{ cpuMicros: number }>((resolve, reject) => {
      child.once("message", (m) => resolve(m as { cpuMicros: number }))
      child.once("exit", (code) => code !== 0 && reject(new Error(`profile child exited ${code}`)))
    })
    await new Promise((resolve) =>
      child.exitCode !== null ? resolve(undefined) : child.once("exit", resolve)
    )
    const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"))
    if (file === undefined) throw new Error("no .cpuprofile written")
    return { run, ...summarise(JSON.parse(readFileSync(join(dir, file), "utf8")) as Profile) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const allVariants = ["capauth fetch", "capauth fetch over global fetch", "raw fetch"] as const

export const profile = async (base: string, settings: Settings): Promise<Section> => {
  const requests = settings.smoke ? 300 : 10_000
  // Smoke: the facade's profile only, so the module keeps working without three more processes.
  const variants = settings.smoke ? allVariants.slice(0, 1) : allVariants
  const profiles: Array<Awaited<ReturnType<typeof profileOf>>> = []
  for (const v of variants) profiles.push(await profileOf(base, v, requests))
  const keys = [...new Set(profiles.flatMap((p) => p.areas.map((a) => a[0]!)))]
  // Each area's sampled time per request, µs: comparable across the three, unlike shares.
  const perRequest = (p: Awaited<ReturnType<typeof profileOf>>, k: string) => {
    const share = p.areas.find((a) => a[0] === k)?.[1]
    return share === undefined ? "-" : ((Number.parseFloat(share) / 100) * (p.total / requests)).toFixed(0)
  }
  const md = [
    `${requests} small-JSON requests x 32 concurrent in a child per variant, V8's CPU profiler (as \`--cpu-prof\`, 100 µs sampling) on from after a warm-up to the end. Client CPU per request while profiled: ${variants.map((v, i) => `${v} ${profiles[i]!.run.cpuMicros.toFixed(0)} µs`).join(", ")}. "capauth fetch over global fetch" is the facade as it was before this work's transport change (its \`fetch\` option set to Node's fetch).`,
    "",
    "Sampled main-thread time per request by code, µs (idle and the profiler excluded):",
    "",
    table(
      ["code", ...variants],
      keys.map((k) => [k, ...profiles.map((p) => perRequest(p, k))])
    ),
    "",
    "What closed the gap, and where the time still goes:",
    "",
    "- **The transport** (packages/node/src/internal/transport.ts). Node's global `fetch` spends most of a small request in the WHATWG machinery (the `Node's fetch (built-in undici)` row: `Request`, guarded `Headers`, body streams) and in the garbage it leaves (`GC`). The Node facade now sends with undici's `request` over the same global dispatcher and answers with a standard `Response`; the `capauth fetch over global fetch` column (and the warm-path row of that name) is the facade without it. Its streamed bodies join the chunks that arrive in one tick (a chunked ndjson answer comes as many 1 KB chunks per socket read), so each later stream layer reads a few large chunks instead of dozens of small ones: that took the facade on streamed ndjson from about 1.2x to about 0.6x raw fetch's CPU in a side-by-side check while building it (scripts/warm-one.ts).",
    "- **The warm path in core** (PromiseClient.ts): with a started client and a fresh token cached, `fetch` goes straight to the send with no await before it (no `ready()` / `authorize` promises), and the rejection wrapper is one `.catch` instead of an async frame. A body it read is served through a prototype made once per response class instead of accessors defined on each response. Without a network, the facade's own work is about 6 µs per small-JSON request (scripts/overhead.ts; it was 8.4 µs with per-response accessors).",
    "- **The Effect middleware** (CapillaryClient.ts): the undici client rebuilds a response's headers on every access, and the middleware read them four times a request; it now reads them once. A body it read or peeked is served through a shared prototype (defining seven accessors on each response cost about 6 µs: V8 turns such an object into a dictionary), a fresh cached token is used without a fiber hop, and a streamed JSON body is peeked on the Effect `Stream` itself instead of through a web stream and a second response. Streams of JSON records (ndjson) are not JSON documents and are no longer looked into at all (`isJsonDocument`), on either client. Measured side by side while building (small JSON, 5,000 x 32): about 1.3x the bare client's CPU before, about 1.07x after.",
    "- **What remains**: Node's stream and HTTP glue (`Node internals`) and undici's parser are the floor every client pays; the facade's own share is `capauth core` + `capauth node` (headers per request, reading the small body once and parsing it once for the 498 check, handing the parsed value to `json()`). On a 1 MB JSON answer the extra is the envelope check of the first 64 KB (internal/peek.ts): the tokenizer took about 0.35 ms there; a body with no key ending in `code\"` in that prefix (the bench's `{\"data\":[...],\"errors\":null}`) is now only skimmed for string ends and nesting, about 0.09 ms, and the Node facade reads it in place (no second stream). Profiled side by side on the built packages, the facade and raw fetch then spend the same CPU on it (11.5 ms sampled per request each): decoding and `JSON.parse`, which every client pays, and their garbage. On Deno the facade's own work (about 5 µs a request without a network) and what its request asks of Deno's fetch (a `Headers` object, `redirect: \"manual\"` so that no token follows a redirect off its origin, the attribution and JSON headers: about 10 µs more than one static header, measured one by one) stand between it and Deno's cheap native fetch.",
    "- **Measured as shipped**: `pnpm bench` builds the packages and runs capauth from `dist/`. Run from its TypeScript sources through tsx, every function expression is wrapped to keep its name at run time, a cost the built code does not have (making an envelope scanner took 12 µs that way, 2.5 µs built).",
    "",
    "Top functions of capauth fetch by self time (from `dist/`; run from sources through tsx, functions show as anonymous functions of their file):",
    "",
    table(["function", "self"], profiles[0]!.functions)
  ].join("\n")
  return { title: "7. Profile of the warm path", markdown: md, headlines: [] }
}
