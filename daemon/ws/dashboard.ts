// What the stream server needs to be a dashboard: the hello, the runs, the requests a page may make
// (through the daemon's one SessionHub), and where the built panel lives.
import { existsSync } from "node:fs";
import path from "node:path";
import { WS_PROTOCOL_VERSION, type StreamRequests } from "../../protocol/ws";
import type { Handlers } from "../../protocol/dispatch";
import { MOONSCOPE_VERSION } from "../../profile/version";
import { workspaceRuns } from "../runs/summary";
import type { SessionHub } from "../session-hub";
import { luaWorkspace } from "../lua-apps";
import type { StreamServerOptions } from "./server";

/** dist/webview beside the running bundle (dist/cli/moonscope.js), or under the repo when run from source. */
export function findPanelAssets(): string | null {
  for (const dir of [path.resolve(__dirname, "../webview"), path.resolve(__dirname, "../../dist/webview")]) {
    if (existsSync(path.join(dir, "panel.js"))) return dir;
  }
  return null;
}

export function dashboardOptions(hub: SessionHub, workspace: () => string, port?: number): StreamServerOptions {
  const requests: Handlers<StreamRequests> = {
    listRoutes: () => ({ routes: luaWorkspace(workspace()).routes() }),
    startProfile: (params) => ({ sessionId: hub.launch(params) }),
    stopProfile: (params) => ({ stopped: hub.stop(params.sessionId) }),
    startCompare: (params) => ({ sessionId: hub.launchCompare(params) }),
  };
  return {
    port,
    hello: () => ({ type: "hello", protocolVersion: WS_PROTOCOL_VERSION, daemon: `moonscope ${MOONSCOPE_VERSION}`, sessions: hub.sessions(), runs: workspaceRuns(workspace()) }),
    listRuns: () => workspaceRuns(workspace()),
    requests,
    assetsDir: findPanelAssets(),
  };
}
