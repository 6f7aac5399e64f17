import type { AuthEngineBrandSpec, AuthEngineUserSpec } from "./auth-engine-types.ts"
import type { CaptureClientSpec, CaptureUserSpec } from "./capture-types.ts"
import type { ApiClientSpec, EntitySpec, TillSpec } from "./types.ts"

/** Start of the manual clock when no `startTime` is given: 2024-01-01T00:00:00.000Z. */
export const DEFAULT_MANUAL_EPOCH = Date.UTC(2024, 0, 1)

/**
 * The API client registered when `clients` is not given. Printed by the CLI.
 *
 * @since 0.1.0
 * @category constants
 */
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

/**
 * The Basic-auth till registered when `tills` is not given: the vector from Capillary's docs.
 *
 * @since 0.1.0
 * @category constants
 */
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

/**
 * The Capture client registered when `capture.clients` is not given (feature `owner`). Printed by the CLI.
 *
 * @since 0.1.0
 * @category constants
 */
export const SAMPLE_CAPTURE_CLIENT: CaptureClientSpec = {
  clientId: "sample-capture-client",
  clientSecret: "sample-capture-secret",
  features: ["owner"],
  accessTokenTtlSeconds: 3600
}

/**
 * The Capture user registered when `capture.users` is not given: entity type `user`, id 1.
 *
 * @since 0.1.0
 * @category constants
 */
export const SAMPLE_CAPTURE_USER: CaptureUserSpec = {
  uuid: "5a1e0c1a-7c3f-4d2b-9f5e-0b8d6c4a2e10",
  id: 1,
  typeName: "user",
  attributes: { email: "sample.user@example.com", givenName: "Sample", familyName: "User" }
}

/**
 * The Auth Engine brand registered when `authEngine.brands` is not given: password login enabled (so tokens can
 * be regenerated), org id 100. Printed by the CLI.
 *
 * @since 0.1.0
 * @category constants
 */
export const SAMPLE_AUTH_ENGINE_BRAND: AuthEngineBrandSpec = {
  name: "SampleBrand",
  orgId: 100,
  passwordLogin: true
}

/**
 * The Auth Engine customer registered when `authEngine.users` is not given: id 1 of
 * {@link SAMPLE_AUTH_ENGINE_BRAND}, the same mobile as {@link SAMPLE_CUSTOMER}, with a password. Printed by the CLI.
 *
 * @since 0.1.0
 * @category constants
 */
export const SAMPLE_AUTH_ENGINE_USER: AuthEngineUserSpec = {
  id: 1,
  brand: "SampleBrand",
  mobile: "919876543210",
  email: "sample.customer@example.com",
  username: "sample.customer",
  password: "Sample@123",
  firstname: "Sample",
  lastname: "Customer"
}

/**
 * A device id for mobile-app calls (`deviceId` in bodies, `cap_device_id` at the gateway). Any non-empty string
 * works; this one is printed by the CLI.
 *
 * @since 0.1.0
 * @category constants
 */
export const SAMPLE_AUTH_ENGINE_DEVICE_ID = "sample-device-1"
