/**
 * @capauth/redis — a fleet token store on Redis: one token request per token lifetime across every process.
 *
 * @example
 * ```ts
 * import { createCapillaryClient } from "@capauth/node"
 * import { redisTokenStore } from "@capauth/redis"
 *
 * const tokenStore = redisTokenStore({ url: "redis://127.0.0.1:6379" })
 * const cap = createCapillaryClient({ tokenStore })
 * ```
 * @module
 * @since 0.1.0
 */
export * as RedisTokenStore from "./RedisTokenStore.ts"
export { redisTokenStore } from "./RedisTokenStore.ts"
