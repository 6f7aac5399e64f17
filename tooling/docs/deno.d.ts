/**
 * A minimal ambient `Deno` for the docs build (TypeDoc and the JSDoc examples checker), which compile
 * `@capauth/deno` with `tsc` next to DOM-typed packages, and for the package's npm build
 * (`packages/deno/tsconfig.build.json`: `tsc` emits dist/ against core's built dist). Deno's own declarations
 * (`deno types`) redeclare the web globals and clash with lib.dom, so only what `packages/deno/src` and its examples
 * use is declared here, with Deno 2's signatures. `deno check` (the package's own typecheck) uses the real ones;
 * the emitted .d.ts only name these types (`Deno.Kv`, `Deno.KvKey`), which a Deno user's own Deno types supply.
 */
declare namespace Deno {
  /** `Deno.env`: reads need `--allow-env`. */
  export interface Env {
    get(key: string): string | undefined
    set(key: string, value: string): void
    delete(key: string): void
    has(key: string): boolean
    toObject(): { [key: string]: string }
  }
  export const env: Env

  /** Deno's error classes. */
  export namespace errors {
    class NotCapable extends Error {}
    class PermissionDenied extends Error {}
  }

  export type KvKeyPart = Uint8Array | string | number | bigint | boolean | symbol
  export type KvKey = ReadonlyArray<KvKeyPart>

  export interface KvEntry<T> {
    readonly key: KvKey
    readonly value: T
    readonly versionstamp: string
  }
  export type KvEntryMaybe<T> =
    | KvEntry<T>
    | { readonly key: KvKey; readonly value: null; readonly versionstamp: null }

  export interface AtomicCheck {
    readonly key: KvKey
    readonly versionstamp: string | null
  }
  export interface KvCommitResult {
    readonly ok: true
    readonly versionstamp: string
  }
  export interface KvCommitError {
    readonly ok: false
  }
  export interface AtomicOperation {
    check(...checks: Array<AtomicCheck>): this
    set(key: KvKey, value: unknown, options?: { expireIn?: number }): this
    delete(key: KvKey): this
    commit(): Promise<KvCommitResult | KvCommitError>
  }

  /** A Deno KV database (`--unstable-kv`). */
  export interface Kv {
    get<T = unknown>(key: KvKey): Promise<KvEntryMaybe<T>>
    set(key: KvKey, value: unknown, options?: { expireIn?: number }): Promise<KvCommitResult>
    delete(key: KvKey): Promise<void>
    atomic(): AtomicOperation
    close(): void
  }

  export function openKv(path?: string): Promise<Kv>

  /** A fetch client of its own (`fetch(url, { client })`), e.g. through a proxy. */
  export interface HttpClient {
    close(): void
  }
  export interface Proxy {
    readonly url: string
    readonly basicAuth?: { readonly username: string; readonly password: string }
  }
  export function createHttpClient(options: { readonly proxy?: Proxy }): HttpClient

  /** What `Deno.serve` hands a handler besides the request. */
  export interface ServeHandlerInfo {
    readonly remoteAddr: {
      readonly hostname: string
      readonly port: number
      readonly transport: "tcp" | "udp"
    }
    readonly completed: Promise<void>
  }
  export type ServeHandler = (request: Request, info: ServeHandlerInfo) => Response | Promise<Response>
  export interface ServeOptions {
    readonly port?: number
    readonly hostname?: string
    readonly signal?: AbortSignal
    readonly onListen?: (localAddr: { readonly hostname: string; readonly port: number }) => void
  }
  export interface HttpServer {
    readonly finished: Promise<void>
    shutdown(): Promise<void>
  }
  export function serve(handler: ServeHandler): HttpServer
  export function serve(options: ServeOptions, handler: ServeHandler): HttpServer
}
