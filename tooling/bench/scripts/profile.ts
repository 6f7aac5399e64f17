/** Just the profile module: tsx --conditions=@capauth/source scripts/profile.ts [--smoke] */
import { spawnChild } from "../src/child.ts"
import { profile } from "../src/profile.ts"

const raw = await spawnChild("servers/raw.ts")
const section = await profile(`http://127.0.0.1:${(raw.ready as { port: number }).port}`, {
  smoke: process.argv.includes("--smoke")
})
console.log(section.markdown)
await raw.stop()
process.exit()
