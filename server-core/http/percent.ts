// Percent-decoding helpers for the HTTP parser (and for callers decoding query strings).
// Pure functions, no allocation on the common path beyond the returned string.
import { isUtf8 } from "node:buffer";

/** decodePathBytes() failure: a '%' not followed by two hex digits. */
export const PCT_BAD_ESCAPE = -1;
/** decodePathBytes() failure: the decoded bytes are not valid UTF-8. */
export const PCT_BAD_UTF8 = -2;
/** decodePathBytes() failure: the decoded bytes contain NUL (%00). */
export const PCT_NUL = -3;

/** Hex digit value + 1 for every byte (0 = not a hex digit). */
export const HEX_VALUE_PLUS_ONE: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let c = 0x30; c <= 0x39; c++) t[c] = c - 0x30 + 1;
  for (let c = 0x41; c <= 0x46; c++) t[c] = c - 0x41 + 11;
  for (let c = 0x61; c <= 0x66; c++) t[c] = c - 0x61 + 11;
  return t;
})();

type LatinBuffer = Buffer & {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
};

let scratch: Buffer = Buffer.allocUnsafe(1024);

/**
 * Percent-decodes bytes [start, end) of `b` (a request path, already checked to be printable ASCII)
 * and returns the string decoded as UTF-8, or one of PCT_BAD_ESCAPE / PCT_BAD_UTF8 / PCT_NUL.
 * '+' is NOT translated (it only means space in form-encoded query strings).
 */
export function decodePathBytes(b: Buffer, start: number, end: number): string | number {
  const n = end - start;
  if (scratch.length < n) scratch = Buffer.allocUnsafe(Math.max(n, scratch.length * 2));
  const out = scratch;
  let o = 0;
  let high = false;
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c !== 0x25) {
      out[o++] = c;
      continue;
    }
    if (i + 2 >= end) return PCT_BAD_ESCAPE;
    const h = HEX_VALUE_PLUS_ONE[b[i + 1]];
    const l = HEX_VALUE_PLUS_ONE[b[i + 2]];
    if (h === 0 || l === 0) return PCT_BAD_ESCAPE;
    const v = ((h - 1) << 4) | (l - 1);
    if (v === 0) return PCT_NUL;
    if (v >= 0x80) high = true;
    out[o++] = v;
    i += 2;
  }
  const ob = out as LatinBuffer;
  if (!high) return ob.latin1Slice(0, o);
  if (!isUtf8(out.subarray(0, o))) return PCT_BAD_UTF8;
  return ob.utf8Slice(0, o);
}

/**
 * Decodes one percent-encoded component held in a JS string (e.g. a query-string name or value
 * taken from ParsedRequest.rawQuery). Returns null when an escape is malformed or the result is
 * not valid UTF-8. With plusAsSpace, '+' decodes to ' ' (application/x-www-form-urlencoded).
 */
export function decodeComponent(raw: string, plusAsSpace = false): string | null {
  let needs = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25 || (plusAsSpace && c === 0x2b)) {
      needs = true;
      break;
    }
  }
  if (!needs) return raw;
  const src = Buffer.from(raw, "utf8");
  const out = Buffer.allocUnsafe(src.length);
  let o = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === 0x2b && plusAsSpace) {
      out[o++] = 0x20;
    } else if (c === 0x25) {
      if (i + 2 >= src.length) return null;
      const h = HEX_VALUE_PLUS_ONE[src[i + 1]];
      const l = HEX_VALUE_PLUS_ONE[src[i + 2]];
      if (h === 0 || l === 0) return null;
      out[o++] = ((h - 1) << 4) | (l - 1);
      i += 2;
    } else {
      out[o++] = c;
    }
  }
  const res = out.subarray(0, o);
  if (!isUtf8(res)) return null;
  return res.toString("utf8");
}
