// A startProfile request as it arrives from outside (an editor over LSP, a dashboard over the
// socket): checked before a session starts, so a wrong shape is a usage error that says what is
// wrong, not a TypeError in the middle of a session.
import path from "node:path";
import { MoonscopeError } from "../../profile/errors";
import { isLoadChoice, isRunMode, LOAD_CHOICES } from "../../profile/run";
import { NUMERIC_PROFILE_OPTIONS, type StartProfileParams } from "../../protocol/types";
import { filePathOf } from "../lsp/uri";

/** A header name is an HTTP token; a value has no line break (it would start a header of its own). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A body travels in every request of the load: a megabyte is already more than a route test needs. */
const MAX_BODY_BYTES = 1 << 20;

/** params as StartProfileParams, or MS_ERR_USAGE naming the first field that is wrong. */
export function checkStartParams(params: unknown): StartProfileParams {
  const usage = (what: string) => new MoonscopeError("MS_ERR_USAGE", `startProfile: ${what}; send { uri: "file:///.../app.lua", route: "GET /path", options?: { durationMs, warmupMs, connections, rate, workers, mode, load, budgets, body, headers } }`);
  if (typeof params !== "object" || params === null) throw usage("the params are not an object");
  const p = params as Record<string, unknown>;
  if (typeof p.uri !== "string" || p.uri === "") throw usage("uri is not a string");
  if (typeof p.route !== "string" || p.route === "") throw usage("route is not a string");
  if (p.options !== undefined) {
    if (typeof p.options !== "object" || p.options === null) throw usage("options is not an object");
    const o = p.options as Record<string, unknown>;
    for (const k of NUMERIC_PROFILE_OPTIONS) {
      const v = o[k];
      if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v < 0)) throw usage(`options.${k} is not a non-negative number`);
    }
    if (o.mode !== undefined && !isRunMode(o.mode)) throw usage(`options.mode ${JSON.stringify(o.mode)} is not a mode`);
    if (o.load !== undefined && !isLoadChoice(o.load)) throw usage(`options.load ${JSON.stringify(o.load)} is not one of ${LOAD_CHOICES.join(", ")}`);
    if (o.budgets !== undefined && typeof o.budgets !== "string") throw usage("options.budgets is not a string");
    if (o.body !== undefined && (typeof o.body !== "string" || o.body.length > MAX_BODY_BYTES)) throw usage(`options.body is not a string of at most ${MAX_BODY_BYTES} characters`);
    if (o.headers !== undefined) {
      if (typeof o.headers !== "object" || o.headers === null || Array.isArray(o.headers)) throw usage("options.headers is not an object of names to values");
      for (const [name, value] of Object.entries(o.headers)) {
        if (!HEADER_NAME.test(name)) throw usage(`options.headers: ${JSON.stringify(name)} is not a header name`);
        if (typeof value !== "string" || /[\r\n\0]/.test(value)) throw usage(`options.headers.${name} is not a one-line string`);
      }
    }
  }
  return p as unknown as StartProfileParams;
}

/** The file a startProfile's uri names: a file: URI on this machine, or a path (relative to the workspace). */
export function startFile(uri: string, workspace: string): string {
  if (!uri.startsWith("file:")) return path.resolve(workspace, uri);
  const file = filePathOf(uri);
  if (file === null) throw new MoonscopeError("MS_ERR_USAGE", `startProfile: ${uri} is not a file on this machine`);
  return file;
}
