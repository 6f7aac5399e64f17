// A Deno program using the JSR form of @capauth/deno: run.sh makes the staged package (what `deno publish` ships)
// a workspace member, so "@capauth/deno" resolves through that package's own import map as on JSR, and its
// npm:@capauth/core, npm:effect and npm:ky come through Deno's npm resolution (the global cache, no node_modules).
//   deno run --allow-net=127.0.0.1 --unstable-kv main.ts <simulator url> <client key> <client secret> <customer mobile>
import {
  type CapillaryClientOptions,
  type CapillaryPromiseClient,
  createCapillaryClient,
  DenoKvTokenStore,
  InvalidCredentials
} from "@capauth/deno"

const [baseUrl, key, secret, mobile] = Deno.args
if (baseUrl === undefined || key === undefined || secret === undefined || mobile === undefined) {
  throw new Error("usage: main.ts <simulator url> <client key> <client secret> <customer mobile>")
}
const path = `/v1.1/customer/get?format=json&mobile=${mobile}`
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
  // The ky facade: ky is core's optional peer, which the JSR package must bring itself.
  const body = await cap.ky.get(path.slice(1)).json<{ response?: unknown }>()
  if (body.response === undefined) throw new Error("ky: no envelope")
  const stranger = createCapillaryClient({ baseUrl, credentials: { key: "not-a-client", secret } })
  const error = await stranger.fetch(path).catch((e: unknown) => e)
  await stranger.close()
  if (!(error instanceof InvalidCredentials)) throw new Error(`expected InvalidCredentials, got ${error}`)
} finally {
  await cap.close()
  store.close()
}
console.log(
  `deno ${Deno.version.deno}: 3 calls answered 200 (fetch, fetch, ky), typed InvalidCredentials, closed`
)

// `deno check main.ts` sees the package's own types (not `any`) only if this line is an error.
// @ts-expect-error a cluster is a name, not a number
export const notACluster: CapillaryClientOptions = { cluster: 42 }
