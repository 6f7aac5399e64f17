/** 5. Heap growth over many requests and token rotations (see memory-child.ts for the method). */
import { spawnChild } from "./child.ts"
import type { Section, Settings } from "./report.ts"
import { table } from "./stats.ts"

interface Series {
  readonly count: number
  readonly seconds: number
  readonly slopeBytes: number
  readonly deltaBytes: number
  readonly firstMb: number
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(3)} MB`

export const memory = async (base: string, settings: Settings): Promise<Section> => {
  const requests = settings.smoke ? 1000 : 400_000
  const rotations = settings.smoke ? 10 : 10_000
  const child = await spawnChild(
    "memory-child.ts",
    [base, String(requests), String(rotations)],
    ["--expose-gc"]
  )
  const {
    requests: r,
    rotations: t,
    fetched
  } = child.ready as { requests: Series; rotations: Series; fetched: number }
  await child.stop()
  const perMillion = r.slopeBytes * 1_000_000
  const per10k = t.slopeBytes * 10_000
  const md = [
    `The facade in a child process run with \`--expose-gc\`, against the raw server. After a warm-up of a quarter of each run (V8's own code and inline caches grow for the first few thousand calls, then level off), the requests run in ${20} chunks (32 concurrent) and the rotations in 10 chunks (one at a time: \`invalidate\` the current token, then a request, which fetches a new one); after each chunk two full GCs, then \`heapUsed\`. Growth is the least-squares slope of those samples, scaled to 1M requests and to 10k rotations (a slope says whether the heap keeps growing; one delta can be a GC artefact), with the plain last-minus-first difference beside it.${settings.smoke ? "" : ` 1M requests would take most of the 10-minute budget on this shared 2-core machine, so ${requests.toLocaleString("en")} are run and the slope is scaled to 1M; the 10k rotations are run in full.`}`,
    "",
    table(
      ["series", "run", "time", "heap after GC at start", "slope scaled", "last - first"],
      [
        [
          "requests",
          `${r.count}`,
          `${r.seconds.toFixed(1)} s`,
          `${r.firstMb.toFixed(1)} MB`,
          `${mb(perMillion)} per 1M requests`,
          mb(r.deltaBytes)
        ],
        [
          "token rotations",
          `${t.count} (${fetched} tokens fetched in all)`,
          `${t.seconds.toFixed(1)} s`,
          `${t.firstMb.toFixed(1)} MB`,
          `${mb(per10k)} per 10k rotations`,
          mb(t.deltaBytes)
        ]
      ]
    )
  ].join("\n")
  return {
    title: "5. Memory",
    markdown: md,
    headlines: [
      {
        figure: "heap growth per 1M requests (slope after GC)",
        value: mb(perMillion),
        goal: "< 1 MB",
        met: perMillion < 2 ** 20
      },
      {
        figure: "heap growth per 10k token rotations (slope after GC)",
        value: mb(per10k),
        goal: "< 1 MB",
        met: per10k < 2 ** 20
      }
    ]
  }
}
