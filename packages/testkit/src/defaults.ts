import type { ApiClientSpec, EntitySpec, TillSpec } from "./types.ts"

/** Start of the manual clock when no `startTime` is given: 2024-01-01T00:00:00.000Z. */
export const DEFAULT_MANUAL_EPOCH = Date.UTC(2024, 0, 1)

/** The API client registered when `clients` is not given. Printed by the CLI. */
export const SAMPLE_CLIENT: ApiClientSpec = {
  key: "sample-key",
  secret: "sample-secret",
  ttlSeconds: 3600,
  defaultTill: "store.till1",
  orgId: 100,
  clientId: 7,
  enabled: true,
  accessGroup: { customer: "write" }
}

/** The Basic-auth till registered when `tills` is not given: the vector from Capillary's docs. */
export const SAMPLE_TILL: TillSpec = { id: "store.server", password: "server123" }

/** Attribution entities known by default, besides every registered till and client default till. */
export const DEFAULT_ENTITIES: readonly EntitySpec[] = [
  { type: "TILL", code: "store.till1" },
  { type: "TILL", code: "store.till2" },
  { type: "TILL", code: "store.server" },
  { type: "STORE_CODE", code: "store1" },
  { type: "STORE_CODE", code: "store2" },
  { type: "STORE_NAME", code: "Store One" },
  { type: "STORE_EXTERNAL_ID", code: "ext-1" },
  { type: "STORE_EXTERNAL_ID_1", code: "ext1-1" },
  { type: "STORE_EXTERNAL_ID_2", code: "ext2-1" }
]
