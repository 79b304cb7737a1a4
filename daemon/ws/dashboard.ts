// What the stream server needs to be a dashboard: the hello, the runs, the requests a page may make
// (through the daemon's one SessionHub), and where the built panel lives.
import { existsSync } from "node:fs";
import path from "node:path";
import { WS_PROTOCOL_VERSION, type StreamMethod, type StreamRequests } from "../../protocol/ws";
import { workspaceRuns } from "../runs/summary";
import type { SessionHub } from "../session-hub";
import { SessionError } from "../session/errors";
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
  const request = async <M extends StreamMethod>(method: M, params: StreamRequests[M]["params"]): Promise<StreamRequests[M]["result"]> => {
    switch (method) {
      case "listRoutes":
        return { routes: luaWorkspace(workspace()).routes() } as StreamRequests[M]["result"];
      case "startProfile":
        return { sessionId: hub.launch(params as StreamRequests["startProfile"]["params"]) } as StreamRequests[M]["result"];
      case "stopProfile":
        return { stopped: hub.stop((params as { sessionId?: number }).sessionId) } as StreamRequests[M]["result"];
      default:
        throw new SessionError("MS_ERR_BAD_MESSAGE", `unknown request ${String(method)}`);
    }
  };
  return {
    port,
    hello: () => ({ type: "hello", protocolVersion: WS_PROTOCOL_VERSION, daemon: "moonscope 0.1.0", sessions: hub.sessions(), runs: workspaceRuns(workspace()) }),
    listRuns: () => workspaceRuns(workspace()),
    request,
    assetsDir: findPanelAssets(),
  };
}
