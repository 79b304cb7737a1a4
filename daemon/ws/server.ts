// The daemon's live stream: an HTTP + WebSocket server on 127.0.0.1 only, behind a random token,
// with Host and Origin checked (a web page elsewhere must not read a developer's profiles, and DNS
// rebinding must not get around the loopback bind). GET /ws?token=... streams protocol/ws.ts frames;
// GET /api/runs and /api/runs/<id>/<file> serve stored runs read-only, from an allow-list of names.
// GET / is the dashboard page (the panel bundle, under a nonce CSP); /assets/ holds only the bundle's
// own files, named in an allow-list, so no other path on the machine can be read through here.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { RunSummary } from "../../protocol/lsp";
import { EXPORT_FORMATS } from "../../profile/exports";
import type { FromClient, Reply, StreamRequests, ToClient } from "../../protocol/ws";
import { dispatch, handleMessage, wireError, type Handlers, type MessageHandlers } from "../../protocol/dispatch";

export interface StreamServer {
  port: number;
  token: string;
  /** http://127.0.0.1:PORT/?token=... */
  url: string;
  broadcast(m: ToClient): void;
  clients(): number;
  close(): Promise<void>;
}

export interface StreamServerOptions {
  port?: number;
  hello: () => ToClient;
  listRuns: () => RunSummary[];
  /** Requests a dashboard may make (start/stop a session, list routes); absent: they are refused. */
  requests?: Handlers<StreamRequests>;
  /** Folder of the built panel (panel.js, panel.css); absent: no dashboard page. */
  assetsDir?: string | null;
}

/** The panel bundle's files; nothing else is served from assetsDir. */
const ASSETS: Record<string, string> = {
  "panel.js": "text/javascript; charset=utf-8",
  "panel.css": "text/css; charset=utf-8",
};

/** Files of a run folder the API may serve; anything else is 404, whatever the path says. */
const RUN_FILES: Record<string, string> = {
  "run.json": "application/json",
  "compare.svg": "image/svg+xml",
  ...Object.fromEntries(Object.values(EXPORT_FORMATS).map((f) => [f.file, f.contentType])),
};

/** The largest message a client may send; a larger one closes its connection (code 1009, "message too big"). */
export const WS_MAX_MESSAGE = 64 * 1024;
/** Bytes waiting for a client past which its messages are not read and live frames and trees are skipped for it. */
export const WS_HIGH_WATER = 1024 * 1024;
/** Bytes waiting for a client that reads nothing, past which it is disconnected. */
export const WS_MAX_BUFFERED = 16 * 1024 * 1024;

/** The request target as a URL, or null when it is not one ("http://[" is a request target too). */
function targetUrl(target: string | undefined): URL | null {
  try {
    return new URL(target ?? "/", "http://127.0.0.1");
  } catch {
    return null;
  }
}

