// The JSR form of @capauth/deno under real Deno, before @capauth/core is on npm:
//   node harness.mjs <deno binary> <app dir> <core tarball>
// 1. A local npm registry on 127.0.0.1 serves @capauth/core from its packed tarball and forwards every other name
//    to the npm registry ($CAPAUTH_UPSTREAM_REGISTRY); Deno gets it as NPM_CONFIG_REGISTRY.
// 2. `deno check main.ts` in the app, then `deno run --allow-net=127.0.0.1 --unstable-kv main.ts` against the testkit
//    simulator (plain node, the packed @capauth/testkit); each bounded to two minutes.
// 3. The simulator's own counters: one token request by the sample client, three customer/get answered 200.
import { execFileSync, spawn } from "node:child_process"
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { createServer } from "node:http"
import { SAMPLE_CLIENT, SAMPLE_CUSTOMER, startSimulator } from "@capauth/testkit"

const [deno, app, coreTarball] = process.argv.slice(2)
if (deno === undefined || app === undefined || coreTarball === undefined) {
  throw new Error("usage: node harness.mjs <deno> <app dir> <core tarball>")
}
const upstream = (process.env.CAPAUTH_UPSTREAM_REGISTRY ?? "https://registry.npmjs.org/").replace(/\/$/, "")

const tarball = readFileSync(coreTarball)
const core = JSON.parse(execFileSync("tar", ["xzf", coreTarball, "-O", "package/package.json"]).toString())
const registry = createServer(async (request, response) => {
  try {
    const { port } = registry.address()
    if (decodeURIComponent(request.url) === `/${core.name}`) {
      const dist = {
        tarball: `http://127.0.0.1:${port}/${core.name}/-/core-${core.version}.tgz`,
        shasum: createHash("sha1").update(tarball).digest("hex"),
        integrity: `sha512-${createHash("sha512").update(tarball).digest("base64")}`
      }
      const packument = {
        name: core.name,
        "dist-tags": { latest: core.version },
        versions: { [core.version]: { ...core, dist } }
      }
      return void response
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify(packument))
    }
    if (request.url === `/${core.name}/-/core-${core.version}.tgz`)
      return void response.writeHead(200).end(tarball)
    const answer = await fetch(upstream + request.url, {
      headers: { accept: request.headers.accept ?? "*/*" }
    })
    const type = answer.headers.get("content-type") ?? "application/octet-stream"
    response.writeHead(answer.status, { "content-type": type }).end(Buffer.from(await answer.arrayBuffer()))
  } catch (error) {
    response.writeHead(502).end(String(error))
  }
})
await new Promise((resolve) => registry.listen(0, "127.0.0.1", resolve))

const env = {
  ...process.env,
  NPM_CONFIG_REGISTRY: `http://127.0.0.1:${registry.address().port}/`,
  JSR_URL: "http://127.0.0.1:9/" // no JSR: every dependency of the package is an npm package
}
const run = async (args) => {
  const child = spawn(deno, args, { cwd: app, env, stdio: ["ignore", "inherit", "inherit"] })
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000)
  const [code, signal] = await new Promise((resolve) => child.on("exit", (c, s) => resolve([c, s])))
  clearTimeout(timer)
  if (code !== 0) throw new Error(`deno ${args[0]} failed (${code ?? signal})`)
}

const sim = await startSimulator({ port: 0 })
try {
  await run(["check", "main.ts"])
  await run([
    "run",
    "--allow-net=127.0.0.1",
    "--unstable-kv",
    "main.ts",
    sim.url,
    SAMPLE_CLIENT.key,
    SAMPLE_CLIENT.secret,
    SAMPLE_CUSTOMER.mobile
  ])
  const stats = sim.stats()
  const tokens = stats.tokenRequests[SAMPLE_CLIENT.key] ?? 0
  const calls = stats.apiRequests["GET /v1.1/customer/get -> 200"] ?? 0
  if (tokens !== 1) throw new Error(`expected 1 token request by the sample client, got ${tokens}`)
  if (calls !== 3)
    throw new Error(`expected 3 customer/get answered 200, got ${calls}: ${JSON.stringify(stats)}`)
  console.log(`simulator: ${calls} calls answered 200, ${tokens} token request`)
} finally {
  await sim.close()
  registry.close()
}
