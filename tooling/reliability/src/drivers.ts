/**
 * The two ways a caller writes through capauth, behind one shape: the Promise facade (`createCapillaryClient`
 * of @capauth/node or @capauth/deno, given as `create`) and the Effect client (`CapillaryClient.layer` over a
 * runtime's `HttpClient` layer). Both report every API request to the expiry witness on its way out.
 */
import { CapillaryClient, CapillaryConfig, TokenManager } from "@capauth/core"
import type { CapillaryPromiseClient } from "@capauth/core/PromiseClient"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as References from "effect/References"
import * as Stream from "effect/Stream"
import { type Outcome, outcomeOfError } from "./outcome.ts"
import { type ExpiryWitness, witnessFetch, witnessHttpClient } from "./witness.ts"

const WRITE_PATH = "/v1.1/customer/add?format=json"

/** The body of write `id`: the simulator records it, so accepted writes can be counted by id. */
const writeBody = (id: string) => ({ root: { customer: [{ external_id: id, firstname: "Chaos" }] } })

/** The write id a recorded body carries. */
export const writeIdOf = (body: unknown): string | undefined => {
  const id = (body as { root?: { customer?: Array<{ external_id?: unknown }> } } | null)?.root?.customer?.[0]
    ?.external_id
  return typeof id === "string" ? id : undefined
}

const judge = (status: number, json: unknown): Outcome =>
  status === 200 &&
  (json as { response?: { status?: { success?: unknown } } })?.response?.status?.success === true
    ? { kind: "accepted" }
    : { kind: "status", status }

export interface Driver {
  readonly label: string
  write(id: string): Promise<Outcome>
  /** Things whose `inspect()` / `JSON.stringify` the redaction scan looks at. */
  readonly inspectables: ReadonlyArray<unknown>
  close(): Promise<void>
}

interface DriverContext {
  readonly baseUrl: string
  readonly credentials: { readonly key: string; readonly secret: string }
  readonly witness: ExpiryWitness
  /** Extra client options (e.g. a token store, a token timeout). */
  readonly options?: Partial<CapillaryConfig.Input>
  /** Every error a caller got (the redaction scan renders them). */
  readonly onError?: (error: unknown) => void
  /** The runtime already reports every request to the witness (Node: undici's diagnostics channels). */
  readonly witnessed?: boolean
  /** Every lifecycle event (the redaction scan renders them). */
  readonly onEvent?: (event: unknown) => void
}

export type MakeDriver = (ctx: DriverContext) => Driver

/** The Promise facade. `globalThis.fetch` is wrapped only while the client is built (it binds fetch then). */
export const promiseDriver =
  (create: (options: CapillaryConfig.Input) => CapillaryPromiseClient, label = "promise"): MakeDriver =>
  (ctx) => {
    const original = globalThis.fetch
    if (ctx.witnessed !== true) globalThis.fetch = witnessFetch(ctx.witness, original)
    let cap: CapillaryPromiseClient
    try {
      cap = create({ baseUrl: ctx.baseUrl, credentials: ctx.credentials, ...ctx.options })
    } finally {
      globalThis.fetch = original
    }
    if (ctx.onEvent !== undefined) cap.onEvent(ctx.onEvent)
    return {
      label,
      inspectables: [cap],
      write: async (id) => {
        try {
          const res = await cap.fetch(WRITE_PATH, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(writeBody(id))
          })
          const text = await res.text()
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch {
            json = undefined
          }
          return judge(res.status, json)
        } catch (error) {
          ctx.onError?.(error)
          return outcomeOfError(error)
        }
      },
      close: () => cap.close()
    }
  }

/** The outcome of an Effect exit: one typed failure, or a defect / interruption (untyped). */
export const outcomeOfExit = <A>(exit: Exit.Exit<A, unknown>, ok: (a: A) => Outcome): Outcome => {
  if (Exit.isSuccess(exit)) return ok(exit.value)
  const reasons = exit.cause.reasons
  const fail = reasons.find(Cause.isFailReason)
  if (fail !== undefined && reasons.every(Cause.isFailReason)) return outcomeOfError(fail.error)
  const die = reasons.find(Cause.isDieReason)
  if (die === undefined) return { kind: "untyped", name: "Interrupt", message: Cause.pretty(exit.cause) }
  const d = die.defect as { name?: unknown; message?: unknown } | null
  return { kind: "untyped", name: `Defect(${String(d?.name ?? typeof d)})`, message: String(d?.message ?? d) }
}

export interface EffectDriverOptions {
  /** Every log line at debug level goes here (the redaction scan). */
  readonly onLogLine?: (line: string) => void
}

/** The Effect client over `httpLayer` (NodeHttpClient on Node, FetchHttpClient on Deno). */
export const effectDriver =
  (
    httpLayer: Layer.Layer<HttpClient.HttpClient>,
    driverOptions: EffectDriverOptions = {},
    label = "effect"
  ): MakeDriver =>
  (ctx) => {
    const witnessed = Layer.effect(
      HttpClient.HttpClient,
      Effect.gen(function* () {
        return witnessHttpClient(ctx.witness, yield* HttpClient.HttpClient)
      })
    ).pipe(Layer.provide(httpLayer))
    const base = CapillaryClient.layer.pipe(
      Layer.provide(
        CapillaryConfig.layer({ baseUrl: ctx.baseUrl, credentials: ctx.credentials, ...ctx.options })
      ),
      Layer.provide(ctx.witnessed === true ? httpLayer : witnessed)
    )
    const onLine = driverOptions.onLogLine
    const live =
      onLine === undefined
        ? base
        : // Provided under the client too, so the fibers it forks while being built log there as well.
          base.pipe(
            Layer.provideMerge(
              Layer.mergeAll(
                Logger.layer([Logger.map(Logger.formatLogFmt, (line) => onLine(line))]),
                Layer.succeed(References.MinimumLogLevel, "Debug")
              )
            )
          )
    const runtime = ManagedRuntime.make(live)
    // One line of our own through the same runtime: proof that the capture sees what the client would log.
    if (onLine !== undefined) runtime.runFork(Effect.logDebug("reliability: log capture on"))
    const onEvent = ctx.onEvent
    if (onEvent !== undefined)
      runtime.runFork(
        Effect.gen(function* () {
          const tokens = yield* TokenManager.TokenManager
          yield* Stream.runForEach(tokens.events, (event) => Effect.sync(() => onEvent(event)))
        })
      )
    const inspectables: Array<unknown> = []
    const write = (id: string) =>
      Effect.gen(function* () {
        const client = yield* CapillaryClient.CapillaryClient
        if (inspectables.length === 0) inspectables.push(client)
        const res = yield* client.execute(
          HttpClientRequest.post(WRITE_PATH).pipe(HttpClientRequest.bodyJsonUnsafe(writeBody(id)))
        )
        const json = yield* Effect.orElseSucceed(res.json, () => undefined)
        return [res.status, json] as const
      })
    return {
      label,
      inspectables,
      write: (id) =>
        runtime.runPromiseExit(write(id)).then((exit) => {
          if (Exit.isFailure(exit)) ctx.onError?.(Cause.squash(exit.cause))
          return outcomeOfExit(exit, ([status, json]) => judge(status, json))
        }, outcomeOfError),
      close: () => runtime.dispose()
    }
  }
