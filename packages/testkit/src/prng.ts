/**
 * mulberry32: a tiny seeded PRNG. Fault probabilities draw from it so that the same seed and the same
 * request sequence give the same faults. Exported so suites driving the simulator draw from the same generator.
 *
 * @example
 * ```ts
 * import { mulberry32 } from "@capauth/testkit"
 *
 * const random = mulberry32(42)
 * const coin = random() < 0.5
 * ```
 * @since 0.1.0
 * @category utils
 */
export const mulberry32 = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
