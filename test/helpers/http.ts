// Minimal HTTP clients for tests: raw bytes in, raw bytes out, so malformed input can be sent as is.
import net from "node:net";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  raw: string;
}

/** Parses every complete response in a byte stream (Content-Length framing, as the server writes). */
export function parseResponses(text: string, headRequests = 0): RawResponse[] {
  const out: RawResponse[] = [];
  let rest = text;
  let heads = headRequests;
  while (rest.length > 0) {
    const end = rest.indexOf("\r\n\r\n");
    if (end < 0) break;
    const head = rest.slice(0, end);
    const lines = head.split("\r\n");
    const status = Number(lines[0].split(" ")[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(":");
      headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    const len = heads > 0 ? 0 : Number(headers["content-length"] ?? 0);
    if (heads > 0) heads--;
    const bodyBytes = Buffer.from(rest.slice(end + 4), "latin1");
    const body = bodyBytes.subarray(0, len).toString("utf8");
    out.push({ status, headers, body, raw: rest.slice(0, end + 4 + len) });
    rest = bodyBytes.subarray(len).toString("latin1");
  }
  return out;
}

/** Sends bytes, waits for the server to close (or for `expect` responses), returns what came back. */
export function raw(port: number, data: string | Buffer | (string | Buffer)[], opts: { expect?: number; timeoutMs?: number; halfClose?: boolean } = {}): Promise<{ text: string; responses: RawResponse[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("latin1");
      s.destroy();
      resolve({ text, responses: parseResponses(text), closed });
    };
    const timer = setTimeout(() => (opts.expect !== undefined ? reject(new Error(`timed out; got: ${Buffer.concat(chunks).toString("latin1")}`)) : finish(false)), opts.timeoutMs ?? 5000);
    s.on("connect", async () => {
      const parts = Array.isArray(data) ? data : [data];
      for (const p of parts) {
        s.write(p);
        if (parts.length > 1) await new Promise((r) => setImmediate(r));
      }
      if (opts.halfClose) s.end();
    });
    s.on("data", (d) => {
      chunks.push(d);
      if (opts.expect !== undefined && parseResponses(Buffer.concat(chunks).toString("latin1")).length >= opts.expect) finish(false);
    });
    s.on("close", () => finish(true));
    s.on("error", () => finish(true));
  });
}

export function get(port: number, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const h = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  return raw(port, `GET ${path} HTTP/1.1\r\nHost: x\r\n${h}Connection: close\r\n\r\n`, { expect: 1 }).then((r) => r.responses[0]);
}

export function request(port: number, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const h = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  const b = body === undefined ? "" : `Content-Length: ${Buffer.byteLength(body)}\r\n`;
  return raw(port, `${method} ${path} HTTP/1.1\r\nHost: x\r\n${h}${b}Connection: close\r\n\r\n${body ?? ""}`, { expect: 1 }).then((r) => r.responses[0]);
}
