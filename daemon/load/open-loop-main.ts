// A fixed-rate (open-loop) HTTP/1.1 load generator with coordinated-omission correction, run as its
// own process (dist/daemon/open-loop.js) so it never shares an event loop with the measuring session.
//
// Why our own: autocannon's overallRate paces requests but measures each one from when it was sent,
// so a server that stalls makes the generator send less and the stall disappears from the
// percentiles (coordinated omission). Here every request has an intended start time on a fixed
// schedule; if no connection is free it waits in a queue, and its latency is measured from the
// intended time, so waiting caused by a slow server is counted, as wrk2 does.
//
// Input: MOONSCOPE_LOAD (JSON LoadOptions with rate). Output: one line "MOONSCOPE_OPENLOOP {json}".
import net from "node:net";
import { LogHistogram } from "../../profile/histogram";
import { CONNECTED_MARK, REPORT_MARK, type LoadOptions } from "./types";


interface Conn {
  socket: net.Socket;
  busy: boolean;
  intended: number;
  buf: Buffer;
  alive: boolean;
}

function main(): void {
  const o = JSON.parse(process.env.MOONSCOPE_LOAD ?? "{}") as LoadOptions;
  const rate = o.rate!;
  const u = new URL(o.url);
  const port = Number(u.port || 80);
  const host = u.hostname;
  const headers = { Host: `${host}:${port}`, ...(o.headers ?? {}) };
  let head = `${o.method ?? "GET"} ${u.pathname}${u.search} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  const body = o.body !== undefined ? Buffer.from(o.body) : null;
  if (body) head += `Content-Length: ${body.length}\r\n`;
  const request = Buffer.concat([Buffer.from(head + "\r\n", "latin1"), body ?? Buffer.alloc(0)]);

  const hist = new LogHistogram();
  let completed = 0;
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  const queue: number[] = []; // intended start times of requests waiting for a free connection
  const conns: Conn[] = [];
  // The schedule starts once the connections have settled (LoadOptions.settleMs).
  const settleMs = o.settleMs ?? 0;
  const start = performance.now() + settleMs;
  const end = start + o.durationMs;
  let stopping = false;

  const send = (c: Conn, intended: number) => {
    c.busy = true;
    c.intended = intended;
    sent++;
    c.socket.write(request);
  };
  const onFree = (c: Conn) => {
    c.busy = false;
    if (queue.length > 0 && !stopping) send(c, queue.shift()!);
  };
  const connect = (): Conn => {
    const c: Conn = { socket: net.connect(port, host), busy: false, intended: 0, buf: Buffer.alloc(0), alive: true };
    c.socket.setNoDelay(true);
    c.socket.on("data", (d: Buffer) => {
      c.buf = c.buf.length ? Buffer.concat([c.buf, d]) : d;
      // Responses are read with Content-Length framing (what Moonscope's server always sends).
      for (;;) {
        const headEnd = c.buf.indexOf("\r\n\r\n");
        if (headEnd < 0) return;
        const headText = c.buf.toString("latin1", 0, headEnd);
        const status = Number(headText.slice(9, 12));
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(headText);
        const len = m ? Number(m[1]) : 0;
        if (c.buf.length < headEnd + 4 + len) return;
        c.buf = c.buf.subarray(headEnd + 4 + len);
        const now = performance.now();
        if (status >= 100 && status < 200) continue;
        hist.record((now - c.intended) * 1e6);
        completed++;
        if (status < 200 || status >= 400) non2xx++;
        onFree(c);
      }
    });
    const fail = () => {
      if (!c.alive) return;
      c.alive = false;
      if (c.busy) errors++;
      const i = conns.indexOf(c);
      if (i >= 0) conns.splice(i, 1);
      if (!stopping) setTimeout(() => conns.push(connect()), 10).unref();
    };
    c.socket.on("error", fail);
    c.socket.on("close", fail);
    return c;
  };
  for (let i = 0; i < o.connections; i++) conns.push(connect());
  if (settleMs > 0) process.stdout.write(`${CONNECTED_MARK}${JSON.stringify({ releaseInMs: settleMs })}\n`);

  const intervalMs = 1000 / rate;
  let next = start;
  const tick = () => {
    const now = performance.now();
    const until = Math.min(now, end);
    while (next <= until) {
      const free = conns.find((c) => !c.busy && c.alive && !c.socket.connecting);
      if (free) send(free, next);
      else queue.push(next);
      next += intervalMs;
    }
    if (now < end && !stopping) setTimeout(tick, Math.max(0, Math.min(1, next - performance.now())));
    else finish();
  };
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    stopping = true;
    // Requests still queued at the end never ran: each is counted at the latency it had reached.
    const now = performance.now();
    for (const t of queue) hist.record((now - t) * 1e6);
    const behind = queue.length;
    const grace = setTimeout(report, 2000);
    const check = setInterval(() => {
      if (conns.every((c) => !c.busy)) {
        clearTimeout(grace);
        clearInterval(check);
        report();
      }
    }, 5);
    function report() {
      clearInterval(check);
      const durationMs = performance.now() - start;
      const us = (p: number) => Math.round(hist.percentile(p) / 1000);
      process.stdout.write(
        REPORT_MARK["open-loop"] +
          JSON.stringify({
            requests: completed,
            sent,
            behind,
            durationMs: Math.max(0, Math.min(durationMs, o.durationMs)),
            latencyUs: { min: Math.round(hist.min / 1000), mean: Math.round(hist.mean() / 1000), p50: us(50), p90: us(90), p99: us(99), p999: us(99.9), max: Math.round(hist.max / 1000) },
            non2xx,
            errors,
          }) +
          "\n",
      );
      for (const c of conns) c.socket.destroy();
      process.exit(0);
    }
  };
  process.on("SIGINT", finish);
  process.on("SIGTERM", finish);
  setTimeout(tick, settleMs);
}

main();
