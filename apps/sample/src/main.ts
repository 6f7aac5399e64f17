/**
 * Entry of the capauth sample app and team CLI. Run it with `tsx apps/sample/src/main.ts [command]`,
 * `pnpm --filter @capauth/sample demo`, or the `capauth-sample` bin (a JS launcher that registers tsx).
 */
import { run } from "./cli.ts"
import { processIo } from "./Io.ts"

// Set the code and let the process end by itself once everything is closed (no process.exit: output flushes).
process.exitCode = await run(process.argv.slice(2), processIo())