/** decodeURIComponent, or null for malformed percent-encoding. */
function decodeSegment(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

const SECURITY_HEADERS = {
  "Content-Security-Policy": "default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

export async function startStreamServer(o: StreamServerOptions): Promise<StreamServer> {
  const token = randomBytes(24).toString("base64url");
  const tokenBuf = Buffer.from(token);
  const tokenOk = (t: string | null) => {
    if (!t) return false;
    const b = Buffer.from(t);
    return b.length === tokenBuf.length && timingSafeEqual(b, tokenBuf);
  };
  let port = 0;
  const hostOk = (host: string | undefined) => host === `127.0.0.1:${port}` || host === `localhost:${port}`;
  const originOk = (origin: string | undefined) =>
    origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}` || origin.startsWith("vscode-webview://");

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...SECURITY_HEADERS });
    res.end(text);
  };

  const serveAsset = (res: http.ServerResponse, name: string) => {
    const type = ASSETS[name];
    const file = type && o.assetsDir ? path.join(o.assetsDir, name) : null;
    if (!file || !existsSync(file)) return json(res, 404, { error: { code: "MS_ERR_NOT_FOUND", message: `no asset ${name}${o.assetsDir ? "" : " (the dashboard bundle was not found; run npm run build)"}` } });
    const data = readFileSync(file);
    res.writeHead(200, { "Content-Type": type, "Content-Length": data.length, ...SECURITY_HEADERS });
    res.end(data);
  };
  const page = (res: http.ServerResponse) => {
    if (!o.assetsDir) return json(res, 404, { error: { code: "MS_ERR_NO_DASHBOARD", message: "the dashboard bundle (dist/webview) was not found; run npm run build" } });
    const nonce = randomBytes(16).toString("base64");
    const csp = [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      "style-src 'self'",
      "img-src 'self' data:",
      "font-src 'self'",
      `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; ");
    const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Moonscope</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/panel.css">
</head>
<body>
<script nonce="${nonce}" src="/assets/panel.js"></script>
</body>
</html>
`;
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Length": Buffer.byteLength(html), ...SECURITY_HEADERS, "Content-Security-Policy": csp, "X-Frame-Options": "DENY" });
    res.end(html);
  };

  const server = http.createServer((req, res) => {
    try {
      answer(req, res);
    } catch (e) {
      // Whatever a request meets (an unreadable run folder, ...), it is answered and the daemon goes on.
      if (!res.headersSent) json(res, 500, { error: { code: "MS_ERR_REQUEST", message: (e as Error).message } });
      else res.destroy();
    }
  });
  const answer = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = targetUrl(req.url);
    if (url === null) return json(res, 400, { error: { code: "MS_ERR_HTTP_BAD_TARGET", message: `the request target ${JSON.stringify(req.url)} is not a path; use http://127.0.0.1:${port}/...` } });
    if (!hostOk(req.headers.host)) return json(res, 403, { error: { code: "MS_ERR_FORBIDDEN", message: "wrong Host header; use http://127.0.0.1:PORT" } });
    // The bundle holds no secret and the page that loads it had to show the token; its URL carries none.
    const asset = /^\/assets\/([^/]+)$/.exec(url.pathname);
    if (asset && req.method === "GET") return serveAsset(res, asset[1]);
    if (!tokenOk(url.searchParams.get("token"))) return json(res, 401, { error: { code: "MS_ERR_TOKEN", message: "missing or wrong token; use the URL the daemon printed" } });
    if (req.method !== "GET") return json(res, 405, { error: { code: "MS_ERR_METHOD", message: "read-only: GET only" } });
    if (url.pathname === "/" || url.pathname === "/index.html") return page(res);
    if (url.pathname === "/api/runs") return json(res, 200, { runs: o.listRuns() });
    const m = /^\/api\/runs\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (m) {
      const id = decodeSegment(m[1]);
      const file = decodeSegment(m[2]);
      if (id === null || file === null) return json(res, 400, { error: { code: "MS_ERR_HTTP_BAD_ENCODING", message: `bad percent-encoding in ${url.pathname}` } });
      const run = o.listRuns().find((r) => r.id === id);
      const type = RUN_FILES[file];
      if (!run || !type) return json(res, 404, { error: { code: "MS_ERR_NOT_FOUND", message: `no ${file} for run ${id}` } });
      const p = path.join(run.dir, file);
      if (!existsSync(p)) return json(res, 404, { error: { code: "MS_ERR_NOT_FOUND", message: `run ${id} has no ${file}` } });
      const data = readFileSync(p);
      res.writeHead(200, { "Content-Type": type, "Content-Length": data.length, ...SECURITY_HEADERS });
      res.end(data);
      return;
    }
    return json(res, 404, { error: { code: "MS_ERR_NOT_FOUND", message: `nothing at ${url.pathname}` } });
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_MESSAGE });
  server.on("upgrade", (req, socket, head) => {
    const url = targetUrl(req.url);
    const refuse = (status: number, why: string) => {
      socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url === null) return refuse(400, "Bad Request");
    if (url.pathname !== "/ws") return refuse(404, "Not Found");
    if (!hostOk(req.headers.host)) return refuse(403, "Forbidden");
    if (!originOk(req.headers.origin)) return refuse(403, "Forbidden");
    if (!tokenOk(url.searchParams.get("token"))) return refuse(401, "Unauthorized");
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, socket));
  });
  /**
   * Sends text to ws, minding what it has not read yet: past WS_HIGH_WATER its own messages are no
   * longer read (so a client that asks without reading stops being answered) until the socket
   * drains; past WS_MAX_BUFFERED it is disconnected.
   */
  const sendText = (ws: WebSocket, text: string) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(text);
    if (ws.bufferedAmount > WS_MAX_BUFFERED) ws.terminate();
    else if (ws.bufferedAmount > WS_HIGH_WATER) held.get(ws)?.();
  };
  const send = (ws: WebSocket, m: ToClient | Reply) => sendText(ws, JSON.stringify(m));
  /** Pauses a client's incoming messages until its socket drained; set per connection. */
  const held = new WeakMap<WebSocket, () => void>();

  const onConnection = (ws: WebSocket, socket: Duplex) => {
    let paused = false;
    held.set(ws, () => {
      if (paused) return;
      paused = true;
      ws.pause();
      socket.once("drain", () => {
        paused = false;
        ws.resume();
      });
    });
    // Too big a message (WS_MAX_MESSAGE) or a broken frame: ws closes the connection and reports it here.
    ws.on("error", () => {});
    send(ws, o.hello());
    // What a client may send, by type; anything else (not JSON, null, an unknown type) gets an error, never a crash.
    const messages: MessageHandlers<FromClient> = {
      ping: (m) => send(ws, { type: "pong", id: m.id }),
      listRuns: () => send(ws, { type: "runs", runs: o.listRuns() }),
      request: (m) => {
        const id = m.id;
        if (!o.requests) return send(ws, { type: "reply", id, error: { code: "MS_ERR_READ_ONLY", message: "this stream is read-only" } });
        dispatch(o.requests, m.method, m.params).then(
          (result) => send(ws, { type: "reply", id, result }),
          (e: unknown) => send(ws, { type: "reply", id, error: wireError(e, "MS_ERR_REQUEST") }),
        );
      },
    };
    ws.on("message", (data) => {
      let m: FromClient;
      try {
        m = JSON.parse(String(data)) as FromClient;
      } catch {
        return send(ws, { type: "error", code: "MS_ERR_BAD_MESSAGE", message: "messages are JSON objects" });
      }
      try {
        handleMessage(messages, m, () => send(ws, { type: "error", code: "MS_ERR_BAD_MESSAGE", message: "unknown message type; send ping, listRuns or request" }));
      } catch (e) {
        send(ws, { type: "error", ...wireError(e, "MS_ERR_REQUEST") });
      }
    });
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: o.port ?? 0, host: "127.0.0.1" }, () => resolve());
  });
  port = (server.address() as { port: number }).port;
  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    broadcast(m) {
      const text = JSON.stringify(m);
      // Frames and trees are superseded by the next ones: a client that is behind skips them.
      const skippable = m.type === "frame" || m.type === "tree";
      for (const c of wss.clients) {
        if (skippable && c.bufferedAmount > WS_HIGH_WATER) continue;
        sendText(c, text);
      }
    },
    clients: () => wss.clients.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => resolve());
      }),
  };
}
