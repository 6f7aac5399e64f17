/**
 * The client-side witness of "a token already known expired is never sent". It sits between the client and
 * the network (a wrapped `fetch` for the Promise facade, a wrapped `HttpClient` for the Effect client), sees
 * the token of every API request as it leaves and the status of every answer as it arrives.
 *
 * "Known": the client has held a 498 answer for that token for one macrotask turn (a `setTimeout(0)` after the
 * status line reached it) — time enough for any client to act on it. A send after that is a violation. The
 * witness neither delays nor changes a request.
 */
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"

const TOKEN_HEADER = "x-cap-api-oauth-token"

export class ExpiryWitness {
  private readonly known = new Set<string>()
  private readonly first498 = new Map<string, number>()
  /** API requests that carried a token. */
  sends = 0
  /** 498 answers received. */
  expiredAnswers = 0
  /** 401 answers received (revoked tokens). */
  rejectedAnswers = 0
  /** Requests sent with a token the client had known to be expired for at least one macrotask turn. */
  lateSends = 0
  /** For each late send, ms since the first 498 for its token reached the client. */
  readonly lateLagMillis: Array<number> = []
  /**
   * Sends with a token a 498 had already reached the client for, however shortly before (no grace turn): the
   * upper bound, including requests that raced the 498 inside one turn of the event loop.
   */
  sendsAfterAny498 = 0

  onSend(token: string | null | undefined): void {
    if (token === null || token === undefined || token === "") return
    this.sends++
    if (this.first498.has(token)) this.sendsAfterAny498++
    if (this.known.has(token)) {
      this.lateSends++
      this.lateLagMillis.push(performance.now() - (this.first498.get(token) ?? performance.now()))
    }
  }

  onAnswer(token: string | null | undefined, status: number): void {
    if (token === null || token === undefined || token === "") return
    if (status === 401) this.rejectedAnswers++
    if (status !== 498) return
    this.expiredAnswers++
    if (!this.first498.has(token)) this.first498.set(token, performance.now())
    setTimeout(() => this.known.add(token), 0)
  }
}

/** A `fetch` that reports to the witness and otherwise passes everything through untouched. */
export const witnessFetch =
  (witness: ExpiryWitness, inner: typeof globalThis.fetch): typeof globalThis.fetch =>
  async (input, init) => {
    const headers = new Headers(input instanceof Request ? input.headers : undefined)
    if (init?.headers !== undefined)
      new Headers(init.headers).forEach((v, k) => {
        headers.set(k, v)
      })
    const token = headers.get(TOKEN_HEADER)
    witness.onSend(token)
    const response = await inner(input, init)
    witness.onAnswer(token, response.status)
    return response
  }

/** An `HttpClient` that reports to the witness and otherwise passes everything through untouched. */
export const witnessHttpClient = (
  witness: ExpiryWitness,
  inner: HttpClient.HttpClient
): HttpClient.HttpClient =>
  HttpClient.transform(inner, (effect, request) =>
    Effect.suspend(() => {
      const token = request.headers[TOKEN_HEADER]
      witness.onSend(token)
      return Effect.tap(effect, (response) => Effect.sync(() => witness.onAnswer(token, response.status)))
    })
  )

/**
 * The simulator's side of the same question, for every expiry signal (HTTP 498 and the body codes, which the
 * client learns only once it reads the body): when the simulator answers "expired" for a token, it notes the
 * time; a later request with that token is counted with its lag. The simulator and the client share this
 * process's clock, but not its knowledge: a request may have left before the answer arrived, so this is a
 * figure, not a goal (the exact goal is the client-side witness above, for HTTP 498).
 */
export class ServerExpiryRecord {
  private readonly answered = new Map<string, number>()
  expiredAnswers = 0
  readonly lagsMillis: Array<number> = []

  /** Wraps the simulator core's `dispatch` (what its node:http server calls for every request). */
  attach(core: {
    dispatch: (req: {
      headers: Readonly<Record<string, string>>
    }) => Promise<{ kind: string; reply?: { status: number; body: string } }>
  }): void {
    const original = core.dispatch.bind(core)
    core.dispatch = async (req) => {
      const token = req.headers["x-cap-api-oauth-token"]
      const at = token === undefined ? undefined : this.answered.get(token)
      if (at !== undefined) this.lagsMillis.push(performance.now() - at)
      const outcome = await original(req)
      const reply = outcome.kind === "reply" ? outcome.reply : undefined
      if (token !== undefined && reply !== undefined && isExpiry(reply)) {
        this.expiredAnswers++
        if (!this.answered.has(token)) this.answered.set(token, performance.now())
      }
      return outcome
    }
  }
}

const isExpiry = (reply: { status: number; body: string }): boolean =>
  reply.status === 498 || (reply.status === 200 && /"code":"?498"?[,}]/.test(reply.body.slice(0, 512)))
