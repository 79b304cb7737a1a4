// `npm run soak [-- --seconds=60 --workers=2 --connections=50]`: the hello example at saturation for a
// bounded time. Samples RSS, Lua heap and open connections per worker every 5 s and reports how they
// trend (flat is the goal); two thirds of the way through, SIGKILLs one worker and reports how many
// requests failed before its replacement took over.
// `npm run soak -- --stalled=10`: the same load mixed with clients that stop reading: every second,
// that many new connections pipeline 2000 requests for a 64 KB response each (128 MB of answers)
// and never read a byte (the server holds them back and drops each after --request-timeout, 10 s).
// No worker is killed: RSS must stay flat once the first stalled clients are dropped.
import { fork } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { chooseGenerator, runLoad } from "../daemon/load";
import type { FromMaster, StatsSnapshot, ToMaster } from "../server-core/ipc";
import { ROOT } from "./targets";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const seconds = Number(args.get("seconds") ?? 60);
const workers = Number(args.get("workers") ?? 2);
const connections = Number(args.get("connections") ?? 50);
const stalledPerSecond = Number(args.get("stalled") ?? 0);

/** Opens n connections that pipeline `requests` requests each and never read (kept in `open` until they close). */
function openStalled(port: number, n: number, requests: number, open: Set<net.Socket>): void {
  const bytes = "GET /big HTTP/1.1\r\nHost: soak\r\n\r\n".repeat(requests);
  for (let i = 0; i < n; i++) {
    const s = net.connect(port, "127.0.0.1", () => s.write(bytes));
    s.pause();
    s.on("error", () => {});
    s.on("close", () => open.delete(s));
    // The server drops them after its --request-timeout; the bench only bounds its own sockets.
    setTimeout(() => s.destroy(), 30_000).unref();
    open.add(s);
  }
}
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

/** The app for --stalled: examples/hello's route, and one with a 64 KB answer for the clients that stop reading. */
function stalledApp(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "moonscope-soak-")), "app.lua");
  writeFileSync(file, readFileSync(path.join(ROOT, "examples/hello/app.lua"), "utf8") + '\nlocal big = string.rep("x", 65536)\nfunction api.big.get(ctx) return api.text(big) end\n');
  return file;
}

async function main(): Promise<void> {
  const app = stalledPerSecond > 0 ? stalledApp() : "examples/hello/app.lua";
  const child = fork(path.join(ROOT, "bin", "moonscope.js"), ["serve", app, "--port", "0", "--workers", String(workers)], {
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
  const killing = stalledPerSecond === 0;
  console.log(
    `soak: ${seconds}s at saturation, ${workers} workers, ${connections} connections, ${generator}; ` +
      (killing ? `a worker is killed at ${Math.round((seconds * 2) / 3)}s` : `${stalledPerSecond} new clients a second that pipeline 2000 requests for 64 KB and never read`),
  );
  const stalled = new Set<net.Socket>();
  let stalledOpened = 0;
  const stalling = stalledPerSecond > 0
    ? setInterval(() => {
        openStalled(ready.port, stalledPerSecond, 2000, stalled);
        stalledOpened += stalledPerSecond;
      }, 1000)
    : undefined;
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
    console.log(`  ${t.toFixed(0).padStart(3)}s  ` + s.workers.map((w) => `w${w.worker} RSS ${(w.resources.rssBytes / 1048576).toFixed(1)} MB, Lua ${(w.resources.luaHeapBytes / 1048576).toFixed(0)} MB, ${w.resources.connections} conns`).join("   ") + (stalling ? `   (stalled clients so far: ${stalledOpened})` : ""));
    if (killing && !killed && t >= (seconds * 2) / 3) {
      killed = true;
      killedPid = s.workers[0].pid;
      process.kill(killedPid, "SIGKILL");
      console.log(`  killed worker ${s.workers[0].worker} (pid ${killedPid})`);
    }
  }
  const res = await load;
  clearInterval(stalling);
  for (const c of stalled) c.destroy();
  const final = await stats();
  child.send({ type: "shutdown" } satisfies ToMaster);
  await new Promise((r) => child.once("exit", r));
  // Trend per worker process (a replaced worker starts a new series), MB per minute.
  // With stalled clients the first ones are dropped after the server's --request-timeout (10 s): the
  // trend that says whether memory keeps growing is the one after that.
  const settledAt = stalling ? 15 : 0;
  console.log(`\n| worker (pid) | samples | RSS first → last (max) | RSS trend${settledAt ? ` (after ${settledAt} s)` : ""} | connections first → last |\n|---|---|---|---|---|`);
  const pids = [...new Set(samples.map((s) => s.pid))];
  const mb = (b: number) => (b / 1048576).toFixed(1);
  for (const pid of pids) {
    const ss = samples.filter((s) => s.pid === pid);
    const settled = ss.filter((s) => s.t >= settledAt);
    if (settled.length < 2) continue;
    const trend = slope(settled.map((s) => s.t), settled.map((s) => s.rss)) * 60 / 1048576;
    const max = Math.max(...ss.map((s) => s.rss));
    console.log(`| ${ss[0].worker} (${pid}) | ${ss.length} | ${mb(ss[0].rss)} → ${mb(ss[ss.length - 1].rss)} MB (${mb(max)}) | ${trend >= 0 ? "+" : ""}${trend.toFixed(2)} MB/min | ${ss[0].conns} → ${ss[ss.length - 1].conns} |`);
  }
  console.log(`\n${res.requests} requests at ${res.rps.toFixed(0)} req/s; ${res.errors + res.non2xx} failed; worker restarts: ${final.restarts}${killing ? ` (killed pid ${killedPid})` : ""}`);
  if (stalling) console.log(`${stalledOpened} clients pipelined 2000 requests each and read nothing`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
