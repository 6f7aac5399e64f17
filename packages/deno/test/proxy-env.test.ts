/**
 * Deno's fetch reads `HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY` once per process (no `--allow-env` needed), so
 * what a client does with them is checked in a real `deno run` of a tiny script with them set (needs
 * `--allow-run=<the deno binary>`), against the simulator and a forward proxy in this process.
 */
import assert from "node:assert/strict"
import { startSimulator } from "@capauth/testkit"
import { startProxy } from "@capauth/testkit/contract"

const config = new URL("../deno.json", import.meta.url).pathname
const script = new URL("./fixtures/proxy-env.ts", import.meta.url).pathname

const proxyVars = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"]

const run = async (
  env: Record<string, string>,
  simUrl: string,
  { fixture = script, allowNet = "127.0.0.1", extra = [] as ReadonlyArray<string> } = {}
) => {
  // A proxy variable of this process (a developer's, or CI's) is blanked in the child: only `env` applies. Only
  // those: Deno takes a blank NO_PROXY over a set no_proxy.
  const blanked = proxyVars.filter((name) => (Deno.env.get(name) ?? "") !== "").map((name) => [name, ""])
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-check",
      `--config=${config}`,
      `--allow-net=${allowNet}`,
      fixture,
      simUrl,
      ...extra
    ],
    env: { NO_COLOR: "1", ...Object.fromEntries(blanked), ...env },
    stdin: "null"
  }).output()
  return { code, out: new TextDecoder().decode(stdout).trim(), err: new TextDecoder().decode(stderr) }
}

const paths = (seen: ReadonlyArray<{ readonly method: string; readonly target: string }>) =>
  seen.map((s) => `${s.method} ${new URL(s.target).pathname}`)

Deno.test("without proxy: HTTP_PROXY from the environment carries the token request and the API call", async () => {
  const sim = await startSimulator({ port: 0, sharedKey: true })
  const proxy = await startProxy()
  try {
    const { code, out, err } = await run({ HTTP_PROXY: proxy.url }, sim.url)
    assert.equal(code, 0, err)
    assert.equal(out, "200")
    assert.deepEqual(paths(proxy.seen), ["POST /v3/oauth/token/generate", "GET /v2/customers/1"])
    for (const seen of proxy.seen) assert.equal(seen.headers["proxy-authorization"], undefined)
  } finally {
    await proxy.close()
    await sim.close()
  }
})

Deno.test("NO_PROXY (and no_proxy) naming the host bypasses the environment's proxy", async () => {
  const sim = await startSimulator({ port: 0, sharedKey: true })
  const proxy = await startProxy()
  try {
    for (const env of [
      { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: "localhost,127.0.0.1" },
      { http_proxy: proxy.url, no_proxy: "127.0.0.1" }
    ]) {
      const { code, out, err } = await run(env, sim.url)
      assert.equal(code, 0, err)
      assert.equal(out, "200")
    }
    assert.deepEqual(proxy.seen, [], "the proxy saw nothing")
    assert.equal(sim.stats().tokenRequestsTotal, 2)
  } finally {
    await proxy.close()
    await sim.close()
  }
})

Deno.test("the proxy option without --allow-net for the proxy: a ConfigError naming the flag, no password", async () => {
  const sim = await startSimulator({ port: 0, sharedKey: true })
  const proxy = await startProxy()
  try {
    const { code, out, err } = await run({}, sim.url, {
      fixture: new URL("./fixtures/proxy-option.ts", import.meta.url).pathname,
      allowNet: new URL(sim.url).host,
      extra: [`http://user:pr0xy-pass@127.0.0.1:${proxy.port}`]
    })
    assert.notEqual(code, 0)
    assert.equal(out, "")
    assert.match(
      err,
      /ConfigError: Deno refused net access to the proxy: run with --allow-net=127\.0\.0\.1:\d+/
    )
    assert.ok(!err.includes("pr0xy-pass"), err)
    assert.deepEqual(proxy.seen, [])
  } finally {
    await proxy.close()
    await sim.close()
  }
})
