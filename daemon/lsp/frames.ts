// The LSP base protocol's framing ("Content-Length: N\r\n\r\n" + N bytes), checked before the
// JSON-RPC reader sees it. vscode-jsonrpc's reader gives up on a header block without a usable
// Content-Length but keeps its place in the stream, so one bad frame left the language server alive
// and deaf. Here a bad header block (no Content-Length, a value that is not a plain number, one
// over MAX_MESSAGE, a block without an end) is reported and skipped up to the next
// "Content-Length:", and the messages after it are read as usual. Only whole, well-framed messages
// go through.
import { Transform, type TransformCallback } from "node:stream";

/** The largest message accepted (an editor's didOpen of a big file is a few MB). */
export const MAX_MESSAGE = 64 * 1024 * 1024;
/** The longest header block accepted. */
const MAX_HEADER = 8 * 1024;
const END = Buffer.from("\r\n\r\n");
const START = /content-length:/i;

export class FrameGuard extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  /** The body length of the message whose header was read, or -1 while reading a header. */
  private need = -1;
  private header: Buffer = Buffer.alloc(0);
  /** Chunks of a body still arriving, joined once it is whole (a big didOpen comes in many chunks). */
  private parts: Buffer[] = [];
  private partsLength = 0;

  constructor(private readonly report: (problem: string) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.need >= 0 && this.partsLength + chunk.length < this.need) {
      this.parts.push(chunk);
      this.partsLength += chunk.length;
      return done();
    }
    if (this.parts.length > 0) {
      this.buf = Buffer.concat([...this.parts, chunk]);
      this.parts = [];
      this.partsLength = 0;
    } else this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.need < 0) {
        const end = this.buf.indexOf(END);
        if (end < 0) {
          if (this.buf.length > MAX_HEADER) this.skip(`a header block longer than ${MAX_HEADER} bytes`, this.buf.length);
          break;
        }
        const block = this.buf.subarray(0, end).toString("latin1");
        const length = contentLength(block);
        if (typeof length === "string") {
          this.skip(length, end + END.length);
          continue;
        }
        this.header = Buffer.from(this.buf.subarray(0, end + END.length));
        this.buf = this.buf.subarray(end + END.length);
        this.need = length;
      }
      if (this.buf.length < this.need) {
        // The rest of the body comes in later chunks: collect them without copying.
        this.parts = [this.buf];
        this.partsLength = this.buf.length;
        this.buf = Buffer.alloc(0);
        break;
      }
      this.push(Buffer.concat([this.header, this.buf.subarray(0, this.need)]));
      this.buf = this.buf.subarray(this.need);
      this.need = -1;
    }
    done();
  }

  /** Drops a bad header block: everything up to the next "Content-Length:" after `from` (a bad message's body comes first). */
  private skip(problem: string, from: number): void {
    const rest = this.buf.subarray(from).toString("latin1");
    const m = START.exec(rest);
    const at = m ? from + m.index : this.buf.length;
    this.report(`${problem}; skipped ${at} bytes up to the next message`);
    this.buf = this.buf.subarray(at);
  }
}

/** The Content-Length of a header block, or what is wrong with it. */
function contentLength(block: string): number | string {
  let value: string | null = null;
  for (const line of block.split("\r\n")) {
    const i = line.indexOf(":");
    if (i < 0) return `a header line without a colon (${JSON.stringify(line.slice(0, 80))})`;
    if (line.slice(0, i).trim().toLowerCase() !== "content-length") continue;
    if (value !== null) return "two Content-Length headers";
    value = line.slice(i + 1).trim();
  }
  if (value === null) return "a message header without Content-Length";
  if (!/^[0-9]{1,10}$/.test(value)) return `Content-Length ${JSON.stringify(value.slice(0, 40))} is not a number of bytes`;
  const n = Number(value);
  if (n > MAX_MESSAGE) return `Content-Length ${n} is over the ${MAX_MESSAGE} bytes a message may have`;
  return n;
}
