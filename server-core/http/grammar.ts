// The HTTP/1.1 grammar as the parser needs it (RFC 9110 / 9112): byte constants, character-class
// tables indexed by byte, interned names of common methods and header fields, and small helpers
// that read bytes or strings but no parser state. Tables instead of regexes or comparisons keep
// the parser's byte loops to one load and one compare per byte.
import { HEX_VALUE_PLUS_ONE } from "./percent.js";

export const CR = 13;
export const LF = 10;
export const SP = 32;
export const HT = 9;
export const COLON = 58;
export const SEMI = 59;
export const EQ = 61;
export const DQUOTE = 34;
export const BSLASH = 92;
export const SLASH = 47;
export const STAR = 42;
export const QMARK = 63;
export const PERCENT = 37;

function table(fill: (c: number) => number): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = fill(c);
  return t;
}
function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}
/** RFC 9110 tchar. */
export const TCHAR = table((c) => (isAlnum(c) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c)) ? 1 : 0));
/** request-target bytes: VCHAR except '#', '"', '<', '>' (never sent unencoded); 2 = '?', 3 = '%'. */
export const TARGET = table((c) => {
  if (c < 0x21 || c > 0x7e || c === 0x23 || c === 0x22 || c === 0x3c || c === 0x3e) return 0;
  if (c === QMARK) return 2;
  if (c === PERCENT) return 3;
  return 1;
});
/** VCHAR. */
export const VCHAR = table((c) => (c >= 0x21 && c <= 0x7e ? 1 : 0));
/** field-value bytes: VCHAR, obs-text, SP, HTAB. */
export const VALUE = table((c) => ((c >= 0x21 && c <= 0x7e) || c >= 0x80 || c === SP || c === HT ? 1 : 0));
/** quoted-string qdtext (chunk extension values). */
export const QDTEXT = table((c) =>
  c === HT || c === SP || c === 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e) || c >= 0x80 ? 1 : 0,
);
/** byte allowed after '\' in a quoted-pair. */
export const QPAIR = table((c) => (c === HT || c === SP || (c >= 0x21 && c <= 0x7e) || c >= 0x80 ? 1 : 0));
/** Host header bytes: reg-name / IP-literal / port characters. */
export const HOSTCH = table((c) => (isAlnum(c) || "-._~!$&'()*+,;=:%[]".includes(String.fromCharCode(c)) ? 1 : 0));
export const HEX = HEX_VALUE_PLUS_ONE;

type LatinBuffer = Buffer & { latin1Slice(start: number, end: number): string };
export function latin1(b: Buffer, s: number, e: number): string {
  return (b as LatinBuffer).latin1Slice(s, e);
}

/** Case-insensitive compare of b[s..s+lower.length) with an all-lowercase ASCII string of letters, digits, '-'. */
export function eqLower(b: Buffer, s: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) if ((b[s + k] | 0x20) !== lower.charCodeAt(k)) return false;
  return true;
}

// Common header names, by length. Comparing with `| 0x20` is exact here because the name bytes were
// already checked to be tchar and the known names only hold letters, digits and '-'.
export const H_HOST = "host";
export const H_CONTENT_LENGTH = "content-length";
export const H_TRANSFER_ENCODING = "transfer-encoding";
export const H_CONNECTION = "connection";
export const H_EXPECT = "expect";
const KNOWN_NAMES: string[][] = (() => {
  const names = [
    H_HOST, H_CONTENT_LENGTH, H_TRANSFER_ENCODING, H_CONNECTION, H_EXPECT,
    "accept", "accept-encoding", "accept-language", "accept-charset", "user-agent", "content-type",
    "cookie", "authorization", "cache-control", "pragma", "origin", "referer", "upgrade", "te",
    "keep-alive", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-real-ip",
    "x-request-id", "if-none-match", "if-modified-since", "range", "date", "via", "dnt", "priority",
    "content-encoding", "forwarded", "sec-fetch-site", "sec-fetch-mode", "sec-fetch-dest",
    "sec-fetch-user", "sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform",
    "upgrade-insecure-requests", "x-requested-with", "traceparent",
  ];
  const byLen: string[][] = [];
  for (const n of names) (byLen[n.length] ??= []).push(n);
  return byLen;
})();

