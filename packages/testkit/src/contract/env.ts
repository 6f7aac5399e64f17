/**
 * A test's own environment: it sets exactly the variables a suite cares about (the rest of that set unset) and
 * puts back what was there when the test ends, so a developer's own settings never leak into a scenario.
 */

/** The environment as a runner hands it to a suite (`ContractEnv` of the client contract). */
interface Env {
  get(name: string): string | undefined
  set(name: string, value: string | undefined): void
}

/** Overrides `names` in `env` for one test: `set` as often as needed, `restore` once at the end. */
export const envOverride = <Name extends string>(env: Env, names: ReadonlyArray<Name>) => {
  const saved = new Map<Name, string | undefined>()
  return {
    /** Sets exactly `vars` among `names` (the others unset), remembering the first value of each. */
    set: (vars: Partial<Record<Name, string>>) => {
      for (const name of names) {
        if (!saved.has(name)) saved.set(name, env.get(name))
        env.set(name, vars[name])
      }
    },
    /** Puts back every variable `set` touched. */
    restore: () => {
      for (const [name, value] of saved) env.set(name, value)
      saved.clear()
    }
  }
}
