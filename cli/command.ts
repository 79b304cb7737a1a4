// How every command reads its arguments: node:util's parseArgs with -h/--help built in, and every
// usage mistake (an unknown flag, a flag without its value) as MS_ERR_USAGE, which main.ts prints
// with the command's usage and turns into exit code 2.
import { parseArgs } from "node:util";
import { MoonscopeError } from "../profile/errors";

type StringOption = { type: "string" };
type FlagOption = { type: "boolean" };

/** Options that take a value: strings("route", "duration") */
export function strings<K extends string>(...names: K[]): Record<K, StringOption> {
  return Object.fromEntries(names.map((n) => [n, { type: "string" }])) as Record<K, StringOption>;
}

/** Options that are on or off: flags("json", "open") */
export function flags<K extends string>(...names: K[]): Record<K, FlagOption> {
  return Object.fromEntries(names.map((n) => [n, { type: "boolean" }])) as Record<K, FlagOption>;
}

type Options = Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }>;
type HelpOption = { help: { type: "boolean"; short: "h" } };
type Config<O extends Options> = { args: string[]; allowPositionals: true; strict: true; options: O & HelpOption };
/** What parseArgs answers for a command whose options are O: each option typed by its declaration. */
export type ParsedArgs<O extends Options> = ReturnType<typeof parseArgs<Config<O>>>;

/** The parsed arguments, or null when the command's help was asked for (and printed). */
export function readArgs<O extends Options>(argv: string[], options: O, help: string): ParsedArgs<O> | null {
  let parsed: ParsedArgs<O>;
  try {
    const config: Config<O> = { args: argv, allowPositionals: true, strict: true, options: { ...options, help: { type: "boolean", short: "h" } } };
    parsed = parseArgs(config);
  } catch (e) {
    // node:util's messages start with their own code ("TypeError [ERR_PARSE_ARGS_UNKNOWN_OPTION]: ...").
    throw new MoonscopeError("MS_ERR_USAGE", (e as Error).message.replace(/^[A-Za-z]*Error \[[A-Z_]+\]: /, ""));
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(help);
    return null;
  }
  return parsed;
}

/**
 * The AbortSignal a command's work stops on: the first Ctrl-C aborts it (the command cleans up and
 * keeps what it can, saying so with `message`), a second one exits at once with 130.
 */
export function interruptSignal(message: string): AbortSignal {
  const controller = new AbortController();
  process.on("SIGINT", () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\n${message} (Ctrl-C again to force)\n`);
    controller.abort();
  });
  return controller.signal;
}
