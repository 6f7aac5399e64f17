import { md5hex } from "./registry.ts"

/**
 * The `Authorization` value for Capillary Basic auth: `Basic base64(tillId:md5hex(password))`. A test helper
 * written from the documented algorithm (not shared with any client).
 *
 * @example
 * basicAuthorization("store.server", "server123")
 * // "Basic c3RvcmUuc2VydmVyOjhhMTZhNmI3MDUwNWViMWYxZmY3Y2RjMGNkNTU1OWE3"
 * @since 0.1.0
 * @category utils
 */
export const basicAuthorization = (tillId: string, password: string): string =>
  `Basic ${btoa(`${tillId}:${md5hex(password)}`)}`
