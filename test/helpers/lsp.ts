// `moonscope lsp --stdio` as a real child process with a JSON-RPC client, set up the way an editor does.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import { BIN } from "./server";

export interface LspClient {
  child: ChildProcess;
  conn: MessageConnection;
  initialize: { capabilities: Record<string, unknown> };
  /** Sends didOpen for a file with its current text. */
  open(file: string): Promise<string>;
  /** shutdown + exit, then SIGKILL whatever is left. */
  close(): Promise<void>;
}

/** Starts the daemon in workspace; `setup` registers handlers before the connection listens. */
export async function startLsp(workspace: string, capabilities: Record<string, unknown> = {}, setup: (conn: MessageConnection) => void = () => {}): Promise<LspClient> {
  const child = spawn(process.execPath, [BIN, "lsp", "--stdio"], { cwd: workspace, stdio: ["pipe", "pipe", "pipe"] });
  const conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  setup(conn);
  conn.listen();
  const root = pathToFileURL(workspace).href;
  const initialize = await conn.sendRequest<{ capabilities: Record<string, unknown> }>("initialize", {
    processId: process.pid,
    rootUri: root,
    workspaceFolders: [{ uri: root, name: "ws" }],
    capabilities,
  });
  await conn.sendNotification("initialized", {});
  return {
    child,
    conn,
    initialize,
    async open(file) {
      const uri = pathToFileURL(file).href;
      await conn.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "lua", version: 1, text: readFileSync(file, "utf8") } });
      return uri;
    },
    async close() {
      try {
        await conn.sendRequest("shutdown");
        await conn.sendNotification("exit");
      } catch {
        /* already gone */
      }
      child.kill("SIGKILL");
    },
  };
}
