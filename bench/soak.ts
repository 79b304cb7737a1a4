// `npm run soak [-- --seconds=60 --workers=2 --connections=50]`: the hello example at saturation for a
// bounded time. Samples RSS, Lua heap and open connections per worker every 5 s and reports how they
// trend (flat is the goal); two thirds of the way through, SIGKILLs one worker and reports how many
// requests failed before its replacement took over.
import { fork } from "node:child_process";
import path from "node:path";
import { chooseGenerator, runLoad } from "../daemon/load";
import type { FromMaster, StatsSnapshot, ToMaster } from "../server-core/ipc";
import { ROOT } from "./targets";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const seconds = Number(args.get("seconds") ?? 60);
const workers = Number(args.get("workers") ?? 2);
const connections = Number(args.get("connections") ?? 50);

function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den ? num / den : 0;
}

async function main(): Promise<void> {
  const child = fork(path.join(ROOT, "bin", "moonscope.js"), ["serve", "examples/hello/app.lua", "--port", "0", "--workers", String(workers)], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "ignore", "ignore", "ipc"],
  });
  const waiters: ((m: FromMaster) => void)[] = [];
  child.on("message", (m: FromMaster) => waiters.splice(0).forEach((w) => w(m)));
  const next = (pred: (m: FromMaster) => boolean) =>
    new Promise<FromMaster>((resolve) => {
      const listen = (m: FromMaster) => (pred(m) ? resolve(m) : waiters.push(listen));
      waiters.push(listen);
    });
  const ready = (await next((m) => m.type === "ready" || m.type === "start-error")) as Extract<FromMaster, { type: "ready" }>;
  let seq = 0;
  const stats = async (): Promise<StatsSnapshot> => {
    const id = ++seq;
    child.send({ type: "stats", id } satisfies ToMaster);
    return ((await next((m) => m.type === "stats" && m.id === id)) as Extract<FromMaster, { type: "stats" }>).snapshot;
  };
  const generator = chooseGenerator();
  console.log(`soak: ${seconds}s at saturation, ${workers} workers, ${connections} connections, ${generator}; a worker is killed at ${Math.round((seconds * 2) / 3)}s`);
  const t0 = performance.now();
  const load = runLoad(generator, { url: `http://127.0.0.1:${ready.port}/hello`, connections, durationMs: seconds * 1000 });
  const samples: { t: number; worker: number; pid: number; rss: number; lua: number; conns: number; requests: number }[] = [];
  let killed = false;
  let killedPid = 0;
  while (performance.now() - t0 < seconds * 1000 - 2500) {
    await new Promise((r) => setTimeout(r, 5000));
    const s = await stats();
    const t = (performance.now() - t0) / 1000;
    for (const w of s.workers) {
      samples.push({ t, worker: w.worker, pid: w.pid, rss: w.resources.rssBytes, lua: w.resources.luaHeapBytes, conns: w.resources.connections, requests: w.routes.reduce((a, r) => a + r.requests, 0) });
    }
    console.log(`  ${t.toFixed(0).padStart(3)}s  ` + s.workers.map((w) => `w${w.worker} RSS ${(w.resources.rssBytes / 1048576).toFixed(1)} MB, Lua ${(w.resources.luaHeapBytes / 1048576).toFixed(0)} MB, ${w.resources.connections} conns`).join("   "));
    if (!killed && t >= (seconds * 2) / 3) {
      killed = true;
      killedPid = s.workers[0].pid;
      process.kill(killedPid, "SIGKILL");
      console.log(`  killed worker ${s.workers[0].worker} (pid ${killedPid})`);
    }
  }
  const res = await load;
  const final = await stats();
  child.send({ type: "shutdown" } satisfies ToMaster);
  await new Promise((r) => child.once("exit", r));
  // Trend per worker process (a replaced worker starts a new series), MB per minute.
  console.log("\n| worker (pid) | samples | RSS first → last | RSS trend | connections first → last |\n|---|---|---|---|---|");
  const pids = [...new Set(samples.map((s) => s.pid))];
  for (const pid of pids) {
    const ss = samples.filter((s) => s.pid === pid);
    if (ss.length < 2) continue;
    const trend = slope(ss.map((s) => s.t), ss.map((s) => s.rss)) * 60 / 1048576;
    console.log(`| ${ss[0].worker} (${pid}) | ${ss.length} | ${(ss[0].rss / 1048576).toFixed(1)} → ${(ss[ss.length - 1].rss / 1048576).toFixed(1)} MB | ${trend >= 0 ? "+" : ""}${trend.toFixed(2)} MB/min | ${ss[0].conns} → ${ss[ss.length - 1].conns} |`);
  }
  console.log(`\n${res.requests} requests at ${res.rps.toFixed(0)} req/s; ${res.errors + res.non2xx} failed; worker restarts: ${final.restarts} (killed pid ${killedPid})`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
