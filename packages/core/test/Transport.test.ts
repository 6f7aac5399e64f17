import { inspect } from "node:util"
import { TokenBroker, Transport } from "@capauth/core"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { describe, expect, it } from "vitest"

const failure = (input: Transport.Input) => {
  const result = Transport.make(input)
  if (Result.isSuccess(result)) throw new Error("expected a ConfigError")
  return result.failure
}

describe("Transport.make", () => {
  it("no option: the runtime's default", () => {
    expect(Transport.make({})).toEqual(Result.succeed(Transport.defaultTransport))
  })

  it("a proxy URL (string or URL) is kept Redacted: its password prints nowhere", () => {
    for (const proxy of ["http://user:s3cr%40t@proxy.internal:3128", new URL("https://proxy.internal")]) {
      const result = Transport.make({ proxy })
      if (Result.isFailure(result) || result.success._tag !== "Proxy") throw new Error("expected a proxy")
      expect(Redacted.value(result.success.url).hostname).toBe("proxy.internal")
      const printed = `${inspect(result.success, { depth: 10 })} ${JSON.stringify(result.success)}`
      expect(printed).not.toContain("s3cr")
    }
  })

  it("a fetch is used as given", () => {
    const fetch: typeof globalThis.fetch = (input, init) => globalThis.fetch(input, init)
    expect(Transport.make({ fetch })).toEqual(Result.succeed({ _tag: "Fetch", fetch }))
  })

  it.each([
    [{ proxy: "http://proxy:1", fetch: globalThis.fetch }, "proxy", /not both/],
    [{ proxy: "socks5://proxy:1080" }, "proxy", /http: or https:/],
    [{ proxy: "http://proxy:1/path" }, "proxy", /without a path/],
    [{ proxy: "http://proxy:1/?q=1" }, "proxy", /without a path/],
    [{ proxy: "http://u:pa55word@bad host:1" }, "proxy", /not a URL/],
    [{ proxy: 3128 as unknown as string }, "proxy", /URL string/],
    [{ fetch: "fetch" as unknown as typeof globalThis.fetch }, "fetch", /a function/]
  ])("%j is a ConfigError on %s", (input, field, message) => {
    const error = failure(input)
    expect(error._tag).toBe("ConfigError")
    expect(error.field).toBe(field)
    expect(error.message).toMatch(message)
    expect(error.message).not.toContain("pa55word")
  })

  it("a platform that cannot use a proxy: a ConfigError; the default route uses the platform's own", () => {
    const platform = { httpLayer: undefined as never }
    const proxied = Transport.make({ proxy: "http://proxy:1" })
    if (Result.isFailure(proxied)) throw proxied.failure
    expect(() => Transport.route(proxied.success, platform)).toThrow(/cannot send through a proxy/)
    const route = Transport.route(Transport.defaultTransport, platform)
    expect(route.httpLayer).toBe(platform.httpLayer)
  })
})

describe("capauth's own requests over a fetch: cache no-store", () => {
  it("the broker client (what a browser worker asks) sends its token request with cache: no-store", async () => {
    const seen: Array<RequestInit | undefined> = []
    const fetch: typeof globalThis.fetch = async (_input, init) => {
      seen.push(init)
      return Response.json({ data: { accessToken: "a.b.c", ttlSeconds: 600 }, errors: null })
    }
    const issued = await Effect.runPromise(
      Effect.flatMap(
        TokenBroker.source(new URL("https://app.example.com/api/capillary-token")),
        (s) => s.fetch
      ).pipe(Effect.provide(Transport.fetchRoute(fetch).httpLayer))
    )
    expect(Redacted.value(issued.value)).toBe("a.b.c")
    expect(seen.map((init) => [init?.cache, init?.redirect])).toEqual([["no-store", "manual"]])
  })
})
