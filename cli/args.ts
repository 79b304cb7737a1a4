// Parsing of command-line values ("2s", "500ms", "64MB", integers) with errors that name the flag.
import path from "node:path";
import { MoonscopeError } from "../profile/errors";

export function parseIntArg(flag: string, v: string, min: number, max: number): number {
  if (!/^\d+$/.test(v)) throw new MoonscopeError("MS_ERR_USAGE", `${flag} takes a whole number, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new MoonscopeError("MS_ERR_USAGE", `${flag} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** "10s", "250ms", "1m", "2" (seconds) -> milliseconds. */
export function parseDuration(flag: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (!m) throw new MoonscopeError("MS_ERR_USAGE", `${flag} takes a duration like 10s, 500ms or 1m, got "${v}"`);
  const n = Number(m[1]);
  return Math.round(m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000);
}

/** "64MB", "512k", "1GB", "1000" (bytes) -> bytes. */
export function parseBytes(flag: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(v.trim());
  if (!m) throw new MoonscopeError("MS_ERR_USAGE", `${flag} takes a size like 64MB or 512KB, got "${v}"`);
  const unit = (m[2] ?? "b").toLowerCase()[0];
  const mult = unit === "k" ? 1024 : unit === "m" ? 1024 ** 2 : unit === "g" ? 1024 ** 3 : 1;
  return Math.round(Number(m[1]) * mult);
}

/** --lua-path entries relative to the current folder become absolute, so the server finds them wherever it runs. */
export function absoluteLuaPath(list: string): string {
  return list
    .split(";")
    .map((t) => (t === "" || path.isAbsolute(t) ? t : path.resolve(t)))
    .join(";");
}
