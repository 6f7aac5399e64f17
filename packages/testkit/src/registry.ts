import { createHash } from "node:crypto"
import { DEFAULT_ENTITIES } from "./defaults.ts"
import type { AccessLevel, ApiClientSpec, AttributionType, EntitySpec, TillSpec } from "./types.ts"

/** An API client with every default filled in. */
export interface ResolvedClient {
  readonly key: string
  readonly secret: string
  readonly ttlSeconds: number
  readonly defaultTill: string
  readonly orgId: number
  readonly clientId: number
  enabled: boolean
  readonly accessGroup: Readonly<Record<string, AccessLevel>>
  readonly hasPsiAccess: boolean
}

/** Lowercase hex md5, as Capillary's Basic scheme uses. */
export const md5hex = (s: string): string => createHash("md5").update(s, "utf8").digest("hex")

// Capillary's default maximum is 60 min; it can be raised to 30 days on request.
const MAX_TTL_SECONDS = 43_200 * 60

/** Registered API clients, tills and attribution entities. */
export class Registry {
  readonly clients = new Map<string, ResolvedClient>()
  /** till id -> lowercase md5 of its password */
  readonly tills = new Map<string, string>()
  private readonly entities = new Map<AttributionType, Set<string>>()
  private nextClientId = 1

  constructor(extraEntities: readonly EntitySpec[]) {
    for (const e of [...DEFAULT_ENTITIES, ...extraEntities]) this.addEntity(e)
  }

  addClient(spec: ApiClientSpec): ResolvedClient {
    if (!spec.key || !spec.secret) throw new TypeError("an API client needs a non-empty key and secret")
    const ttl = spec.ttlSeconds ?? 3600
    if (!Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_TTL_SECONDS) {
      throw new RangeError(`ttlSeconds must be an integer in 1..${MAX_TTL_SECONDS}`)
    }
    const client: ResolvedClient = {
      key: spec.key,
      secret: spec.secret,
      ttlSeconds: ttl,
      defaultTill: spec.defaultTill ?? "store.till1",
      orgId: spec.orgId ?? 100,
      clientId: spec.clientId ?? this.nextClientId++,
      enabled: spec.enabled ?? true,
      accessGroup: { ...(spec.accessGroup ?? { customer: "write" }) },
      hasPsiAccess: spec.hasPsiAccess ?? false
    }
    this.clients.set(client.key, client)
    this.addEntity({ type: "TILL", code: client.defaultTill })
    return client
  }

  addTill(spec: TillSpec): void {
    const md5 =
      spec.passwordMd5?.toLowerCase() ?? (spec.password !== undefined ? md5hex(spec.password) : undefined)
    if (!spec.id || md5 === undefined) throw new TypeError("a till needs an id and a password or passwordMd5")
    this.tills.set(spec.id, md5)
    this.addEntity({ type: "TILL", code: spec.id })
  }

  addEntity(e: EntitySpec): void {
    const codes = this.entities.get(e.type) ?? new Set<string>()
    codes.add(e.code)
    this.entities.set(e.type, codes)
  }

  hasEntity(type: AttributionType, code: string): boolean {
    return this.entities.get(type)?.has(code) ?? false
  }
}

/** Whether `held` permits `needed` (`write` implies `read`). */
export const permits = (held: AccessLevel | undefined, needed: AccessLevel): boolean =>
  held === "write" || (held === "read" && needed === "read")
