import { fromBase64url } from "../src/jwt.ts"
import type { Simulator } from "../src/simulator.ts"

export const TOKEN_PATH = "/v3/oauth/token/generate"
export const DOC_BASIC = "Basic c3RvcmUuc2VydmVyOjhhMTZhNmI3MDUwNWViMWYxZmY3Y2RjMGNkNTU1OWE3"
export const JSON_HEADERS = { "content-type": "application/json", accept: "application/json" }

/** POSTs to token/generate and returns the raw response. */
export const postToken = (sim: Simulator, body: unknown, init: RequestInit = {}) =>
  fetch(sim.url + TOKEN_PATH, {
    method: "POST",
    headers: JSON_HEADERS,
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init
  })

/** A fresh token for key/secret; fails the test if generation fails. */
export const tokenFor = async (
  sim: Simulator,
  key = "sample-key",
  secret = "sample-secret"
): Promise<string> => {
  const res = await postToken(sim, { key, secret })
  const json = (await res.json()) as { data: { accessToken: string } | null; errors: unknown }
  if (res.status !== 200 || json.data === null) throw new Error(`token failed: ${JSON.stringify(json)}`)
  return json.data.accessToken
}

/** Calls an API path with headers; returns status, parsed body and the response. */
export const call = async (
  sim: Simulator,
  path: string,
  headers: Record<string, string>,
  init: RequestInit = {}
) => {
  const res = await fetch(sim.url + path, { headers: { ...JSON_HEADERS, ...headers }, ...init })
  const text = await res.text()
  let body: any
  try {
    body = JSON.parse(text)
  } catch {
    body = text
  }
  return { status: res.status, body, res }
}

export const oauth = (token: string) => ({ "X-CAP-API-OAUTH-TOKEN": token })

export const decodePart = (part: string): any => JSON.parse(new TextDecoder().decode(fromBase64url(part)))

export const V11_GET = "/v1.1/customer/get?format=json&mobile=919876543210"
export const V11_ADD = "/v1.1/customer/add?format=json"
export const v11AddBody = (mobile: string) =>
  JSON.stringify({ root: { customer: [{ mobile, firstname: "A" }] } })
