// autocannon in its own process (bundled with autocannon itself as dist/daemon/autocannon.js), so it
// never shares an event loop with the session that measures: it needs a whole core at high rates.
// Input: MOONSCOPE_LOAD (JSON LoadOptions). Output: one line "MOONSCOPE_AUTOCANNON {result}".
import { REPORT_MARK, type LoadOptions } from "./types";

/** The part of autocannon's API this calls (it ships no types). */
type Autocannon = (opts: Record<string, unknown>, done: (err: unknown, result: unknown) => void) => { stop(): void };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require("autocannon") as Autocannon;

function main(): void {
  const o = JSON.parse(process.env.MOONSCOPE_LOAD ?? "{}") as LoadOptions;
  const inst = autocannon(
    { url: o.url, method: o.method || "GET", body: o.body, headers: o.headers, connections: o.connections, duration: o.durationMs / 1000, timeout: 10, pipelining: 1 },
    (err, r) => {
      if (err) {
        process.stderr.write(String((err as Error)?.message ?? err) + "\n");
        process.exit(1);
      }
      process.stdout.write(REPORT_MARK.autocannon + JSON.stringify(r) + "\n");
      process.exit(0);
    },
  );
  process.on("SIGINT", () => inst.stop());
}

if (require.main === module) main();
