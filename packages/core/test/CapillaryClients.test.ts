import { describe, expect, it } from "vitest"
import * as CapillaryClients from "../src/CapillaryClients.ts"

/** A client that records its life: what it was created for, when it closed, and work that settles on demand. */
const recorder = () => {
  const log: Array<string> = []
  let created = 0
  const create = async (org: string) => {
    created++
    log.push(`create ${org}`)
    await Promise.resolve() // creation takes a turn: concurrent gets overlap it
    return {
      org,
      closed: false,
      work: (promise: Promise<string>) => promise,
      ky: Object.assign(() => Promise.resolve("ky"), { get: (p: Promise<string>) => p }),
      close: async function () {
        this.closed = true
        log.push(`close ${org}`)
      }
    }
  }
  return { log, create, created: () => created }
}

const deferred = () => {
  let resolve!: (value: string) => void
  const promise = new Promise<string>((r) => (resolve = r))
  return { promise, resolve }
}

/** The next macrotask: after the pool's hold for the current turn (a 0 ms timer, earlier in the same queue). */
const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

describe("CapillaryClients", () => {
  it("creates on demand, keeps at most max, closes the least recently used first", async () => {
    const r = recorder()
    const pool = CapillaryClients.make({ max: 3, create: r.create })
    for (const org of ["a", "b", "c"]) await pool.get(org)
    await pool.get("a") // a is now the most recently used: b is next out
    await pool.get("d")
    await tick()
    expect(pool.keys()).toEqual(["c", "a", "d"])
    await pool.get("e")
    await tick()
    expect(pool.keys()).toEqual(["a", "d", "e"])
    expect(r.log.filter((l) => l.startsWith("close"))).toEqual(["close b", "close c"])
    expect(pool.size()).toBe(3)
    // A get of an open org creates nothing.
    await pool.get("d")
    expect(r.created()).toBe(5)
    await pool.close()
    expect(r.log.filter((l) => l.startsWith("close")).sort()).toEqual(
      ["close a", "close b", "close c", "close d", "close e"].sort()
    )
  })

  it("concurrent gets of one org create one client", async () => {
    const r = recorder()
    const pool = CapillaryClients.make({ max: 10, create: r.create })
    const clients = await Promise.all(Array.from({ length: 50 }, () => pool.get("same")))
    expect(r.created()).toBe(1)
    expect(new Set(clients).size).toBe(1)
    await pool.close()
  })

  it("an evicted client closes only once the work started through it settles (its methods and ky's)", async () => {
    const r = recorder()
    const pool = CapillaryClients.make({ max: 1, create: r.create })
    const a = await pool.get("a")
    const work = deferred()
    const viaKy = deferred()
    const call = a.work(work.promise)
    const kyCall = a.ky.get(viaKy.promise)
    await pool.get("b") // evicts a, with two calls in flight
    await tick()
    expect(pool.keys()).toEqual(["b"])
    expect(r.log).not.toContain("close a")
    work.resolve("done")
    expect(await call).toBe("done")
    await tick()
    expect(r.log).not.toContain("close a") // ky's call still runs
    viaKy.resolve("ky done")
    expect(await kyCall).toBe("ky done")
    await tick()
    expect(r.log).toContain("close a")
    await pool.close()
  })

  it("use keeps the client open across awaits, even when evicted meanwhile", async () => {
    const r = recorder()
    const pool = CapillaryClients.make({ max: 1, create: r.create })
    const gate = deferred()
    const using = pool.use("a", async (client) => {
      await gate.promise
      await tick()
      return client.closed ? "closed under me" : await client.work(Promise.resolve("still open"))
    })
    await tick()
    await pool.get("b") // evicts a while `use` waits
    await tick()
    expect(pool.keys()).toEqual(["b"])
    gate.resolve("go")
    expect(await using).toBe("still open")
    await tick()
    expect(r.log).toContain("close a")
    await pool.close()
  })

  it("close waits for in-flight work, closes every client, and later gets fail", async () => {
    const r = recorder()
    const pool = CapillaryClients.make({ max: 5, create: r.create })
    const a = await pool.get("a")
    await pool.get("b")
    const work = deferred()
    const call = a.work(work.promise)
    let closedAll = false
    const closing = pool.close().then(() => (closedAll = true))
    await tick()
    expect(closedAll).toBe(false)
    expect(r.log).toContain("close b")
    work.resolve("x")
    await call
    await closing
    expect(r.log).toContain("close a")
    await expect(pool.get("c")).rejects.toThrow(/closed/)
    await pool.close() // idempotent
  })

  it("a pooled client's own close evicts it; the next get creates a new one", async () => {
    const r = recorder()
    const pool = CapillaryClients.make({ max: 5, create: r.create })
    const a = await pool.get("a")
    await a.close()
    expect(pool.keys()).toEqual([])
    expect(r.log).toContain("close a")
    const again = await pool.get("a")
    expect(again).not.toBe(a)
    expect(r.created()).toBe(2)
    await pool.close()
  })

  it("a failing factory fails that get only, and a later get tries again; bad max is refused", async () => {
    let attempts = 0
    const pool = CapillaryClients.make({
      max: 2,
      create: (org: string) => {
        attempts++
        if (attempts === 1) throw new Error(`no credentials for ${org}`)
        return { close: () => undefined }
      }
    })
    await expect(pool.get("x")).rejects.toThrow(/no credentials for x/)
    await expect(pool.get("x")).resolves.toBeDefined()
    await pool.close()
    for (const max of [0, -1, 1.5, Number.NaN])
      expect(() => CapillaryClients.make({ max, create: () => ({ close: () => undefined }) })).toThrow(
        RangeError
      )
  })
})