/** The interned lowercase name when b[s..e) is a common header name (any case), else "". */
export function knownName(b: Buffer, s: number, e: number): string {
  const len = e - s;
  const cands = len < KNOWN_NAMES.length ? KNOWN_NAMES[len] : undefined;
  if (cands !== undefined) {
    const c0 = b[s] | 0x20;
    for (let k = 0; k < cands.length; k++) {
      const n = cands[k];
      if (n.charCodeAt(0) === c0 && eqLower(b, s, n)) return n;
    }
  }
  return "";
}

export function hasUpper(b: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}

/** The interned method string for common methods, else "" (taken from the head string later). */
export function methodName(b: Buffer, s: number, e: number): string {
  const len = e - s;
  const c0 = b[s];
  if (len === 3) {
    if (c0 === 0x47 && b[s + 1] === 0x45 && b[s + 2] === 0x54) return "GET";
    if (c0 === 0x50 && b[s + 1] === 0x55 && b[s + 2] === 0x54) return "PUT";
  } else if (len === 4) {
    if (c0 === 0x50 && b[s + 1] === 0x4f && b[s + 2] === 0x53 && b[s + 3] === 0x54) return "POST";
    if (c0 === 0x48 && b[s + 1] === 0x45 && b[s + 2] === 0x41 && b[s + 3] === 0x44) return "HEAD";
  } else if (len === 5) {
    if (c0 === 0x50 && b[s + 1] === 0x41 && b[s + 2] === 0x54 && b[s + 3] === 0x43 && b[s + 4] === 0x48) return "PATCH";
  } else if (len === 6) {
    if (c0 === 0x44 && b[s + 1] === 0x45 && b[s + 2] === 0x4c && b[s + 3] === 0x45 && b[s + 4] === 0x54 && b[s + 5] === 0x45) return "DELETE";
  } else if (len === 7) {
    if (c0 === 0x4f && b[s + 1] === 0x50 && b[s + 2] === 0x54 && b[s + 3] === 0x49 && b[s + 4] === 0x4f && b[s + 5] === 0x4e && b[s + 6] === 0x53) return "OPTIONS";
  }
  return "";
}

export function hex2(c: number): string {
  return "0x" + (c < 16 ? "0" : "") + c.toString(16).toUpperCase();
}

function trimOWS(s: string): string {
  let a = 0;
  let e = s.length;
  while (a < e && (s.charCodeAt(a) === SP || s.charCodeAt(a) === HT)) a++;
  while (e > a && (s.charCodeAt(e - 1) === SP || s.charCodeAt(e - 1) === HT)) e--;
  return a === 0 && e === s.length ? s : s.slice(a, e);
}

/** Transfer-Encoding list analysis: 0 = exactly chunked, 1 = malformed (400), 2 = unsupported coding (501). */
export function analyzeTransferEncoding(v: string): { kind: 0 | 1 | 2; coding: string } {
  if (v.length === 7 && v.toLowerCase() === "chunked") return { kind: 0, coding: "chunked" };
  const parts = v.split(",");
  let chunkedSeen = 0;
  let unknown = "";
  for (let k = 0; k < parts.length; k++) {
    const raw = trimOWS(parts[k]);
    if (raw.length === 0) return { kind: 1, coding: "" };
    const semi = raw.indexOf(";");
    const name = (semi < 0 ? raw : trimOWS(raw.slice(0, semi))).toLowerCase();
    if (name.length === 0) return { kind: 1, coding: "" };
    for (let i = 0; i < name.length; i++) if (TCHAR[name.charCodeAt(i)] !== 1) return { kind: 1, coding: "" };
    if (name === "chunked") {
      if (semi >= 0 || k !== parts.length - 1) return { kind: 1, coding: name };
      chunkedSeen++;
    } else if (unknown === "") {
      unknown = name;
    }
  }
  if (chunkedSeen > 1) return { kind: 1, coding: "chunked" };
  if (unknown !== "") return { kind: 2, coding: unknown };
  return { kind: 0, coding: "chunked" };
}

/** Connection header tokens: bit 1 = close, bit 2 = keep-alive. */
export function connectionFlags(b: Buffer, s: number, e: number): number {
  const len = e - s;
  if (len === 5 && eqLower(b, s, "close")) return 1;
  if (len === 10 && eqLower(b, s, "keep-alive")) return 2;
  let f = 0;
  const parts = latin1(b, s, e).split(",");
  for (let k = 0; k < parts.length; k++) {
    const t = trimOWS(parts[k]).toLowerCase();
    if (t === "close") f |= 1;
    else if (t === "keep-alive") f |= 2;
  }
  return f;
}
