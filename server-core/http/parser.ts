// Incremental, strict HTTP/1.1 request parser (RFC 9110 / 9112). Pure: no sockets, no timers.
//
// Design notes
// - Byte-level scanner over the Buffer with lookup tables; no regexes, no per-byte closures.
// - Strings are made lazily: while a head is scanned only offsets are recorded, then ONE latin1Slice()
//   of the head region is cut with substring() (one native call per head instead of one per field);
//   common header names and methods are interned constants. The body of a request that arrives
//   whole in one chunk is a zero-copy view of that chunk.
// - Everything is processed line by line. When a line is cut by the end of a chunk, only that
//   partial line is copied (into `pend`) together with where its scan stopped (suspend()), so the next
//   chunk continues the scan instead of restarting it: work is linear in the bytes received and
//   memory per connection is bounded by the limits, whatever the chunking (a line can never
//   grow past its size budget). Bodies are consumed as they arrive and never sit in `pend`.
// - Every check is made in byte order and decides only from the bytes up to its position, and
//   every byte is examined as soon as it arrives, so the requests delivered, the first error and
//   the moment it is reported are the same for any split of the input.
import { ERRORS, statusOf, type ErrorCode } from "../../profile/errors";
import { decodePathBytes, PCT_BAD_ESCAPE, PCT_BAD_UTF8 } from "./percent.js";
import {
  analyzeTransferEncoding, BSLASH, COLON, connectionFlags, CR, DQUOTE, eqLower, EQ, H_CONNECTION, H_CONTENT_LENGTH, H_EXPECT,
  H_HOST, H_TRANSFER_ENCODING, hasUpper, HEX, hex2, HOSTCH, HT, knownName, latin1, LF, methodName, PERCENT, QDTEXT, QPAIR,
  SEMI, SLASH, SP, STAR, TARGET, TCHAR, VALUE, VCHAR,
} from "./grammar.js";

export interface HttpLimits {
  /** Request line (without CRLF) longer than this -> 414. */
  maxRequestLineBytes: number;
  /** Whole head (leading empty lines, request line, fields, CRLFs; plus chunked trailers) over this -> 431. */
  maxHeaderBytes: number;
  /** More header fields than this (trailer fields count too) -> 431. */
  maxHeaderCount: number;
  /** Body (Content-Length, or de-chunked size) over this -> 413. */
  maxBodyBytes: number;
}

export const DEFAULT_LIMITS: Readonly<HttpLimits> = Object.freeze({
  maxRequestLineBytes: 8192,
  maxHeaderBytes: 16384,
  maxHeaderCount: 100,
  maxBodyBytes: 1024 * 1024,
});

export interface ParsedRequest {
  /** As sent (case-sensitive token), e.g. "GET". */
  method: string;
  /** Raw request-target, e.g. "/users/42?x=1" (or "http://host/p" for absolute-form, "*"). */
  target: string;
  /** Percent-decoded (UTF-8) path part, before '?'. Not normalized ("/a/../b" stays as is; "%2F" becomes "/"). */
  path: string;
  /** Undecoded path part ("/" for an absolute-form target with an empty path, "*" for OPTIONS *). */
  rawPath: string;
  /** Undecoded part after the first '?', "" when none. */
  rawQuery: string;
  httpMinor: 0 | 1;
  /** Flat [lowercased name, value (OWS-trimmed, latin1), name, value, ...] in the order received. */
  headers: string[];
  /** HTTP/1.1: true unless "Connection: close"; HTTP/1.0: false unless "Connection: keep-alive". */
  keepAlive: boolean;
  /** null when there is no body (none, Content-Length: 0, or an empty chunked body); de-chunked. */
  body: Buffer | null;
  /** The `now` passed with the chunk holding this request's first byte. */
  firstByteAt: number;
  /** The `now` passed with the chunk that completed it. */
  parsedAt: number;
  /** "Expect: 100-continue" was sent (HTTP/1.1 only). */
  expectContinue: boolean;
}

export type HttpErrorStatus = 400 | 408 | 413 | 414 | 431 | 501 | 505;

export interface HttpParseError {
  status: HttpErrorStatus;
  code: HttpErrorCode;
  message: string;
}

/** The codes of malformed requests (the catalog in profile/errors.ts has their statuses). */
export type HttpErrorCode = Extract<ErrorCode, `MS_ERR_HTTP_${string}`>;

/** Every HTTP error code by its short name ("BAD_CHUNK"), taken from the catalog. */
export const HTTP_ERROR_CODES = Object.freeze(
  Object.fromEntries(Object.keys(ERRORS).filter((c) => c.startsWith("MS_ERR_HTTP_")).map((c) => [c.slice("MS_ERR_HTTP_".length), c])),
) as { readonly [K in HttpErrorCode as K extends `MS_ERR_HTTP_${infer N}` ? N : never]: K };

/** The 408 error a server sends when a started request did not complete in time (see RequestParser.inRequest). */
export function requestTimeoutError(): HttpParseError {
  return {
    status: 408,
    code: "MS_ERR_HTTP_REQUEST_TIMEOUT",
    message: "The request was not received completely in time; send the whole request without long pauses.",
  };
}

// ---------------------------------------------------------------------------------------------
// Framing limits

const MAX_CHUNK_LINE = 4096; // chunk-size line incl. extensions and CRLF
const MAX_CL_DIGITS = 15;

// ---------------------------------------------------------------------------------------------
// Parser

const ST_IDLE = 0; // at a line start before the request line (leading empty lines allowed)
const ST_HEADERS = 1;
const ST_BODY = 2; // Content-Length body
const ST_CHUNK_SIZE = 3;
const ST_CHUNK_DATA = 4;
const ST_CHUNK_CR = 5;
const ST_CHUNK_LF = 6;
const ST_TRAILER = 7;
const ST_DEAD = 8;

// request-line scanner phases
const RL_METHOD = 0;
const RL_TARGET = 1;
const RL_VERSION = 2;

// field-line scanner phases
const FL_NAME = 0;
const FL_OWS = 1; // after the colon, before the value
const FL_VALUE = 2;

