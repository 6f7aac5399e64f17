/**
 * Serve some members of an object from elsewhere without a copy: the object's prototype is swapped for one that
 * puts `overrides` over its own (made once per class and per set of overrides), so everything else, its own
 * fields included, is the object's as before. Defining the overrides on each object instead cost several
 * microseconds a response: V8 turns an object given accessors one by one into a dictionary.
 */
const overlays = new WeakMap<PropertyDescriptorMap, WeakMap<object, object>>()

/** `target`, its prototype now `overrides` over the one it had. The overrides read their data from `target`. */
export const overlay = <T extends object>(target: T, overrides: PropertyDescriptorMap): T => {
  let byPrototype = overlays.get(overrides)
  if (byPrototype === undefined) {
    byPrototype = new WeakMap()
    overlays.set(overrides, byPrototype)
  }
  const own = Object.getPrototypeOf(target) as object
  let prototype = byPrototype.get(own)
  if (prototype === undefined) {
    prototype = Object.create(own, overrides) as object
    byPrototype.set(own, prototype)
  }
  return Object.setPrototypeOf(target, prototype) as T
}
