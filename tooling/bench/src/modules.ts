/** The bench's modules, in the order they run. */
import { bundles } from "./bundles.ts"
import type { Child } from "./child.ts"
import { deno } from "./deno.ts"
import { memory } from "./memory.ts"
import { profile } from "./profile.ts"
import type { Section, Settings } from "./report.ts"
import { rollover } from "./rollover.ts"
import { storms } from "./storm.ts"
import { warm } from "./warm.ts"

interface Context {
  /** The raw API server's base URL. */
  readonly base: string
  readonly raw: Child
  readonly settings: Settings
}

export interface Module {
  readonly name: string
  readonly run: (context: Context) => Promise<Section>
}

export const modules: ReadonlyArray<Module> = [
  { name: "warm", run: (c) => warm(c.base, c.settings) },
  { name: "deno", run: (c) => deno(c.base, c.settings) },
  { name: "storms", run: (c) => storms(c.settings) },
  { name: "rollover", run: (c) => rollover(c.settings) },
  { name: "memory", run: (c) => memory(c.base, c.settings) },
  { name: "bundles", run: () => bundles() },
  { name: "profile", run: (c) => profile(c.base, c.settings) }
]
