// Response heads built from precomputed pieces: status lines and the Date header are cached, so a
// typical response is one string concatenation and one socket write.
import { STATUS_CODES } from "node:http";

const statusLines = new Map<number, string>();
export function statusLine(status: number): string {
  let s = statusLines.get(status);
  if (s === undefined) {
    s = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Status " + status}\r\n`;
    if (statusLines.size < 1000) statusLines.set(status, s);
  }
  return s;
}

let dateLine = "";
let dateTimer: NodeJS.Timeout | undefined;
function refreshDate(): void {
  dateLine = "Date: " + new Date().toUTCString() + "\r\n";
}
/** "Date: ...\r\n", refreshed once a second by an unref'd timer instead of formatted per request. */
export function currentDateLine(): string {
  if (dateTimer === undefined) {
    refreshDate();
    dateTimer = setInterval(refreshDate, 1000);
    dateTimer.unref();
  }
  return dateLine;
}

export const CT_JSON = "Content-Type: application/json\r\n";
export const CT_TEXT = "Content-Type: text/plain; charset=utf-8\r\n";
export const CT_HTML = "Content-Type: text/html; charset=utf-8\r\n";
export const CONN_CLOSE = "Connection: close\r\n";
export const CONN_KEEP_ALIVE = "Connection: keep-alive\r\n";

/**
 * Every final response head the server sends, built here so they all agree on order and framing:
 * status line, Content-Type (a CT_* line, or "" for none), Content-Length (null: none, for a
 * response that has no body by its status), Date, the Connection line (or ""), then `extra`
 * (complete header lines, or ""), and the empty line. One concatenation, no objects: this is on
 * every request's path.
 */
export function responseHead(status: number, contentType: string, contentLength: number | null, connection: string, extra: string): string {
  return (
    statusLine(status) +
    contentType +
    (contentLength === null ? "" : "Content-Length: " + contentLength + "\r\n") +
    currentDateLine() +
    connection +
    extra +
    "\r\n"
  );
}

/** The interim answer to "Expect: 100-continue": a status line alone (a 1xx carries no Date or framing). */
export const CONTINUE_HEAD = statusLine(100) + "\r\n";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\0-\x08\x0a-\x1f\x7f]/;
// Headers the server computes itself; a handler setting them would corrupt framing.
const RESERVED = new Set(["content-length", "transfer-encoding", "connection", "date", "keep-alive", "upgrade"]);

/** Validates handler-set headers and renders them; returns an error message instead when one is unsafe. */
export function renderHeaders(flat: string[]): { text: string; hasContentType: boolean } | { error: string } {
  let text = "";
  let hasContentType = false;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i];
    const value = flat[i + 1];
    if (!TOKEN.test(name)) return { error: `response header name ${JSON.stringify(name)} is not a valid HTTP token` };
    if (BAD_VALUE.test(value)) return { error: `response header ${name} has a control character (CR, LF or NUL) in its value` };
    const lower = name.toLowerCase();
    if (RESERVED.has(lower)) return { error: `response header ${name} is set by the server and cannot be set by a handler` };
    if (lower === "content-type") hasContentType = true;
    text += name + ": " + value + "\r\n";
  }
  return { text, hasContentType };
}

/** JSON error body used for every error the server answers itself. */
export function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}
