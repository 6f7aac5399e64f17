import type { RouteContext } from "./context.ts"
import type { Customer } from "./customer-store.ts"
import { errorBody, type Family, V11_SUCCESS } from "./envelopes.ts"
import { json, type SimReply } from "./reply.ts"
import type { AccessLevel } from "./types.ts"

/** A simulated API endpoint. */
export interface Route {
  readonly method: "GET" | "POST"
  readonly pattern: RegExp
  readonly family: Family
  readonly resource: string
  readonly needed: AccessLevel
  /** POST routes whose body must be JSON. */
  readonly jsonBody: boolean
  readonly handle: (ctx: RouteContext) => SimReply
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined)

/** `value[key]` when `value` is an object, else undefined: request bodies are untrusted JSON. */
const at = (value: unknown, key: string | number): unknown =>
  typeof value === "object" && value !== null ? (value as Record<string | number, unknown>)[key] : undefined

// v1.1 answers an unknown customer inside a success-shaped HTTP 200 with body code 500 and item code 1012.
const v11NotFound = (): SimReply =>
  json(200, {
    response: {
      status: { success: false, code: 500, message: "All requests have failed due to errors" },
      customers: {
        customer: [{ item_status: { success: false, code: 1012, message: "Customer not found" } }]
      }
    }
  })

const v11Customer = (c: Customer, itemMessage: string) => ({
  user_id: c.id,
  mobile: c.mobile ?? "",
  email: c.email ?? "",
  firstname: c.firstname ?? "",
  lastname: c.lastname ?? "",
  item_status: { success: true, code: 1000, message: itemMessage }
})

const v2Customer = (c: Customer) => ({
  id: c.id,
  profiles: [
    {
      firstName: c.firstname ?? "",
      lastName: c.lastname ?? "",
      identifiers: [
        ...(c.mobile ? [{ type: "mobile", value: c.mobile }] : []),
        ...(c.email ? [{ type: "email", value: c.email }] : [])
      ]
    }
  ],
  warnings: []
})

/** Fields of a v2 profile, read leniently. */
const fromV2Profile = (profile: unknown): Omit<Customer, "id"> => {
  const identifiers = at(profile, "identifiers")
  const ids: ReadonlyArray<unknown> = Array.isArray(identifiers) ? identifiers : []
  const ident = (t: string) =>
    str(
      at(
        ids.find((i) => at(i, "type") === t),
        "value"
      )
    )
  const out: { -readonly [K in keyof Customer]?: Customer[K] } = {}
  const mobile = ident("mobile")
  const email = ident("email")
  if (mobile) out.mobile = mobile
  if (email) out.email = email
  const firstname = str(at(profile, "firstName"))
  const lastname = str(at(profile, "lastName"))
  if (firstname) out.firstname = firstname
  if (lastname) out.lastname = lastname
  return out
}

/** The simulated Capillary APIs. All act on the access-group resource `customer`. */
export const ROUTES: readonly Route[] = [
  {
    method: "POST",
    pattern: /^\/v1\.1\/customer\/add$/,
    family: "v1.1",
    resource: "customer",
    needed: "write",
    jsonBody: true,
    handle: (ctx) => {
      const raw = at(at(ctx.body, "root"), "customer")
      const list: ReadonlyArray<unknown> = Array.isArray(raw)
        ? raw
        : raw && typeof raw === "object"
          ? [raw]
          : []
      if (
        list.length === 0 ||
        !list.every((c) => str(at(c, "mobile")) ?? str(at(c, "email")) ?? str(at(c, "external_id")))
      ) {
        return json(400, errorBody("v1.1", 400, "root.customer needs mobile, email or external_id"))
      }
      const writeId = ctx.core.recordWrite(ctx)
      const added = list.map((c) => {
        const fields: { -readonly [K in keyof Customer]?: Customer[K] } = {}
        for (const k of ["mobile", "email", "firstname", "lastname"] as const) {
          const value = str(at(c, k))
          if (value) fields[k] = value
        }
        return v11Customer(ctx.core.customers.upsert(fields), "Customer successfully added")
      })
      return json(200, { response: { status: V11_SUCCESS, customers: { customer: added }, writeId } })
    }
  },
  {
    method: "GET",
    pattern: /^\/v1\.1\/customer\/get$/,
    family: "v1.1",
    resource: "customer",
    needed: "read",
    jsonBody: false,
    handle: (ctx) => {
      const mobile = ctx.query.get("mobile")
      const id = ctx.query.get("id")
      const c =
        mobile !== null
          ? ctx.core.customers.byMobileNumber(mobile)
          : id !== null
            ? ctx.core.customers.get(Number(id))
            : undefined
      if (mobile === null && id === null) return json(400, errorBody("v1.1", 400, "mobile or id is required"))
      if (c === undefined) return v11NotFound()
      const customer = v11Customer(c, "Customer successfully retrieved")
      return json(200, { response: { status: V11_SUCCESS, customers: { customer: [customer] } } })
    }
  },
  {
    method: "POST",
    pattern: /^\/v2\/customers$/,
    family: "v2",
    resource: "customer",
    needed: "write",
    jsonBody: true,
    handle: (ctx) => {
      const profile = at(at(ctx.body, "profiles"), 0)
      if (typeof profile !== "object" || profile === null) {
        return json(400, errorBody("v2", 400, "profiles[0] is required"))
      }
      const writeId = ctx.core.recordWrite(ctx)
      const c = ctx.core.customers.upsert(fromV2Profile(profile))
      return json(200, { createdId: c.id, writeId, warnings: [] })
    }
  },
  {
    method: "GET",
    pattern: /^\/v2\/customers\/(\d+)$/,
    family: "v2",
    resource: "customer",
    needed: "read",
    jsonBody: false,
    handle: (ctx) => {
      const c = ctx.core.customers.get(Number(ctx.params[0]))
      return c ? json(200, v2Customer(c)) : json(404, errorBody("v2", 8015, "Customer not found"))
    }
  },
  {
    method: "GET",
    pattern: /^\/v3\/customers\/(\d+)$/,
    family: "v3",
    resource: "customer",
    needed: "read",
    jsonBody: false,
    handle: (ctx) => {
      const c = ctx.core.customers.get(Number(ctx.params[0]))
      return c
        ? json(200, { data: { ...c, attribution: ctx.attribution }, errors: null })
        : json(404, errorBody("v3", 404, "Customer not found"))
    }
  }
]
