// autocannon in its own process (bundled with autocannon itself as dist/daemon/autocannon.js), so it
// never shares an event loop with the session that measures: it needs a whole core at high rates.
// Input: MOONSCOPE_LOAD (JSON LoadOptions). Output: one line "MOONSCOPE_AUTOCANNON {result}", and
// with settleMs, first the CONNECTED_MARK line.
import { CONNECTED_MARK, REPORT_MARK, wholeSecondSettle, type LoadOptions } from "./types";

/** The part of autocannon's API this calls (it ships no types). */
type Autocannon = (opts: Record<string, unknown>, done: (err: unknown, result: unknown) => void) => { stop(): void };
/** The part of autocannon's per-connection client that settling changes (lib/httpClient.js, autocannon 8). */
interface Client {
  _doRequest(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require("autocannon") as Autocannon;

/**
 * A setupClient hook that holds each connection's first request until releaseAt. autocannon has no
 * option for it: a client sends its first request as soon as it starts connecting, so the hook
 * wraps that one call. Its latency clock starts when the request is queued, after the wait.
 */
function holdFirstRequest(releaseAt: number): (client: Client) => void {
  return (client) => {
    const send = client._doRequest;
    client._doRequest = function (this: Client) {
      client._doRequest = send;
      setTimeout(() => send.call(client), Math.max(0, releaseAt - performance.now()));
    };
  };
}

function main(): void {
  const o = JSON.parse(process.env.MOONSCOPE_LOAD ?? "{}") as LoadOptions;
  const settleMs = wholeSecondSettle(o);
  const settle = settleMs > 0 ? { setupClient: holdFirstRequest(performance.now() + settleMs) } : {};
  const inst = autocannon(
    { url: o.url, method: o.method || "GET", body: o.body, headers: o.headers, connections: o.connections, duration: (settleMs + o.durationMs) / 1000, timeout: 10, pipelining: 1, ...settle },
    (err, r) => {
      if (err) {
        process.stderr.write(String((err as Error)?.message ?? err) + "\n");
        process.exit(1);
      }
      process.stdout.write(REPORT_MARK.autocannon + JSON.stringify(r) + "\n");
      process.exit(0);
    },
  );
  if (settleMs > 0) process.stdout.write(`${CONNECTED_MARK}${JSON.stringify({ releaseInMs: settleMs })}\n`);
  process.on("SIGINT", () => inst.stop());
}

if (require.main === module) main();
