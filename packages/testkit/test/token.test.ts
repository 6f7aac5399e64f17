import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type Simulator, startSimulator } from "../src/index.ts"
import { decodePart, postToken, TOKEN_PATH, tokenFor } from "./helpers.ts"

describe("POST /v3/oauth/token/generate", () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await startSimulator({
      clock: "manual",
      clients: [
        { key: "k", secret: "s", ttlSeconds: 300, defaultTill: "store.till2", orgId: 55, clientId: 9 },
        { key: "off", secret: "s", enabled: false }
      ]
    })
  })
  afterAll(() => sim.close())
  beforeEach(() => sim.reset())

  it("returns the documented success envelope with a JWT and ttlSeconds", async () => {
    const res = await postToken(sim, { key: "k", secret: "s" })
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toContain("application/json")
    expect(res.headers.get("x-cap-requestid")).toMatch(/.+/)
    const body = (await res.json()) as any
    expect(body.errors).toBeNull()
    expect(body.data.ttlSeconds).toBe(300)
    expect(body.data.accessToken.split(".")).toHaveLength(3)
  })

  it("signs RS256 with kid k1 and the documented claims; exp - iat = ttl; iat from the sim clock", async () => {
    const token = await tokenFor(sim, "k", "s")
    const [h, p] = token.split(".") as [string, string]
    expect(decodePart(h)).toMatchObject({ kid: "k1", alg: "RS256" })
    const claims = decodePart(p)
    expect(claims).toMatchObject({
      iss: "Capillary",
      token_use: "token_access",
      client_key: "k",
      default_till: "store.till2",
      org_id: 55,
      client_id: 9,
      has_psi_access: false
    })
    expect(typeof claims.sub).toBe("string")
    expect(typeof claims.jti).toBe("string")
    expect(typeof claims.scopes).toBe("string")
    expect(claims.exp - claims.iat).toBe(300)
    expect(claims.iat).toBe(Math.floor(sim.clock.now() / 1000))
    expect(sim.tokens.at(-1)).toMatchObject({
      jti: claims.jti,
      clientKey: "k",
      iat: claims.iat,
      exp: claims.exp
    })
  })

  it("verifies with the public key from /.well-known/jwks.json (WebCrypto) and not after tampering", async () => {
    const token = await tokenFor(sim, "k", "s")
    const jwks = (await (await fetch(`${sim.url}/.well-known/jwks.json`)).json()) as any
    expect(jwks.keys[0]).toMatchObject({ kty: "RSA", kid: "k1", alg: "RS256" })
    expect(jwks.keys[0]).toEqual(sim.publicJwk)
    const alg = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }
    const key = await crypto.subtle.importKey("jwk", jwks.keys[0], alg, false, ["verify"])
    const [h, p, s] = token.split(".") as [string, string, string]
    const sig = Buffer.from(s, "base64url")
    const enc = new TextEncoder()
    expect(await crypto.subtle.verify(alg, key, sig, enc.encode(`${h}.${p}`))).toBe(true)
    const forged = Buffer.from(JSON.stringify({ ...decodePart(p), exp: 9e9 })).toString("base64url")
    expect(await crypto.subtle.verify(alg, key, sig, enc.encode(`${h}.${forged}`))).toBe(false)
  })

  it("returns a new token on every call", async () => {
    const tokens = await Promise.all([1, 2, 3].map(() => tokenFor(sim, "k", "s")))
    expect(new Set(tokens).size).toBe(3)
    expect(new Set(sim.tokens.map((t) => t.jti)).size).toBe(3)
  })

  it("answers 320001 for an unknown key or a wrong secret", async () => {
    for (const body of [
      { key: "nope", secret: "s" },
      { key: "k", secret: "wrong" }
    ]) {
      const res = await postToken(sim, body)
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({
        data: null,
        errors: [{ code: 320001, message: "Invalid client key and secret" }]
      })
    }
  })

  it("answers an error envelope (320002) for a disabled client, also after disableClient", async () => {
    const res = await postToken(sim, { key: "off", secret: "s" })
    expect(res.status).toBe(401)
    expect(((await res.json()) as any).errors[0].code).toBe(320002)
    sim.addClient({ key: "later", secret: "x" })
    await tokenFor(sim, "later", "x")
    sim.disableClient("later")
    const again = (await (await postToken(sim, { key: "later", secret: "x" })).json()) as any
    expect(again).toMatchObject({ data: null, errors: [{ code: 320002 }] })
  })

  it("answers 400 with an envelope for a body that is not JSON or lacks fields", async () => {
    for (const body of ["{not json", JSON.stringify({ key: "k" }), JSON.stringify([1]), ""]) {
      const res = await postToken(sim, body)
      expect(res.status).toBe(400)
      const json = (await res.json()) as any
      expect(json.data).toBeNull()
      expect(json.errors[0].code).toBe(400)
    }
  })

  it("requires the JSON Content-Type and POST", async () => {
    const res = await postToken(sim, { key: "k", secret: "s" }, { headers: { "content-type": "text/plain" } })
    expect(res.status).toBe(400)
    const get = await fetch(sim.url + TOKEN_PATH)
    expect(get.status).toBe(405)
  })
})

describe("token options", () => {
  it("uses tokenErrorStatus for failed generation", async () => {
    const sim = await startSimulator({ tokenErrorStatus: 200 })
    try {
      const res = await postToken(sim, { key: "sample-key", secret: "bad" })
      expect(res.status).toBe(200)
      expect(((await res.json()) as any).errors[0].code).toBe(320001)
    } finally {
      await sim.close()
    }
  })

  it("rejects a ttl above Capillary's 30-day maximum", async () => {
    await expect(
      startSimulator({ clients: [{ key: "k", secret: "s", ttlSeconds: 43_200 * 60 + 1 }] })
    ).rejects.toThrow(RangeError)
  })
})
