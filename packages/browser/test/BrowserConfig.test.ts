import * as Result from "effect/Result"
import { describe, expect, it } from "vitest"
import * as BrowserConfig from "../src/BrowserConfig.ts"

const base = { baseUrl: "https://eu.api.capillarytech.com", brokerUrl: "/capillary/token" }
const page = "https://shop.example.com/app/"

const left = (input: unknown, location = page) => {
  const result = BrowserConfig.make(input as BrowserConfig.Input, location)
  if (Result.isSuccess(result)) throw new Error("expected a ConfigError")
  return result.failure
}

describe("BrowserConfig", () => {
  it("resolves a relative brokerUrl against the worker's location", () => {
    const config = Result.getOrThrow(BrowserConfig.make(base, page))
    expect(config.brokerUrl?.href).toBe("https://shop.example.com/capillary/token")
    expect(config.baseUrl.origin).toBe("https://eu.api.capillarytech.com")
  })

  it.each([
    ["secret", { secret: "s3cr3t-zz" }],
    ["credentials", { credentials: { key: "k", secret: "s3cr3t-zz" } }],
    ["password", { password: "s3cr3t-zz" }]
  ])("refuses %s, saying why and what to do, without repeating it", (field, extra) => {
    const error = left({ ...base, ...extra })
    expect(error._tag).toBe("ConfigError")
    expect(error.field).toBe(field)
    expect(error.message).toMatch(/must never be in a browser.*TokenBroker.*brokerUrl/)
    expect(`${JSON.stringify(error)} ${error.message} ${String(error)}`).not.toContain("s3cr3t-zz")
  })

  it("refuses a plain-http broker off loopback, but allows the page's own origin", () => {
    expect(left({ ...base, brokerUrl: "http://broker.example.com/t" }).field).toBe("brokerUrl")
    expect(Result.isSuccess(BrowserConfig.make({ ...base, brokerUrl: "/t" }, "http://intranet.local/"))).toBe(
      true
    )
  })

  it("reads the worker URL's query string, keeping secrets so they are refused", () => {
    expect(BrowserConfig.fromQuery("?brokerUrl=/t")).toBeUndefined()
    expect(BrowserConfig.fromQuery("?cluster=eu&brokerUrl=/t&attributionCode=store.till1")).toEqual({
      cluster: "eu",
      brokerUrl: "/t",
      attribution: { type: undefined, code: "store.till1" }
    })
    expect(left(BrowserConfig.fromQuery("?cluster=eu&secret=x")).field).toBe("secret")
  })
})
