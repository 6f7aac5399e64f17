/** What each module hands back: a markdown section, and the headline figures against their goals. */
export interface Headline {
  readonly figure: string
  readonly value: string
  readonly goal: string
  /** Whether the goal holds; undefined when there is no goal to meet. */
  readonly met: boolean | undefined
  /** A count that does not depend on the machine's load (a correctness figure): `--smoke` fails when it is not met. */
  readonly hard?: boolean
}

export interface Section {
  readonly title: string
  readonly markdown: string
  readonly headlines: ReadonlyArray<Headline>
}

export interface Settings {
  readonly smoke: boolean
}
