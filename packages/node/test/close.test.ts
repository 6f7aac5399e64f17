import { spawn } from "node:child_process"
import * as nodePath from "node:path"
import { fileURLToPath } from "node:url"
import { SAMPLE_CLIENT, type Simulator, startSimulator } from "@capauth/testkit"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const here = nodePath.dirname(fileURLToPath(import.meta.url))
let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ port: 0 })
})
afterAll(async () => {
  await sim.close()
})

describe("close()", () => {
  it("leaves nothing running: a child process that used the client exits on its own", async () => {
    const child = spawn(
      process.execPath,
      ["--conditions=@capauth/source", "--import", "tsx", nodePath.join(here, "fixtures", "close-child.ts")],
      {
        env: {
          ...process.env,
          SIM_URL: sim.url,
          SIM_KEY: SAMPLE_CLIENT.key,
          SIM_SECRET: SAMPLE_CLIENT.secret
        },
        stdio: ["ignore", "pipe", "pipe"]
      }
    )
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => {
      stdout += d
    })
    child.stderr.on("data", (d) => {
      stderr += d
    })
    // Bounded wait: a leaked timer or socket would keep the child alive; we then kill it and fail.
    const outcome = await new Promise<{ code: number | null; timedOut: boolean }>((resolve) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL")
        resolve({ code: null, timedOut: true })
      }, 20_000)
      child.once("exit", (code) => {
        clearTimeout(timer)
        resolve({ code, timedOut: false })
      })
    })
    expect(stderr).toBe("")
    expect(outcome).toEqual({ code: 0, timedOut: false })
    expect(stdout).toBe("closed 200\n")
    expect(sim.stats().apiRequests["GET /v2/customers/1 -> 200"]).toBe(1)
  }, 30_000)
})