// chunk-size line scanner states
const CK_SIZE = 0;
const CK_NAME0 = 1; // after ';'
const CK_NAME = 2;
const CK_VAL0 = 3; // after '='
const CK_TOKEN = 4;
const CK_QUOTED = 5;
const CK_QPAIR = 6; // after '\' inside a quoted-string
const CK_AFTER_QUOTE = 7;
const CK_LF = 8; // after the CR ending the line

const FAIL = -1;
const EMPTY = Buffer.alloc(0);
/** Sub-parser result "need more bytes; the unfinished line starts at pos". */
function needAt(pos: number): number {
  return -2 - pos;
}

type OnRequest = (req: ParsedRequest) => void;
type OnError = (e: HttpParseError) => void;
function noopReq(_r: ParsedRequest): void {}
function noopErr(_e: HttpParseError): void {}

export class RequestParser {
  private readonly maxReqLine: number;
  private readonly maxHead: number;
  private readonly maxCount: number;
  private readonly maxBody: number;

  /**
   * Optional: called synchronously when a request's head with "Expect: 100-continue" is complete,
   * a body is announced, and none of it has arrived yet: the client is waiting for
   * "HTTP/1.1 100 Continue\r\n\r\n" (write it from here, before anything else for that request).
   * Not called when the head is rejected (e.g. 413 for a too-large Content-Length).
   */
  onContinue: (() => void) | null = null;

  private state = ST_IDLE;
  private started = false;
  private pausedFlag = false;
  private onReq: OnRequest = noopReq;
  private onErr: OnError = noopErr;

  // partial line carried over between chunks
  private pend: Buffer = EMPTY;
  private pendLen = 0;
  private lineBudget = 0;

  // chunks received while paused, or left over when a pause stopped dispatch
  private qBufs: Buffer[] = [];
  private qAts: number[] = [];

  // request in progress
  private firstAt = 0;
  private method = "";
  private target = "";
  private path = "";
  private rawPath = "";
  private rawQuery = "";
  private minor: 0 | 1 = 1;
  private headers: string[] = [];
  private headBytes = 0;
  private headerCount = 0;
  private cl = -1;
  private teIdx = -1;

  // Strings are materialized lazily: while a head is parsed, field offsets are recorded and then one
  // latin1Slice() of the head region is cut with substring() (one native call per head, not per field).
  private segStart = -1;
  private segEnd = 0;
  private rlPending = false;
  private mS = 0;
  private mE = 0;
  private tS = 0;
  private tE = 0;
  private pS = 0;
  private pE = 0;
  private qS = -1;
  private pathSet = false;
  private rawPathSet = false;
  private fFlushed = 0;
  private offs: Int32Array = new Int32Array(64);
  // Where the scan of a line cut by the end of a chunk stopped (see suspend()). Positions are relative
  // to the line's start, because the line moves into `pend` and starts at 0 there. Each scanner reads
  // back only what its phase had found.
  private resumePending = false;
  /** The scanner's phase (RL_*, FL_*) or the chunk-size line's state (CK_*). */
  private resumePhase = 0;
  /** The next byte to scan. */
  private resumeAt = 0;
  /** Request line, from RL_TARGET on: where the method ends. */
  private resumeMethodEnd = 0;
  /** Request line, from RL_TARGET on: the target's first '?', -1 while none. */
  private resumeQueryAt = -1;
  /** Request line, from RL_TARGET on: a '%' was seen before the query (the path needs decoding). */
  private resumeTargetHasPercent = false;
  /** Request line, in RL_VERSION: where the target ends. */
  private resumeTargetEnd = 0;
  /** Field line, from FL_OWS on: where the name ends. */
  private resumeNameEnd = 0;
  /** Field line, in FL_VALUE: where the value starts. */
  private resumeValueStart = 0;
  /** Chunk-size line: the size read so far. */
  private resumeChunkSize = 0;
  private hostCount = 0;
  private conn = 0;
  private expect = false;
  private bodyRemaining = 0;
  private bodyLen = 0;
  private body: Buffer | null = null;
  private parts: Buffer[] | null = null;

