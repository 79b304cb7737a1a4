// `moonscope dashboard`: the daemon without an editor. It serves the panel as a web page on
// 127.0.0.1 (token in the URL it prints), lists the workspace's runs and routes, and runs the
// sessions the page asks for, streaming them live.
import path from "node:path";
import { SessionHub } from "../daemon/session-hub";
import { dashboardOptions } from "../daemon/ws/dashboard";
import { startStreamServer, type StreamServer } from "../daemon/ws/server";
import { MoonscopeError } from "../profile/errors";
import { parseIntArg } from "./args";
import { readArgs, strings } from "./command";

export const DASHBOARD_HELP = `Usage: moonscope dashboard [--port N] [--workspace DIR]

Serves Moonscope's panel in the browser, bound to 127.0.0.1 only: live throughput, latency and
stage timings while a route is profiled, flamegraphs, hot spots and run comparison. Prints
  Dashboard: http://127.0.0.1:PORT/?token=...
Open that exact URL; the token changes every start. Ctrl-C stops it (and any session it runs).

  --port N          port to listen on (default: any free port)
  --workspace DIR   folder with the Lua apps and .moonscope/runs (default: the current directory)
`;

export async function dashboardCommand(argv: string[]): Promise<number> {
  const args = readArgs(argv, strings("port", "workspace"), DASHBOARD_HELP);
  if (!args) return 0;
  if (args.positionals.length > 0) throw new MoonscopeError("MS_ERR_USAGE", `dashboard takes no file, got ${args.positionals.join(" ")}`);
  const port = args.values.port !== undefined ? parseIntArg("--port", args.values.port, 0, 65535) : 0;
  const workspace = path.resolve(args.values.workspace ?? process.cwd());
  let server: StreamServer | null = null;
  const hub = new SessionHub({
    workspace: () => workspace,
    onMessage: (m) => server?.broadcast(m),
    onState: (s, phaseChanged) => {
      if (phaseChanged) process.stderr.write(`${s.route}: ${s.phase}${s.error ? ` — ${s.error.code}: ${s.error.message}` : s.phase === "done" ? ` — ${s.message}` : ""}\n`);
    },
  });
  try {
    server = await startStreamServer(dashboardOptions(hub, () => workspace, port));
  } catch (e) {
    if ((e as { code?: string }).code === "EADDRINUSE") throw new MoonscopeError("MS_ERR_PORT_IN_USE", `port ${port} is in use; pick another with --port, or leave it out for any free port`);
    throw e;
  }
  process.stdout.write(`Dashboard: ${server.url}\nWorkspace: ${workspace}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  // The app under test must not outlive us: wait until the session has stopped it.
  if (hub.stop()) process.stderr.write("stopping the running session…\n");
  await hub.idle();
  await server.close();
  return 0;
}
