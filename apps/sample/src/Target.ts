/**
 * Where `token`, `call` and `web` go: the real cluster named by the `CAPILLARY_*` environment variables, or,
 * when none is set, a simulator started in this process so the commands work on a laptop.
 */
import { TransportError } from "@capauth/core/AuthError"
import * as CapillaryConfig from "@capauth/core/CapillaryConfig"
import * as Cluster from "@capauth/core/Cluster"
import type { CapillaryPromiseClient } from "@capauth/node"
import type { Simulator } from "@capauth/testkit"
import * as Result from "effect/Result"

export interface Target {
  readonly cap: CapillaryPromiseClient
  readonly mode: "cluster" | "simulator"
  readonly baseUrl: string
  /** Closes the client, then the simulator if one was started. */
  readonly close: () => Promise<void>
}

type Env = Readonly<Record<string, string | undefined>>

const set = (env: Env, name: string) => (env[name]?.trim() ?? "") !== ""

/** Whether any `CAPILLARY_*` variable the client reads is set: then the user means a real cluster. */
export const wantsCluster = (env: Env): boolean =>
  Object.keys(CapillaryConfig.envVars).some((name) => set(env, name))

/**
 * Check where the environment points before anything else, so `CAPILLARY_CLUSTER=mars` is reported as such
 * even when the credentials are missing too. Throws the `ConfigError` naming the variable.
 */
export const clusterUrl = (env: Env): URL => {
  const read = (name: CapillaryConfig.EnvVar) => (set(env, name) ? env[name]?.trim() : undefined)
  const cluster = read("CAPILLARY_CLUSTER")
  const baseUrl = read("CAPILLARY_BASE_URL")
  if (cluster === undefined && baseUrl === undefined) {
    // Let the core say which variables are missing, in its words.
    const parsed = CapillaryConfig.fromEnv((name) => env[name])
    if (Result.isFailure(parsed)) throw parsed.failure
    return parsed.success.baseUrl
  }
  const resolved = Cluster.resolve({ cluster, baseUrl })
  if (Result.isFailure(resolved)) throw CapillaryConfig.blameEnv(resolved.failure)
  return resolved.success
}

export interface ConnectOptions {
  /** Use the embedded simulator even if the environment has credentials. */
  readonly forceSimulator?: boolean
  /** Where to say which target is used (stderr). */
  readonly note: (line: string) => void
  readonly env?: Env
}

/** The simulator started when no credentials are configured: its sample client, a free port. */
export const embeddedSimulator = async (): Promise<Simulator> => {
  const { startSimulator } = await import("@capauth/testkit")
  return startSimulator({ port: 0 })
}

export const connect = async (options: ConnectOptions): Promise<Target> => {
  const env = options.env ?? process.env
  if (!options.forceSimulator && wantsCluster(env)) {
    const url = clusterUrl(env)
    // Check the whole environment before loading the HTTP stack: config errors come back at once.
    const config = CapillaryConfig.fromEnv((name) => env[name])
    if (Result.isFailure(config)) throw config.failure
    const { createCapillaryClient } = await import("@capauth/node")
    const cap = createCapillaryClient() // reads the same CAPILLARY_* variables from process.env
    return { cap, mode: "cluster", baseUrl: url.origin, close: () => cap.close() }
  }
  const [sim, { createCapillaryClient }, { SAMPLE_CLIENT }] = await Promise.all([
    embeddedSimulator(),
    import("@capauth/node"),
    import("@capauth/testkit")
  ])
  const why = options.forceSimulator ? "--simulator given" : "no CAPILLARY_* credentials in the environment"
  options.note(`${why}: using the embedded simulator at ${sim.url} (sample client "${SAMPLE_CLIENT.key}")`)
  try {
    const cap = createCapillaryClient({
      baseUrl: sim.url,
      credentials: { key: SAMPLE_CLIENT.key, secret: SAMPLE_CLIENT.secret }
    })
    return {
      cap,
      mode: "simulator",
      baseUrl: sim.url,
      close: async () => {
        await cap.close()
        await sim.close()
      }
    }
  } catch (error) {
    await sim.close()
    throw error
  }
}

/** Name the host in a transport failure: "failed to send" alone does not say where to. */
export const withTarget = <A>(target: Target, promise: Promise<A>): Promise<A> =>
  promise.catch((error: unknown) => {
    if (error instanceof TransportError && !error.message.includes(target.baseUrl)) {
      throw new TransportError({
        reason: error.reason,
        status: error.status,
        requestId: error.requestId,
        message: `${error.message} to ${target.baseUrl}`
      })
    }
    throw error
  })
