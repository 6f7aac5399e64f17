/**
 * Capillary's response envelopes. Each API generation wraps errors differently, and the simulator must
 * answer in the shape a real call to that path would get.
 */

/** The API generation a path belongs to; it decides the envelope. */
export type Family = "v1.1" | "v2" | "v3"

/** `/v1.1/...` -> v1.1, `/v2/...` -> v2, anything else (v3, token, unknown) -> v3. */
export const familyOf = (path: string): Family =>
  path.startsWith("/v1.1/") ? "v1.1" : path.startsWith("/v2/") ? "v2" : "v3"

/** A code as it goes in a body: a number, a string (v1.1 sometimes), or absent. */
export type BodyCode = number | string | undefined

/** The error body of `family` carrying `code` (omitted when undefined) and `message`. */
export const errorBody = (family: Family, code: BodyCode, message: string): unknown => {
  const withCode = <T extends object>(o: T) => (code === undefined ? o : { ...o, code })
  switch (family) {
    case "v1.1":
      return { response: { status: withCode({ success: false, message }) } }
    case "v2":
      return { errors: [withCode({ status: false, message })], warnings: [] }
    case "v3":
      return { data: null, errors: [withCode({ message })] }
  }
}

/** The v1.1 success status block. */
export const V11_SUCCESS = { success: true, code: 200, message: "SUCCESS" } as const
