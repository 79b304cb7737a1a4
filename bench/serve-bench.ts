// Throughput and latency of (a) raw node:cluster + node:http, (b) moonscope serve on the hello
// example, (c) the same with --no-stages, (d) without the watchdog, (e) with --metrics scraped every
// second, measured alternately in one run with one load generator.
// Only ratios within one run mean anything: the load generator shares the 2 cores with the server.
import path from "node:path";
import { chooseGenerator, runLoad, runMeasuredLoad, type LoadGeneratorName, type LoadResult } from "../daemon/load";
import { ROOT, startTarget, type Target } from "./targets";
import { median } from "../profile/median";

export interface ServeBenchOptions {
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  connections: number;
  workers: number;
  load?: LoadGeneratorName;
}

const LISTENING = /at http:\/\/127\.0\.0\.1:(\d+)/;

/** A target; scrapePath: fetched once a second during the measured load, as a Prometheus with scrape_interval 1s would. */
type ServeTarget = Target & { scrapePath?: string };

function targets(workers: number): ServeTarget[] {
  const serve = ["node", path.join(ROOT, "bin", "moonscope.js"), "serve", "examples/hello/app.lua", "--port", "0", "--workers", String(workers)];
  return [
    { name: "raw", label: "(a) raw node:cluster + node:http", command: ["node", "bench/raw-server.js"], portPattern: /listening (\d+)/ },
    { name: "moonscope", label: "(b) moonscope serve (stages on)", command: serve, portPattern: LISTENING },
    { name: "no-stages", label: "(c) moonscope serve --no-stages", command: [...serve, "--no-stages"], portPattern: LISTENING },
    // The runaway-handler watchdog's cost when nothing runs away (two atomic stores per request).
    { name: "no-watchdog", label: "(d) moonscope serve --handler-timeout 0", command: [...serve, "--handler-timeout", "0"], portPattern: LISTENING },
    // Prometheus metrics: nothing on the request path, a scrape a second merged by the master (issue 20: e/b >= 0.97).
    { name: "metrics", label: "(e) moonscope serve --metrics, scraped every 1 s", command: [...serve, "--metrics"], portPattern: LISTENING, scrapePath: "/metrics" },
  ];
}

async function measure(t: ServeTarget, o: ServeBenchOptions, generator: LoadGeneratorName): Promise<LoadResult> {
  process.env.WORKERS = String(o.workers);
  const s = await startTarget(t, 0);
  let scraper: NodeJS.Timeout | undefined;
  try {
    const url = `http://127.0.0.1:${s.port}/hello`;
    await runLoad(generator, { url, connections: o.connections, durationMs: o.warmupSeconds * 1000 });
    if (t.scrapePath) {
      const scrapeUrl = `http://127.0.0.1:${s.port}${t.scrapePath}`;
      scraper = setInterval(() => {
        fetch(scrapeUrl)
          .then(async (r) => {
            await r.text();
            if (!r.ok) console.warn(`  scrape answered ${r.status}`);
          })
          .catch((e: Error) => console.warn(`  scrape failed: ${e.message}`));
      }, 1000);
    }
    return (await runMeasuredLoad(generator, { url, connections: o.connections, durationMs: o.seconds * 1000 })).load;
  } finally {
    clearInterval(scraper);
    await s.stop();
  }
}


export async function serveBench(o: ServeBenchOptions): Promise<Record<string, unknown>> {
  const generator = chooseGenerator(o.load);
  const TARGETS = targets(o.workers);
  console.log(`serve bench: ${o.rounds} rounds x ${TARGETS.length} targets, ${o.seconds}s each after ${o.warmupSeconds}s warm-up, ${o.connections} connections, ${o.workers} workers, load: ${generator}`);
  const results = new Map<string, LoadResult[]>(TARGETS.map((t) => [t.name, []]));
  for (let r = 0; r < o.rounds; r++) {
    // Rotate the order each round so drift (thermal, other load) does not favour one target.
    const order = TARGETS.map((_, i) => TARGETS[(i + r) % TARGETS.length]);
    for (const t of order) {
      const res = await measure(t, o, generator);
      results.get(t.name)!.push(res);
      console.log(`  round ${r + 1} ${t.name.padEnd(10)} ${res.rps.toFixed(0).padStart(7)} req/s  p50 ${res.latencyUs.p50} us  p99 ${res.latencyUs.p99} us  non2xx ${res.non2xx}  errors ${res.errors}  load-gen CPU ${res.cpuPercent.toFixed(0)}%`);
    }
  }
  const summary = TARGETS.map((t) => {
    const rs = results.get(t.name)!;
    return {
      target: t.name,
      label: t.label,
      rps: median(rs.map((x) => x.rps)),
      p50Us: median(rs.map((x) => x.latencyUs.p50)),
      p99Us: median(rs.map((x) => x.latencyUs.p99)),
      errors: rs.reduce((a, x) => a + x.errors + x.non2xx, 0),
      loadGenCpu: median(rs.map((x) => x.cpuPercent)),
    };
  });
  const [a, b, c, d, e] = summary;
  const ratios = { "b/a req/s": b.rps / a.rps, "b/a p99": b.p99Us / a.p99Us, "b/c req/s": b.rps / c.rps, "b/d req/s": b.rps / d.rps, "e/b req/s": e.rps / b.rps };
  console.log("\n| target | req/s (median) | p50 | p99 | errors |\n|---|---|---|---|---|");
  for (const s of summary) console.log(`| ${s.label} | ${s.rps.toFixed(0)} | ${(s.p50Us / 1000).toFixed(2)} ms | ${(s.p99Us / 1000).toFixed(2)} ms | ${s.errors} |`);
  console.log(`\nb/a req/s = ${ratios["b/a req/s"].toFixed(3)} (target >= 0.75)   b/a p99 = ${ratios["b/a p99"].toFixed(2)} (target <= 1.5)   b/c req/s = ${ratios["b/c req/s"].toFixed(3)} (target >= 0.97)   b/d req/s = ${ratios["b/d req/s"].toFixed(3)} (watchdog cost)   e/b req/s = ${ratios["e/b req/s"].toFixed(3)} (--metrics; target >= 0.97)`);
  return { serve: { generator, ...o, summary, ratios, raw: Object.fromEntries(results) } };
}
