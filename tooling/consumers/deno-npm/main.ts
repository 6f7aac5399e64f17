// A Deno program using @capauth/deno from npm: the `npm:` specifier resolves from the node_modules npm installed
// (deno.json: nodeModulesDir "manual"), so Deno runs the package's built dist/ through its package.json exports.
//   deno run --allow-net=127.0.0.1 --unstable-kv main.ts <simulator url> <client key> <client secret> <customer mobile>
import {
  type CapillaryClientOptions,
  type CapillaryPromiseClient,
  createCapillaryClient,
  DenoKvTokenStore,
  InvalidCredentials
} from "npm:@capauth/deno@^0.1.0"

const [baseUrl, key, secret, mobile] = Deno.args
if (baseUrl === undefined || key === undefined || secret === undefined || mobile === undefined) {
  throw new Error("usage: main.ts <simulator url> <client key> <client secret> <customer mobile>")
}
const path = `/v1.1/customer/get?format=json&mobile=${mobile}`
// The token lives in a Deno KV store (in memory: no file, no --allow-read/--allow-write; needs --unstable-kv).
const store = await DenoKvTokenStore.open(":memory:")
const cap: CapillaryPromiseClient = createCapillaryClient({
  baseUrl,
  credentials: { key, secret },
  tokenStore: store
})
try {
  for (const call of [1, 2]) {
    const response = await cap.fetch(path)
    if (response.status !== 200) throw new Error(`call ${call}: expected 200, got ${response.status}`)
    await response.json()
  }
  // An unknown client: rejected with core's typed error, the same class the package exports.
  const stranger = createCapillaryClient({ baseUrl, credentials: { key: "not-a-client", secret } })
  const error = await stranger.fetch(path).catch((e: unknown) => e)
  await stranger.close()
  if (!(error instanceof InvalidCredentials)) throw new Error(`expected InvalidCredentials, got ${error}`)
  const stored = await store.kv.get(["capauth", "token", `capillary:${new URL(baseUrl).origin}:${key}`])
  if (stored.value === null) throw new Error("the token is not in the Deno KV store")
} finally {
  await cap.close()
  store.close()
}
console.log(
  `deno ${Deno.version.deno}: 2 calls answered 200 (token in Deno KV), typed InvalidCredentials, closed`
)

// `deno check main.ts` sees the package's own types (not `any`) only if this line is an error.
// @ts-expect-error a cluster is a name, not a number
export const notACluster: CapillaryClientOptions = { cluster: 42 }
