/**
 * What a user sees when a Deno permission or flag is missing, from a real `deno run` of a tiny script
 * (needs `--allow-run=<the deno binary>`).
 */

import assert from "node:assert/strict"
import { CapillaryConfig, CaptureConfig } from "@capauth/core"
import { captureAllowEnvFlag, DenoCapillary } from "../mod.ts"

const config = new URL("../deno.json", import.meta.url).pathname

const run = async (script: string, flags: ReadonlyArray<string>) => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-check",
      `--config=${config}`,
      ...flags,
      new URL(script, import.meta.url).pathname
    ],
    // Blank CAPILLARY_* and CAPTURE_* so a developer's own settings cannot change the outcome (blank reads as unset).
    env: {
      NO_COLOR: "1",
      ...Object.fromEntries(
        [...Object.keys(CapillaryConfig.envVars), ...Object.keys(CaptureConfig.envVars)].map((name) => [
          name,
          ""
        ])
      )
    },
    stdin: "null"
  }).output()
  return { code, out: new TextDecoder().decode(stdout), err: new TextDecoder().decode(stderr) }
}

Deno.test("deno run without --allow-env fails with a ConfigError naming the flag", async () => {
  const { code, out, err } = await run("./fixtures/from-env.ts", [])
  assert.notEqual(code, 0)
  assert.equal(out, "")
  assert.match(err, /ConfigError/)
  assert.ok(err.includes(DenoCapillary.allowEnvFlag), err)
})

Deno.test("deno run with the --allow-env flag gets past permissions to the missing variable", async () => {
  const { code, err } = await run("./fixtures/from-env.ts", [DenoCapillary.allowEnvFlag])
  assert.notEqual(code, 0)
  assert.match(err, /ConfigError: CAPILLARY_BASE_URL or CAPILLARY_CLUSTER must be set/)
})

Deno.test("deno run without --unstable-kv: opening the KV store names the flag", async () => {
  const without = await run("./fixtures/open-kv.ts", [])
  assert.notEqual(without.code, 0)
  assert.match(without.err, /TokenStoreError: Deno KV is unstable in Deno 2: run with --unstable-kv/)
  const withFlag = await run("./fixtures/open-kv.ts", ["--unstable-kv"])
  assert.equal(withFlag.code, 0, withFlag.err)
  assert.equal(withFlag.out.trim(), "opened")
})

Deno.test("createCaptureClient without the CAPTURE_* names in --allow-env: a ConfigError naming the variable and the flag", async () => {
  const { code, out, err } = await run("./fixtures/capture-from-env.ts", [])
  assert.notEqual(code, 0)
  assert.equal(out, "")
  assert.match(err, /ConfigError: Deno refused to read CAPTURE_BASE_URL/)
  assert.ok(err.includes(captureAllowEnvFlag), err)
  assert.ok(!err.includes("fixture-s3cret"), err)
})

Deno.test("createCaptureClient with captureAllowEnvFlag gets past permissions to the missing variable", async () => {
  const { code, err } = await run("./fixtures/capture-from-env.ts", [captureAllowEnvFlag])
  assert.notEqual(code, 0)
  assert.match(err, /ConfigError: baseUrl is required: pass baseUrl or set CAPTURE_BASE_URL/)
  assert.ok(!err.includes("fixture-s3cret"), err)
})

Deno.test("CaptureClient.layerConfig over DenoCapillary.configProvider without --allow-env names the CAPTURE_* flag", async () => {
  const { code, out, err } = await run("./fixtures/capture-layer-config.ts", [])
  assert.notEqual(code, 0)
  assert.equal(out, "")
  assert.match(err, /ConfigError/)
  assert.match(err, /CAPTURE_BASE_URL could not be read: Deno refused to read CAPTURE_BASE_URL/)
  assert.ok(err.includes(captureAllowEnvFlag), err)
  const allowed = await run("./fixtures/capture-layer-config.ts", [captureAllowEnvFlag])
  assert.notEqual(allowed.code, 0)
  assert.match(allowed.err, /baseUrl is required: pass baseUrl or set CAPTURE_BASE_URL/)
})