  constructor(limits?: Partial<HttpLimits>) {
    const l = { ...DEFAULT_LIMITS, ...(limits ?? {}) };
    for (const k of Object.keys(DEFAULT_LIMITS) as (keyof HttpLimits)[]) {
      const v = l[k];
      if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
        throw new RangeError(`HTTP limit ${k} must be a positive integer (got ${String(v)}).`);
      }
    }
    this.maxReqLine = l.maxRequestLineBytes;
    this.maxHead = l.maxHeaderBytes;
    this.maxCount = l.maxHeaderCount;
    this.maxBody = l.maxBodyBytes;
  }

  /** True while a request has started (some bytes of it received) but is not complete. */
  get inRequest(): boolean {
    return this.started;
  }

  /** True once a protocol error was reported; all further input is ignored. */
  get failed(): boolean {
    return this.state === ST_DEAD;
  }

  /** True between pause() and resume(). */
  get paused(): boolean {
    return this.pausedFlag;
  }

  /** Bytes held back by pause() (not yet parsed). */
  get queuedBytes(): number {
    let n = 0;
    for (const b of this.qBufs) n += b.length;
    return n;
  }

  pause(): void {
    this.pausedFlag = true;
  }

  resume(): void {
    this.pausedFlag = false;
  }

  execute(chunk: Buffer, now: number, onRequest: OnRequest, onError: OnError): boolean {
    if (this.state === ST_DEAD) return false;
    this.onReq = onRequest;
    this.onErr = onError;
    if (this.pausedFlag) {
      if (chunk.length > 0) {
        this.qBufs.push(chunk);
        this.qAts.push(now);
      }
      return true;
    }
    if (this.qBufs.length > 0) {
      if (chunk.length > 0) {
        this.qBufs.push(chunk);
        this.qAts.push(now);
      }
      while (this.qBufs.length > 0 && !this.pausedFlag && this.state !== ST_DEAD) {
        const b = this.qBufs.shift() as Buffer;
        const at = this.qAts.shift() as number;
        this.feed(b, at);
      }
    } else if (chunk.length > 0) {
      this.feed(chunk, now);
    }
    return this.state !== ST_DEAD;
  }

  // -------------------------------------------------------------------------------------------

  private queueFront(b: Buffer, at: number): void {
    if (b.length === 0) return;
    this.qBufs.unshift(b);
    this.qAts.unshift(at);
  }

  private appendPend(src: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    const need = this.pendLen + n;
    if (this.pend.length < need) {
      const nb = Buffer.allocUnsafe(Math.max(need, this.pend.length * 2, 256));
      this.pend.copy(nb, 0, 0, this.pendLen);
      this.pend = nb;
    }
    src.copy(this.pend, this.pendLen, start, end);
    this.pendLen = need;
  }

  private feed(chunk: Buffer, now: number): void {
    let start = 0;
    if (this.pendLen > 0) {
      // A line was cut by the end of the previous chunk: append up to its LF (never more than its
      // size budget) and continue its scan where it stopped (see suspend()); the rest of the chunk is
      // then parsed in place.
      const room = this.lineBudget - this.pendLen;
      const lf = chunk.indexOf(LF);
      let take = lf < 0 ? chunk.length : lf + 1;
      if (take > room) take = room > 0 ? room : 0;
      this.appendPend(chunk, 0, take);
      const pb = this.pend;
      const pl = this.pendLen;
      const r = this.run(pb, 0, pl, now, false);
      if (this.state === ST_DEAD) return;
      if (r < pl) {
        // Still unfinished: then all of the chunk was taken (an LF would have ended the line and
        // reaching the budget is an error), and the line stays in pend.
        if (take < chunk.length) {
          this.tooLongFallback();
          return;
        }
        if (r > 0) {
          pb.copyWithin(0, r, pl);
          this.pendLen = pl - r;
        }
        return;
      }
      this.pendLen = 0;
      if (pb.length > 8192) this.pend = EMPTY; // do not keep a big line buffer per idle connection
      start = take;
      if (start >= chunk.length) return;
      if (this.pausedFlag) {
        this.queueFront(chunk.subarray(start), now);
        return;
      }
    }
    const end = chunk.length;
    const r = this.run(chunk, start, end, now, true);
    if (this.state === ST_DEAD || r >= end) return;
    if (this.pausedFlag) this.queueFront(chunk.subarray(r), now);
    else this.appendPend(chunk, r, end); // the start of a line cut by the end of the chunk
  }

  /** Safety net (unreachable when the scanners are correct): never let pend grow past a line budget. */
  private tooLongFallback(): void {
    this.fail("MS_ERR_HTTP_HEADERS_TOO_LARGE", "A line of the request is too long; send shorter lines.");
  }

  /** Parses from b[p..end). Returns where it stopped (end, a partial line start, or after a paused request); -1 on error. */
  private run(b: Buffer, p: number, end: number, now: number, own: boolean): number {
    const r = this.runInner(b, p, end, now, own);
    if (this.segStart >= 0 && this.state !== ST_DEAD) this.flush(b);
    return r;
  }

  private runInner(b: Buffer, p: number, end: number, now: number, own: boolean): number {
    for (;;) {
      switch (this.state) {
        case ST_IDLE: {
          if (p >= end) return p;
          if (!this.started) this.begin(now);
          const r = this.requestLine(b, p, end);
          if (r < 0) return r === FAIL ? FAIL : -2 - r;
          p = r;
          break;
        }
        case ST_HEADERS: {
          const r = this.fields(b, p, end, false);
          if (r < 0) return r === FAIL ? FAIL : -2 - r;
          p = r;
          if (this.segStart >= 0) this.flush(b);
          const h = this.endOfHead(p < end);
          if (h === FAIL) return FAIL;
          if (h === 0) {
            this.complete(now);
            if (this.pausedFlag) return p;
          }
          break;
        }
        case ST_BODY: {
          const avail = end - p;
          const rem = this.bodyRemaining;
          if (this.body === null) {
            if (own && avail >= rem) {
              this.body = b.subarray(p, p + rem);
              p += rem;
              this.bodyRemaining = 0;
              this.state = ST_IDLE;
              this.complete(now);
              if (this.pausedFlag) return p;
              break;
            }
            if (avail <= 0) return p;
            this.body = Buffer.allocUnsafe(this.cl);
            this.bodyLen = 0;
          }
          const n = avail < rem ? avail : rem;
          b.copy(this.body, this.bodyLen, p, p + n);
          this.bodyLen += n;
          this.bodyRemaining = rem - n;
          p += n;
          if (this.bodyRemaining > 0) return p;
          this.state = ST_IDLE;
          this.complete(now);
          if (this.pausedFlag) return p;
          break;
        }
        case ST_CHUNK_SIZE: {
          if (p >= end) return p;
          const r = this.chunkLine(b, p, end);
          if (r < 0) return r === FAIL ? FAIL : -2 - r;
          p = r;
          break;
        }
        case ST_CHUNK_DATA: {
          if (p >= end) return p;
          const avail = end - p;
          const rem = this.bodyRemaining;
          const n = avail < rem ? avail : rem;
          const piece = own ? b.subarray(p, p + n) : Buffer.from(b.subarray(p, p + n));
          (this.parts as Buffer[]).push(piece);
          this.bodyLen += n;
          this.bodyRemaining = rem - n;
          p += n;
          if (this.bodyRemaining === 0) this.state = ST_CHUNK_CR;
          break;
        }
        case ST_CHUNK_CR: {
          if (p >= end) return p;
          if (b[p] !== CR) {
            return this.fail("MS_ERR_HTTP_BAD_CHUNK",
              "Chunk data was longer than its chunk-size (no CRLF right after the data); make each chunk-size match its data exactly.");
          }
          p++;
          this.state = ST_CHUNK_LF;
          break;
        }
        case ST_CHUNK_LF: {
          if (p >= end) return p;
          if (b[p] !== LF) {
            return this.fail("MS_ERR_HTTP_BAD_CHUNK",
              "Chunk data was followed by CR without LF; end each chunk's data with CRLF.");
          }
          p++;
          this.state = ST_CHUNK_SIZE;
          break;
        }
        case ST_TRAILER: {
          const r = this.fields(b, p, end, true);
          if (r < 0) return r === FAIL ? FAIL : -2 - r;
          p = r;
          const parts = this.parts as Buffer[];
          this.body = this.bodyLen === 0 ? null : parts.length === 1 ? parts[0] : Buffer.concat(parts, this.bodyLen);
          this.parts = null;
          this.state = ST_IDLE;
          this.complete(now);
          if (this.pausedFlag) return p;
          break;
        }
        default:
          return FAIL;
      }
    }
  }

  /** Turns the recorded request-line / field offsets (all inside b) into strings. */
  private flush(b: Buffer): void {
    const s0 = this.segStart;
    this.segStart = -1;
    const str = latin1(b, s0, this.segEnd);
    if (this.rlPending) {
      this.rlPending = false;
      if (this.method === "") this.method = str.substring(this.mS - s0, this.mE - s0);
      const target = str.substring(this.tS - s0, this.tE - s0);
      this.target = target;
      if (!this.rawPathSet) {
        const pS = this.pS;
        const pE = this.pE;
        this.rawPath = pS === this.tS && pE === this.tE ? target : str.substring(pS - s0, pE - s0);
      }
      const qS = this.qS;
      this.rawQuery = qS < 0 ? "" : str.substring(qS - s0, this.tE - s0);
      if (!this.pathSet) this.path = this.rawPath;
    }
    const headers = this.headers;
    const n = headers.length >> 1;
    const offs = this.offs;
    for (let k = this.fFlushed; k < n; k++) {
      const o = k << 2;
      const ns = offs[o];
      const ne = offs[o + 1];
      const vs = offs[o + 2];
      const ve = offs[o + 3];
      if (headers[k << 1] === "") {
        const name = str.substring(ns - s0, ne - s0);
        headers[k << 1] = hasUpper(b, ns, ne) ? name.toLowerCase() : name;
      }
      if (vs !== ve) headers[(k << 1) + 1] = str.substring(vs - s0, ve - s0);
    }
    this.fFlushed = n;
  }

  private begin(now: number): void {
    this.started = true;
    this.firstAt = now;
    this.headers = [];
    this.headBytes = 0;
    this.headerCount = 0;
    this.cl = -1;
    this.teIdx = -1;
    this.segStart = -1;
    this.rlPending = false;
    this.fFlushed = 0;
    this.hostCount = 0;
    this.conn = 0;
    this.expect = false;
    this.body = null;
    this.parts = null;
    this.bodyLen = 0;
    this.bodyRemaining = 0;
  }

  private complete(now: number): void {
    const minor = this.minor;
    const conn = this.conn;
    const req: ParsedRequest = {
      method: this.method,
      target: this.target,
      path: this.path,
      rawPath: this.rawPath,
      rawQuery: this.rawQuery,
      httpMinor: minor,
      headers: this.headers,
      keepAlive: (conn & 1) === 0 && (minor === 1 || (conn & 2) !== 0),
      body: this.body,
      firstByteAt: this.firstAt,
      parsedAt: now,
      expectContinue: this.expect,
    };
    this.started = false;
    this.body = null;
    try {
      this.onReq(req);
    } catch (err) {
      this.poison();
      throw err;
    }
  }

  /** A callback threw: the rest of the input can no longer be framed reliably, so stop parsing. */
  private poison(): void {
    this.state = ST_DEAD;
    this.started = false;
    this.segStart = -1;
    this.pendLen = 0;
    this.qBufs.length = 0;
    this.qAts.length = 0;
  }

  private callContinue(): void {
    try {
      (this.onContinue as () => void)();
    } catch (err) {
      this.poison();
      throw err;
    }
  }

  private fail(code: HttpErrorCode, message: string): number {
    const status = statusOf(code) as HttpErrorStatus;
    this.state = ST_DEAD;
    this.started = false;
    this.segStart = -1;
    this.pendLen = 0;
    this.pend = EMPTY;
    this.qBufs.length = 0;
    this.qAts.length = 0;
    this.parts = null;
    this.body = null;
    this.onErr({ status, code, message });
    return FAIL;
  }

  /**
   * Remembers where the scan of the unfinished line starting at p stopped (phase, next byte i) and
   * its size budget, and asks for more bytes. What the phase had found is kept by the scanner first.
   */
  private suspend(p: number, budget: number, phase: number, i: number): number {
    this.resumePending = true;
    this.resumePhase = phase;
    this.resumeAt = i - p;
    this.lineBudget = budget;
    return needAt(p);
  }

  /** What the request-line scan found before its target or version was cut (see suspend()). */
  private keepMethodAndTarget(p: number, mEnd: number, q: number, pct: boolean): void {
    this.resumeMethodEnd = mEnd - p;
    this.resumeQueryAt = q < 0 ? -1 : q - p;
    this.resumeTargetHasPercent = pct;
  }

  private headTooLarge(): number {
    return this.fail("MS_ERR_HTTP_HEADERS_TOO_LARGE",
      `The request head is larger than ${this.maxHead} bytes; send fewer or smaller header fields.`);
  }

  private bareCR(): number {
    return this.fail("MS_ERR_HTTP_BARE_CR", "A CR byte was not followed by LF; end every line with CRLF.");
  }

  private bareLF(): number {
    return this.fail("MS_ERR_HTTP_BARE_LF", "A line ended with a bare LF; end every line with CRLF.");
  }

  // ---- request line ---------------------------------------------------------------------------

  private requestLine(b: Buffer, p: number, end: number): number {
    const headLeft = this.maxHead - this.headBytes;
    let budget = this.maxReqLine + 2;
    let uriLimit = true;
    if (headLeft < budget) {
      budget = headLeft;
      uriLimit = false;
    }
    if (budget <= 0) return this.headTooLarge();
    const limAbs = p + budget;
    const lim = limAbs < end ? limAbs : end;
    let i = p;
    let phase = RL_METHOD;
    let mEnd = 0;
    let q = -1;
    let pct = false;
    let tEnd = 0;
    if (this.resumePending) {
      // resume a line cut by the end of the previous chunk (it now starts at p)
      this.resumePending = false;
      phase = this.resumePhase;
      i = p + this.resumeAt;
      if (phase !== RL_METHOD) {
        mEnd = p + this.resumeMethodEnd;
        q = this.resumeQueryAt < 0 ? -1 : p + this.resumeQueryAt;
        pct = this.resumeTargetHasPercent;
      }
      if (phase === RL_VERSION) tEnd = p + this.resumeTargetEnd;
    }
    let c: number;

    if (phase === RL_METHOD) {
      if (i === p && b[p] === CR) {
        // Empty line before the request line (RFC 9112 §2.2): ignored, counted in the head size.
        if (p + 1 >= limAbs) return this.lineLimit(uriLimit);
        if (p + 1 >= end) return this.suspend(p, budget, RL_METHOD, p);
        if (b[p + 1] !== LF) return this.bareCR();
        this.headBytes += 2;
        return p + 2;
      }
      // method
      while (i < lim && TCHAR[b[i]] === 1) i++;
      if (i >= lim) return i >= limAbs ? this.lineLimit(uriLimit) : this.suspend(p, budget, RL_METHOD, i);
      c = b[i];
      if (c !== SP || i === p) return this.badMethod(c, i === p);
      mEnd = i;
      i++;
      phase = RL_TARGET;
    }

    const ts = mEnd + 1;
    if (phase === RL_TARGET) {
      // request-target
      while (i < lim) {
        const t = TARGET[b[i]];
        if (t === 1) {
          i++;
          continue;
        }
        if (t === 0) break;
        if (t === 2) {
          if (q < 0) q = i;
        } else if (q < 0) pct = true;
        i++;
      }
      if (i >= lim) {
        if (i >= limAbs) return this.lineLimit(uriLimit);
        this.keepMethodAndTarget(p, mEnd, q, pct);
        return this.suspend(p, budget, RL_TARGET, i);
      }
      c = b[i];
      if (c !== SP || i === ts) return this.badTarget(c, i === ts);
      tEnd = i;
      i++;
    }

    // HTTP-version
    const vs = tEnd + 1;
    while (i < lim && VCHAR[b[i]] === 1) i++;
    if (i >= lim) {
      if (i >= limAbs) return this.lineLimit(uriLimit);
      this.keepMethodAndTarget(p, mEnd, q, pct);
      this.resumeTargetEnd = tEnd - p;
      return this.suspend(p, budget, RL_VERSION, i);
    }
    c = b[i];
    if (c !== CR) {
      if (c === LF) return this.bareLF();
      if (i === vs) {
        return this.fail("MS_ERR_HTTP_BAD_REQUEST_LINE",
          "The request line must be 'METHOD SP target SP HTTP/1.1' with single spaces; remove the extra whitespace.");
      }
      return this.fail("MS_ERR_HTTP_BAD_VERSION",
        "Unexpected bytes after the HTTP version in the request line; end the request line right after HTTP/1.1 with CRLF.");
    }
    if (i + 1 >= limAbs) return this.lineLimit(uriLimit);
    if (i + 1 >= end) {
      this.keepMethodAndTarget(p, mEnd, q, pct);
      this.resumeTargetEnd = tEnd - p;
      return this.suspend(p, budget, RL_VERSION, i);
    }
    if (b[i + 1] !== LF) return this.bareCR();

    const vlen = i - vs;
    if (
      vlen === 8 && b[vs] === 0x48 && b[vs + 1] === 0x54 && b[vs + 2] === 0x54 && b[vs + 3] === 0x50 &&
      b[vs + 4] === SLASH && b[vs + 6] === 0x2e && b[vs + 5] >= 0x30 && b[vs + 5] <= 0x39 &&
      b[vs + 7] >= 0x30 && b[vs + 7] <= 0x39
    ) {
      if (b[vs + 5] === 0x31 && (b[vs + 7] === 0x31 || b[vs + 7] === 0x30)) {
        this.minor = b[vs + 7] === 0x31 ? 1 : 0;
      } else {
        return this.fail("MS_ERR_HTTP_UNSUPPORTED_VERSION",
          `HTTP version ${latin1(b, vs + 5, vs + 8)} is not supported; send HTTP/1.1 or HTTP/1.0.`);
      }
    } else {
      return this.fail("MS_ERR_HTTP_BAD_VERSION",
        "The request line does not end with a valid HTTP version; use exactly 'HTTP/1.1' (uppercase) or 'HTTP/1.0'.");
    }

    this.method = methodName(b, p, mEnd);
    this.mS = p;
    this.mE = mEnd;
    if (!this.setTarget(b, ts, tEnd, q, pct)) return FAIL;
    this.rlPending = true;
    this.segStart = p;
    this.segEnd = tEnd;
    this.headBytes += i + 2 - p;
    this.state = ST_HEADERS;
    return i + 2;
  }

  private lineLimit(uriLimit: boolean): number {
    if (uriLimit) {
      return this.fail("MS_ERR_HTTP_URI_TOO_LONG",
        `The request line is longer than ${this.maxReqLine} bytes; shorten the URL (move data into the body).`);
    }
    return this.headTooLarge();
  }

  private badMethod(c: number, atStart: boolean): number {
    if (c === LF) return this.bareLF();
    if (atStart) {
      return this.fail("MS_ERR_HTTP_BAD_REQUEST_LINE",
        `The request line must start with a method token, got byte ${hex2(c)}; send e.g. 'GET /path HTTP/1.1'.`);
    }
    if (c === CR) {
      return this.fail("MS_ERR_HTTP_BAD_REQUEST_LINE",
        "The request line has no request-target or version; send 'METHOD /path HTTP/1.1'.");
    }
    if (c === HT) {
      return this.fail("MS_ERR_HTTP_BAD_REQUEST_LINE",
        "The request line uses a tab as separator; separate method, target and version with single spaces.");
    }
    return this.fail("MS_ERR_HTTP_BAD_METHOD",
      `The method contains the invalid byte ${hex2(c)}; use a token such as GET or POST.`);
  }

  private badTarget(c: number, empty: boolean): number {
    if (c === LF) return this.bareLF();
    if (empty) {
      return this.fail("MS_ERR_HTTP_BAD_REQUEST_LINE",
        "The request-target is empty or preceded by more than one space; use a single space between method and target.");
    }
    if (c === CR) {
      return this.fail("MS_ERR_HTTP_BAD_REQUEST_LINE",
        "The request line has no HTTP version; end it with ' HTTP/1.1'.");
    }
    if (c === HT) {
      return this.fail("MS_ERR_HTTP_BAD_REQUEST_LINE",
        "The request line uses a tab as separator; separate method, target and version with single spaces.");
    }
    return this.fail("MS_ERR_HTTP_BAD_TARGET",
      `The request-target contains the byte ${hex2(c)}; percent-encode it (e.g. %${c.toString(16).toUpperCase().padStart(2, "0")}).`);
  }

  /** Validates the request-target and records where its parts are (strings are made in flush()). */
  private setTarget(b: Buffer, ts: number, te: number, q: number, pct: boolean): boolean {
    this.tS = ts;
    this.tE = te;
    this.qS = q < 0 ? -1 : q + 1;
    this.pathSet = false;
    this.rawPathSet = false;
    const pe = q < 0 ? te : q;
    let ps = ts;
    const c0 = b[ts];
    if (c0 !== SLASH) {
      if (c0 === STAR && te - ts === 1) {
        if (this.method !== "OPTIONS") {
          this.fail("MS_ERR_HTTP_BAD_TARGET", "The '*' request-target is only allowed with OPTIONS; request a path starting with '/'.");
          return false;
        }
        this.rawPath = this.path = "*";
        this.rawPathSet = this.pathSet = true;
        return true;
      }
      // absolute-form: http(s)://authority[/path][?query]
      let i = ts;
      while (i < pe && (b[i] | 0x20) >= 0x61 && (b[i] | 0x20) <= 0x7a) i++;
      const slen = i - ts;
      const schemeOk = (slen === 4 && eqLower(b, ts, "http")) || (slen === 5 && eqLower(b, ts, "https"));
      if (!schemeOk || i + 2 >= pe || b[i] !== COLON || b[i + 1] !== SLASH || b[i + 2] !== SLASH) {
        this.fail("MS_ERR_HTTP_BAD_TARGET",
          "The request-target must start with '/' (or be an absolute http:// URL); send e.g. 'GET /path HTTP/1.1'.");
        return false;
      }
      i += 3;
      const as = i;
      while (i < pe && b[i] !== SLASH) {
        if (b[i] === 0x40) {
          this.fail("MS_ERR_HTTP_BAD_TARGET", "The absolute request-target contains user info ('@'); remove the credentials from the URL.");
          return false;
        }
        i++;
      }
      if (i === as) {
        this.fail("MS_ERR_HTTP_BAD_TARGET", "The absolute request-target has no host; send 'http://host/path' or just '/path'.");
        return false;
      }
      ps = i;
      if (ps === pe) {
        this.rawPath = this.path = "/";
        this.rawPathSet = this.pathSet = true;
        return true;
      }
      pct = false;
      for (let k = ps; k < pe; k++) if (b[k] === PERCENT) pct = true;
    }
    this.pS = ps;
    this.pE = pe;
    if (!pct) return true;
    const d = decodePathBytes(b, ps, pe);
    if (typeof d === "string") {
      this.path = d;
      this.pathSet = true;
      return true;
    }
    this.fail("MS_ERR_HTTP_BAD_ENCODING",
      d === PCT_BAD_ESCAPE
        ? "The path has a '%' not followed by two hex digits; encode a literal '%' as %25."
        : d === PCT_BAD_UTF8
          ? "The percent-decoded path is not valid UTF-8; percent-encode paths as UTF-8."
          : "The path decodes to a NUL byte (%00); remove it.");
    return false;
  }

  // ---- header / trailer fields ----------------------------------------------------------------

  /** Parses field lines up to and including the empty line; returns the position after it. */
  private fields(b: Buffer, p: number, end: number, trailer: boolean): number {
    const maxHead = this.maxHead;
    for (;;) {
      const budget = maxHead - this.headBytes;
      if (budget <= 0) return this.headTooLarge();
      if (p >= end) return needAt(p);
      const limAbs = p + budget;
      const lim = limAbs < end ? limAbs : end;
      let i = p;
      let phase = FL_NAME;
      let ne = 0;
      let vs = 0;
      if (this.resumePending) {
        // resume a line cut by the end of the previous chunk (it now starts at p)
        this.resumePending = false;
        phase = this.resumePhase;
        i = p + this.resumeAt;
        if (phase !== FL_NAME) ne = p + this.resumeNameEnd;
        if (phase === FL_VALUE) vs = p + this.resumeValueStart;
      }
      let c: number;
      if (phase === FL_NAME) {
        if (i === p) {
          c = b[p];
          if (c === CR) {
            if (budget < 2) return this.headTooLarge();
            if (p + 1 >= end) return this.suspend(p, budget, FL_NAME, p);
            if (b[p + 1] !== LF) return this.bareCR();
            this.headBytes += 2;
            return p + 2;
          }
          if (this.headerCount >= this.maxCount) {
            return this.fail("MS_ERR_HTTP_HEADERS_TOO_LARGE",
              `The request has more than ${this.maxCount} header fields; send fewer header fields.`);
          }
          if (c === SP || c === HT) {
            return this.fail("MS_ERR_HTTP_OBS_FOLD",
              "A header line starts with whitespace (obsolete line folding); put each field value on one line.");
          }
        }
        while (i < lim && TCHAR[b[i]] === 1) i++;
        if (i >= lim) return i >= limAbs ? this.headTooLarge() : this.suspend(p, budget, FL_NAME, i);
        c = b[i];
        if (c !== COLON) return this.badFieldName(b, p, i, c);
        if (i === p) {
          return this.fail("MS_ERR_HTTP_BAD_HEADER", "A header line has an empty field name; send 'Name: value'.");
        }
        ne = i;
        i++;
        phase = FL_OWS;
      }
      if (phase === FL_OWS) {
        while (i < lim && (b[i] === SP || b[i] === HT)) i++;
        if (i >= lim) {
          if (i >= limAbs) return this.headTooLarge();
          this.resumeNameEnd = ne - p;
          return this.suspend(p, budget, FL_OWS, i);
        }
        vs = i;
      }
      while (i < lim && VALUE[b[i]] === 1) i++;
      if (i >= lim) {
        if (i >= limAbs) return this.headTooLarge();
        this.keepField(p, ne, vs);
        return this.suspend(p, budget, FL_VALUE, i);
      }
      c = b[i];
      if (c !== CR) {
        if (c === LF) return this.bareLF();
        return this.fail("MS_ERR_HTTP_BAD_HEADER",
          `Header "${latin1(b, p, ne)}" contains the control byte ${hex2(c)}; remove control characters from header values.`);
      }
      if (i + 1 >= limAbs) return this.headTooLarge();
      if (i + 1 >= end) {
        this.keepField(p, ne, vs);
        return this.suspend(p, budget, FL_VALUE, i);
      }
      if (b[i + 1] !== LF) return this.bareCR();
      let ve = i;
      while (ve > vs && (b[ve - 1] === SP || b[ve - 1] === HT)) ve--;
      this.headBytes += i + 2 - p;
      this.headerCount++;
      if (!trailer && !this.field(b, p, ne, vs, ve)) return FAIL;
      p = i + 2;
    }
  }

  /** What the field-line scan found before its value was cut (see suspend()). */
  private keepField(p: number, ne: number, vs: number): void {
    this.resumeNameEnd = ne - p;
    this.resumeValueStart = vs - p;
  }

  private badFieldName(b: Buffer, p: number, i: number, c: number): number {
    if (c === LF) return this.bareLF();
    if (c === SP || c === HT) {
      return this.fail("MS_ERR_HTTP_BAD_HEADER",
        `Header "${latin1(b, p, i)}" has whitespace before the colon; write 'Name: value' with the colon right after the name.`);
    }
    if (c === CR) {
      return this.fail("MS_ERR_HTTP_BAD_HEADER",
        `Header line "${latin1(b, p, i)}" has no colon; send 'Name: value'.`);
    }
    return this.fail("MS_ERR_HTTP_BAD_HEADER",
      `A header name contains the invalid byte ${hex2(c)}; header names must be tokens (letters, digits, !#$%&'*+-.^_\`|~).`);
  }

  /** Records one header field and applies its framing semantics. */
  private field(b: Buffer, ns: number, ne: number, vs: number, ve: number): boolean {
    const name = knownName(b, ns, ne);
    const headers = this.headers;
    const k = headers.length >> 1;
    headers.push(name, "");
    let offs = this.offs;
    const o = k << 2;
    if (o + 4 > offs.length) {
      const grown = new Int32Array(offs.length * 2);
      grown.set(offs);
      this.offs = offs = grown;
    }
    offs[o] = ns;
    offs[o + 1] = ne;
    offs[o + 2] = vs;
    offs[o + 3] = ve;
    if (this.segStart < 0) this.segStart = ns;
    this.segEnd = ve;
    if (name.length < 4) return true;
    if (name === H_HOST) {
      if (this.hostCount > 0) {
        this.fail("MS_ERR_HTTP_DUP_HOST", "The Host header was sent more than once; send exactly one Host header.");
        return false;
      }
      this.hostCount++;
      for (let k = vs; k < ve; k++) {
        if (HOSTCH[b[k]] !== 1) {
          this.fail("MS_ERR_HTTP_BAD_HOST", `The Host header "${latin1(b, vs, ve)}" is not a valid host[:port]; send e.g. 'Host: example.com:8080'.`);
          return false;
        }
      }
    } else if (name === H_CONTENT_LENGTH) {
      if (this.cl >= 0) {
        this.fail("MS_ERR_HTTP_DUP_CONTENT_LENGTH", "Content-Length was sent more than once; send a single Content-Length header.");
        return false;
      }
      if (vs === ve) {
        this.fail("MS_ERR_HTTP_BAD_CONTENT_LENGTH", "Content-Length is empty; send the body size as decimal digits.");
        return false;
      }
      let v = 0;
      for (let k = vs; k < ve; k++) {
        const c = b[k];
        if (c >= 0x30 && c <= 0x39) {
          v = v * 10 + (c - 0x30);
        } else if (c === 0x2c) {
          this.fail("MS_ERR_HTTP_DUP_CONTENT_LENGTH", "Content-Length was sent as a list of values; send a single decimal value.");
          return false;
        } else {
          this.fail("MS_ERR_HTTP_BAD_CONTENT_LENGTH", `Content-Length "${latin1(b, vs, ve)}" is not a plain decimal number; send only digits.`);
          return false;
        }
      }
      if (ve - vs > MAX_CL_DIGITS) {
        this.fail("MS_ERR_HTTP_BAD_CONTENT_LENGTH", `Content-Length has more than ${MAX_CL_DIGITS} digits; send a realistic body size.`);
        return false;
      }
      this.cl = v;
    } else if (name === H_TRANSFER_ENCODING) {
      if (this.teIdx >= 0) {
        this.fail("MS_ERR_HTTP_DUP_TRANSFER_ENCODING", "Transfer-Encoding was sent more than once; send a single 'Transfer-Encoding: chunked'.");
        return false;
      }
      this.teIdx = k;
    } else if (name === H_CONNECTION) {
      this.conn |= connectionFlags(b, vs, ve);
    } else if (name === H_EXPECT) {
      if (ve - vs === 12 && eqLower(b, vs, "100-continue")) this.expect = true;
    }
    return true;
  }

  /** Framing decisions once the head is complete. Returns 0 (complete now, no body), 1 (body follows) or FAIL. */
  private endOfHead(bodyBytesFollow: boolean): number {
    const te = this.teIdx < 0 ? null : this.headers[(this.teIdx << 1) + 1];
    if (te !== null) {
      if (this.cl >= 0) {
        this.fail("MS_ERR_HTTP_CL_TE", "Content-Length and Transfer-Encoding were both sent; send only one.");
        return FAIL;
      }
      if (this.minor === 0) {
        this.fail("MS_ERR_HTTP_BAD_TRANSFER_ENCODING", "Transfer-Encoding is not allowed in an HTTP/1.0 request; use Content-Length or HTTP/1.1.");
        return FAIL;
      }
      const a = analyzeTransferEncoding(te);
      if (a.kind === 1) {
        this.fail("MS_ERR_HTTP_BAD_TRANSFER_ENCODING",
          `Transfer-Encoding "${te}" is malformed (chunked must appear once, last); send exactly 'Transfer-Encoding: chunked'.`);
        return FAIL;
      }
      if (a.kind === 2) {
        this.fail("MS_ERR_HTTP_UNSUPPORTED_TE",
          `Transfer-Encoding "${a.coding}" is not supported; send the body with Content-Length or 'Transfer-Encoding: chunked'.`);
        return FAIL;
      }
    }
    if (this.minor === 1 && this.hostCount === 0) {
      this.fail("MS_ERR_HTTP_MISSING_HOST", "The HTTP/1.1 request has no Host header; add one, e.g. 'Host: example.com'.");
      return FAIL;
    }
    if (this.minor === 0) this.expect = false;
    if (te !== null) {
      this.parts = [];
      this.bodyLen = 0;
      this.state = ST_CHUNK_SIZE;
      if (this.expect && !bodyBytesFollow && this.onContinue !== null) this.callContinue();
      return 1;
    }
    const cl = this.cl;
    if (cl > 0) {
      if (cl > this.maxBody) {
        this.fail("MS_ERR_HTTP_BODY_TOO_LARGE",
          `Content-Length ${cl} exceeds the limit of ${this.maxBody} bytes; send a smaller body.`);
        return FAIL;
      }
      this.bodyRemaining = cl;
      this.state = ST_BODY;
      if (this.expect && !bodyBytesFollow && this.onContinue !== null) this.callContinue();
      return 1;
    }
    this.state = ST_IDLE;
    return 0;
  }

  // ---- chunked framing ----------------------------------------------------------------------

  private chunkLine(b: Buffer, p: number, end: number): number {
    const budget = MAX_CHUNK_LINE;
    const limAbs = p + budget;
    const lim = limAbs < end ? limAbs : end;
    let i = p;
    let st = CK_SIZE;
    let size = 0;
    if (this.resumePending) {
      // resume a line cut by the end of the previous chunk (it now starts at p)
      this.resumePending = false;
      st = this.resumePhase;
      i = p + this.resumeAt;
      size = this.resumeChunkSize;
    }
    for (; i < lim; i++) {
      const c = b[i];
      switch (st) {
        case CK_SIZE: {
          const h = HEX[c];
          if (h !== 0) {
            if (i - p >= 8) {
              return this.fail("MS_ERR_HTTP_BAD_CHUNK",
                "A chunk-size has more than 8 hex digits; send chunks smaller than 4 GiB without leading zeros.");
            }
            size = size * 16 + (h - 1);
            continue;
          }
          if (i === p) {
            if (c === LF) return this.bareLF();
            return this.fail("MS_ERR_HTTP_BAD_CHUNK",
              `A chunk-size line starts with ${hex2(c)} instead of a hex digit; send '<hex size>\\r\\n<data>\\r\\n'.`);
          }
          if (c === SEMI) st = CK_NAME0;
          else if (c === CR) st = CK_LF;
          else return this.chunkLineByte(c);
          continue;
        }
        case CK_NAME0:
          if (TCHAR[c] !== 1) return this.badChunkExt();
          st = CK_NAME;
          continue;
        case CK_NAME:
          if (TCHAR[c] === 1) continue;
          if (c === EQ) st = CK_VAL0;
          else if (c === SEMI) st = CK_NAME0;
          else if (c === CR) st = CK_LF;
          else return this.chunkLineByte(c);
          continue;
        case CK_VAL0:
          if (c === DQUOTE) st = CK_QUOTED;
          else if (TCHAR[c] === 1) st = CK_TOKEN;
          else return this.badChunkExt();
          continue;
        case CK_TOKEN:
          if (TCHAR[c] === 1) continue;
          if (c === SEMI) st = CK_NAME0;
          else if (c === CR) st = CK_LF;
          else return this.chunkLineByte(c);
          continue;
        case CK_QUOTED:
          if (c === DQUOTE) st = CK_AFTER_QUOTE;
          else if (c === BSLASH) st = CK_QPAIR;
          else if (QDTEXT[c] !== 1) return this.badChunkExt();
          continue;
        case CK_QPAIR:
          if (QPAIR[c] !== 1) return this.badChunkExt();
          st = CK_QUOTED;
          continue;
        case CK_AFTER_QUOTE:
          if (c === SEMI) st = CK_NAME0;
          else if (c === CR) st = CK_LF;
          else return this.chunkLineByte(c);
          continue;
        default: {
          // CK_LF: the CR ending the line was seen
          if (c !== LF) return this.bareCR();
          p = i + 1;
          if (size === 0) {
            this.state = ST_TRAILER;
            return p;
          }
          if (this.bodyLen + size > this.maxBody) {
            return this.fail("MS_ERR_HTTP_BODY_TOO_LARGE",
              `The chunked body exceeds the limit of ${this.maxBody} bytes; send a smaller body.`);
          }
          this.bodyRemaining = size;
          this.state = ST_CHUNK_DATA;
          return p;
        }
      }
    }
    if (i >= limAbs) return this.chunkLineTooLong();
    this.resumeChunkSize = size;
    return this.suspend(p, budget, st, i);
  }

  private chunkLineByte(c: number): number {
    if (c === LF) return this.bareLF();
    if (c === SP || c === HT) {
      return this.fail("MS_ERR_HTTP_BAD_CHUNK", "A chunk-size line contains whitespace; send '<hex size>[;ext]\\r\\n' without spaces.");
    }
    return this.fail("MS_ERR_HTTP_BAD_CHUNK",
      `A chunk-size line contains the byte ${hex2(c)}; the size must be plain hex digits (no '0x', no sign) and extensions ';name=value'.`);
  }

  private chunkLineTooLong(): number {
    return this.fail("MS_ERR_HTTP_BAD_CHUNK",
      `A chunk-size line is longer than ${MAX_CHUNK_LINE} bytes; send shorter chunk extensions.`);
  }

  private badChunkExt(): number {
    return this.fail("MS_ERR_HTTP_BAD_CHUNK",
      "A chunk extension is malformed; use ';name' or ';name=token' or ';name=\"quoted\"' without spaces.");
  }
}
