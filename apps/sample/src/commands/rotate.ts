/**
 * `rotate`: a credential rotation without downtime, on a simulator started in this process. The client is given
 * two API clients in order (the old one first); calls run in waves while the old client is deleted, as an org
 * admin does once the new one is deployed. The next wave meets the old token's 401, the old client's refused
 * token request, and switches to the new client in the same flight: one `CredentialSwitched` event, no failed call.
 */
import type { TokenManager } from "@capauth/core"
import { createCapillaryClient } from "@capauth/node"
import { startSimulator } from "@capauth/testkit"
import type { Io } from "../Io.ts"
import * as Terminal from "../Terminal.ts"

export interface RotateOptions {
  readonly wave: number
}

const OLD = { key: "old-client", secret: "old-secret-shown-once" }
const NEW = { key: "new-client", secret: "new-secret-shown-once" }
const PATH = "/v2/customers/1"

export const run = async (options: RotateOptions, io: Io): Promise<number> => {
  const t = Terminal.make(io.stdout, io.env)
  const ok = t.green("✓")
  const bad = t.red("✗")
  const say = (text: string) => t.line(`   ${text}`)
  t.line(
    `${t.bold("capauth rotate")} ${t.dim("· credentials: [old client, new client] against an embedded simulator")}`
  )
  const sim = await startSimulator({ port: 0, clients: [OLD, NEW] })
  const cap = createCapillaryClient({ baseUrl: sim.url, credentials: [OLD, NEW] })
  const events: Array<TokenManager.TokenEvent> = []
  let failed = 0
  try {
    await cap.stats() // starts the runtime, so the listener sees the first fetch
    cap.onEvent((event) => {
      events.push(event)
      if (event._tag === "CredentialSwitched")
        say(`${t.yellow("◆")} event CredentialSwitched: ${event.from} was refused → now ${event.to}`)
    })
    const owner = async () => String((await cap.token()).claims?.client_key ?? "?")
    const wave = async (title: string) => {
      const results = await Promise.allSettled(
        Array.from({ length: options.wave }, async () => {
          const res = await cap.fetch(PATH)
          await res.arrayBuffer()
          if (res.status !== 200) throw new Error(`HTTP ${res.status}`)
        })
      )
      const good = results.filter((r) => r.status === "fulfilled").length
      failed += options.wave - good
      say(
        `${good === options.wave ? ok : bad} ${title}: ${good}/${options.wave} calls ok · token of ${t.bold(await owner())}`
      )
    }
    t.line()
    await wave("wave 1")
    say(t.dim(`the org admin deletes "${OLD.key}" (sim.deleteClient): its token now answers 401`))
    sim.deleteClient(OLD.key)
    await wave("wave 2")
    await wave("wave 3")
    await new Promise((resolve) => setImmediate(resolve))
    const switches = events.filter((e) => e._tag === "CredentialSwitched").length
    const stats = sim.stats().tokenRequests
    t.line()
    const rows = [
      ["failed calls", String(failed)],
      ["switch events", String(switches)],
      [
        "token requests",
        `${OLD.key} ${stats[OLD.key] ?? 0} (the last one refused) · ${NEW.key} ${stats[NEW.key] ?? 0}`
      ]
    ]
    for (const line of Terminal.columns(rows, "   ")) t.line(line)
    return failed === 0 && switches === 1 ? 0 : 1
  } finally {
    await cap.close()
    await sim.close()
  }
}
