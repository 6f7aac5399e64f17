/**
 * The Promise facade over a fetch that hands back one branch of a `tee()`d body and keeps the other, as Next.js
 * does for every GET in a route handler or server component (its request memoization, `dedupe-fetch`).
 * Cancelling such a branch settles only when the kept one is cancelled or read too: a body the facade drops (a
 * 498 before the replay, a redirect it follows) must be released without waiting for that.
 */
import { SAMPLE_CUSTOMER, type Simulator, startSimulator } from "@capauth/testkit"
import { FetchHttpClient } from "effect/http"
import { afterAll, beforeAll, expect, it } from "vitest"
import * as PromiseClient from "../src/PromiseClient.ts"
import { freshClient } from "./support.ts"

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ sharedKey: true })
})
afterAll(() => sim.close())

const PATH = `/v1.1/customer/get?format=json&mobile=${SAMPLE_CUSTOMER.mobile}`

/** Like Next's memoizing fetch: the caller gets one branch, the other is kept (and never read here). */
const kept: Array<Response> = []
const memoize = (response: Response): Response => {
  if (response.body === null) return response
  const [mine, theirs] = response.body.tee()
  kept.push(new Response(theirs))
  return new Response(mine, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers
  })
}

const within = <A>(promise: Promise<A>, ms = 5_000): Promise<A> =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms))
  ])

const clientFor = (fetch: typeof globalThis.fetch) => {
  const { key, secret, requests } = freshClient(sim)
  const cap = PromiseClient.make(
    { baseUrl: sim.url, credentials: { key, secret } },
    { httpLayer: FetchHttpClient.layer, env: () => undefined, fetch }
  )
  return { cap, requests }
}

it("renews after a 498 whose body is a kept tee branch", async () => {
  const { cap, requests } = clientFor(async (input, init) => memoize(await globalThis.fetch(input, init)))
  try {
    expect((await cap.fetch(PATH)).status).toBe(200)
    sim.expireAllTokens()
    const res = await within(cap.fetch(PATH))
    expect(res.status).toBe(200)
    expect(requests()).toBe(2)
  } finally {
    await cap.close()
  }
})

it("follows a same-origin redirect whose body is a kept tee branch", async () => {
  const { cap } = clientFor(async (input, init) =>
    String(input).endsWith("/moved")
      ? memoize(new Response("moved", { status: 302, headers: { location: PATH } }))
      : memoize(await globalThis.fetch(input, init))
  )
  try {
    const res = await within(cap.fetch("/moved"))
    expect(res.status).toBe(200)
  } finally {
    await cap.close()
  }
})
