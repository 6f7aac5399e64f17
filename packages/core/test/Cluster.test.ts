import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { Cluster } from "../src/index.ts"

const success = (e: Result.Result<URL, unknown>) => Result.getOrThrow(e).href
const failure = (e: Result.Result<URL, { _tag: string; message: string }>) => {
  if (Result.isSuccess(e)) throw new Error(`expected a ConfigError, got ${e.success.href}`)
  return e.failure
}

describe("Cluster", () => {
  it("resolves every documented preset", () => {
    expect(success(Cluster.resolve({ cluster: "eu" }))).toBe("https://eu.api.capillarytech.com/")
    expect(success(Cluster.resolve({ cluster: "north-america" }))).toBe(
      "https://north-america.api.capillarytech.com/"
    )
    expect(success(Cluster.resolve({ cluster: "cn" }))).toBe("https://api.capillarytech.cn.com/")
    expect(success(Cluster.resolve({ cluster: "APAC2" }))).toBe("https://apac2.api.capillarytech.com/")
    expect(Object.keys(Cluster.presets)).toEqual([
      "apac",
      "apac2",
      "eu",
      "us",
      "ushc",
      "sea",
      "north-america",
      "cn"
    ])
  })

  it("accepts any https origin, such as the older intouch hosts", () => {
    expect(success(Cluster.resolve({ baseUrl: "https://eu.intouch.capillarytech.com" }))).toBe(
      "https://eu.intouch.capillarytech.com/"
    )
    expect(success(Cluster.resolve({ baseUrl: "https://eu.intouch.capillarytech.com/" }))).toBe(
      "https://eu.intouch.capillarytech.com/"
    )
  })

  it("allows http only on loopback", () => {
    expect(success(Cluster.resolve({ baseUrl: "http://127.0.0.1:8787" }))).toBe("http://127.0.0.1:8787/")
    expect(success(Cluster.resolve({ baseUrl: "http://localhost:1" }))).toBe("http://localhost:1/")
    expect(success(Cluster.resolve({ baseUrl: "http://[::1]:9" }))).toBe("http://[::1]:9/")
    const error = failure(Cluster.resolve({ baseUrl: "http://eu.api.capillarytech.com" }))
    expect(error._tag).toBe("ConfigError")
    expect(error.message).toMatch(/https:.*loopback/)
  })

  it("refuses what would send requests somewhere unexpected, with a message that says what to fix", () => {
    expect(failure(Cluster.resolve({ baseUrl: "not a url" })).message).toMatch(/not a valid URL/)
    expect(failure(Cluster.resolve({ baseUrl: "ftp://x.com" })).message).toMatch(/https:/)
    expect(failure(Cluster.resolve({ baseUrl: "https://x.com/v1.1" })).message).toMatch(/without path/)
    expect(failure(Cluster.resolve({ baseUrl: "https://u:p@x.com" })).message).toMatch(/username or password/)
    expect(failure(Cluster.resolve({ cluster: "mars" })).message).toMatch(/Unknown cluster "mars".*eu/)
    expect(failure(Cluster.resolve({ cluster: "eu", baseUrl: "https://x.com" })).message).toMatch(/not both/)
    expect(failure(Cluster.resolve({})).message).toMatch(/cluster.*baseUrl/)
  })
})
