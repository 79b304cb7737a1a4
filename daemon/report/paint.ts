// Colour for terminal text, by meaning rather than by colour: the report and the comparison say
// what a piece of text is (a critical stage, a regression, a missed budget), and the terminal's
// Paint decides how it looks. Plain text everywhere but an interactive terminal (or FORCE_COLOR).
import { inspect } from "node:util";

export type Style = "critical" | "high" | "bad" | "good" | "warn" | "bold" | "dim";

export type Paint = (style: Style, text: string) => string;

export const plain: Paint = (_style, text) => text;

/** Each meaning as node:util's colour names (util.inspect.colors holds their ANSI codes). */
const LOOK: Record<Style, (keyof typeof inspect.colors)[]> = {
  critical: ["red", "bold"],
  high: ["yellow"],
  bad: ["red"],
  good: ["green"],
  warn: ["yellow"],
  bold: ["bold"],
  dim: ["dim"],
};

export const ansi: Paint = (style, text) =>
  LOOK[style].reduce((s: string, name) => {
    const [open, close] = inspect.colors[name] ?? [0, 0];
    return `\u001b[${open}m${s}\u001b[${close}m`;
  }, text);

/**
 * Colour when the stream is an interactive terminal that has colours, unless NO_COLOR is set;
 * FORCE_COLOR (other than 0) turns it on anywhere (https://no-color.org, https://force-color.org).
 */
export function paintFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): Paint {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return plain;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR === "0" || env.FORCE_COLOR === "false" ? plain : ansi;
  return stream.isTTY && (stream.hasColors?.() ?? false) ? ansi : plain;
}
