// `moonscope doctor`: what this machine has for Moonscope, what it lacks and how to get it.
import { flags, readArgs } from "./command";
import { runChecks, type Check, type CheckState } from "../daemon/doctor";
import { paintFor, type Style } from "../daemon/report/paint";
import { MOONSCOPE_VERSION } from "../profile/version";

export const DOCTOR_HELP = `Usage: moonscope doctor [--json]

Lists what Moonscope uses on this machine (Node, the Lua runtime, the load generators wrk and
autocannon, npm, the outside profilers 0x and Clinic.js with Clinic's Node limit, the profiler
cache, chromium for the dashboard tests): what is there, what is missing and how to get each.
Exits 1 when something the main job needs is missing.
`;

const LOOK: Record<CheckState, Style> = { ok: "good", missing: "warn", unusable: "bad" };

export async function doctorCommand(argv: string[]): Promise<number> {
  const args = readArgs(argv, flags("json"), DOCTOR_HELP);
  if (!args) return 0;
  const checks = runChecks();
  if (args.values.json) process.stdout.write(JSON.stringify({ version: MOONSCOPE_VERSION, checks }, null, 2) + "\n");
  else process.stdout.write(formatChecks(checks, paintFor(process.stdout)));
  return checks.some((c) => c.required && c.state !== "ok") ? 1 : 0;
}

function formatChecks(checks: Check[], paint: ReturnType<typeof paintFor>): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines = [`moonscope ${MOONSCOPE_VERSION}`, ""];
  for (const c of checks) {
    const state = paint(LOOK[c.state], c.state.padEnd(8));
    lines.push(`${state} ${c.name.padEnd(width)}  ${c.found || "not found"}`);
    if (c.fix) lines.push(`${" ".repeat(9 + width)}  ${paint("dim", "→")} ${c.fix}`);
  }
  return lines.join("\n") + "\n";
}
