/** `deleteClient`: an API client deleted as an org admin does, while another client of the org goes on. */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { type Simulator, startSimulator } from "../src/index.ts"

let sim: Simulator
beforeEach(async () => {
  sim = await startSimulator({
    port: 0,
    clients: [
      { key: "a", secret: "sa" },
      { key: "b", secret: "sb" }
    ]
  })
})
afterEach(async () => {
  await sim.close()
})

const generate = async (key: string, secret: string) => {
  const res = await fetch(`${sim.url}/v3/oauth/token/generate`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ key, secret })
  })
  return (await res.json()) as {
    data: { accessToken: string } | null
    errors: Array<{ code: number }> | null
  }
}
const call = (token: string) =>
  fetch(`${sim.url}/v2/customers/1`, { headers: { "x-cap-api-oauth-token": token } })

describe("sim.deleteClient", () => {
  it("a deleted client's token generation answers 320001 and its tokens 401; the other client is untouched", async () => {
    const a = (await generate("a", "sa")).data?.accessToken as string
    const b = (await generate("b", "sb")).data?.accessToken as string
    expect((await call(a)).status).toBe(200)
    sim.deleteClient("a")
    expect((await call(a)).status).toBe(401)
    expect((await generate("a", "sa")).errors?.[0]?.code).toBe(320001)
    expect((await call(b)).status).toBe(200)
    expect(() => sim.deleteClient("a")).toThrow(/no API client with key a/)
    // A client may be added back under the same key (a new secret, as a new client would have).
    sim.addClient({ key: "a", secret: "sa2" })
    expect((await generate("a", "sa2")).data?.accessToken).toBeTypeOf("string")
  })
})
