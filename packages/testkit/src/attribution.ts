import { errorBody, type Family } from "./envelopes.ts"
import type { Registry } from "./registry.ts"
import { json, type SimReply } from "./reply.ts"
import { ATTRIBUTION_TYPES, type Attribution, type AttributionType } from "./types.ts"

const isType = (s: string): s is AttributionType => (ATTRIBUTION_TYPES as readonly string[]).includes(s)

const bad = (family: Family, message: string): SimReply => json(400, errorBody(family, 400, message))

/**
 * Resolves who a call is attributed to, from `X-CAP-API-ATTRIBUTION-ENTITY-TYPE` / `-ENTITY-CODE` (default
 * `TILL` and `defaultTill`), the legacy `X-CAP-API-ATTRIBUTION-TILL-CODE` / `-TILL` (a till code), and for
 * v2 Basic calls the `X-CAP-API-ATTRIBUTION-LOOKUP-TYPE` + `-LOOKUP` pair (both or neither).
 */
export const resolveAttribution = (
  registry: Registry,
  headers: Readonly<Record<string, string>>,
  family: Family,
  defaultTill: string,
  basic: boolean
): Attribution | SimReply => {
  const lookupType = headers["x-cap-api-attribution-lookup-type"]
  const lookup = headers["x-cap-api-attribution-lookup"]
  if (basic && family === "v2" && (lookupType !== undefined || lookup !== undefined)) {
    if (lookupType === undefined || lookup === undefined) {
      return bad(family, "X-CAP-API-ATTRIBUTION-LOOKUP-TYPE and X-CAP-API-ATTRIBUTION-LOOKUP go together")
    }
    const type = lookupType.trim().toUpperCase()
    if (!isType(type)) return bad(family, `Invalid attribution lookup type: ${lookupType}`)
    if (!registry.hasEntity(type, lookup)) return bad(family, `Unknown attribution entity ${type} ${lookup}`)
    return { type, code: lookup }
  }

  const rawType = headers["x-cap-api-attribution-entity-type"]
  const legacyTill = headers["x-cap-api-attribution-till-code"] ?? headers["x-cap-api-attribution-till"]
  const type = rawType === undefined ? "TILL" : rawType.trim().toUpperCase()
  if (!isType(type)) return bad(family, `Invalid attribution entity type: ${rawType}`)
  const code =
    headers["x-cap-api-attribution-entity-code"] ??
    (type === "TILL" ? (legacyTill ?? defaultTill) : undefined)
  if (code === undefined) {
    return bad(family, `X-CAP-API-ATTRIBUTION-ENTITY-CODE is required for entity type ${type}`)
  }
  if (!registry.hasEntity(type, code)) return bad(family, `Unknown attribution entity ${type} ${code}`)
  return { type, code }
}
