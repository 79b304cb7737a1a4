// `moonscope lsp --stdio`: the daemon as a language server (what the VS Code extension starts).
import { startLanguageServer } from "../daemon/lsp/server";

export const LSP_HELP = `Usage: moonscope lsp --stdio

Runs the Moonscope language server on stdin/stdout: code lenses over Lua route handlers and the
moonscope/* requests (profile a route, list, export and compare runs). Editors start it; you rarely
run it by hand.
`;

export function lspCommand(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(LSP_HELP);
    return Promise.resolve(0);
  }
  // vscode-languageserver picks the transport from the command line (--stdio, --node-ipc, --socket=N).
  if (!argv.some((a) => a === "--stdio" || a === "--node-ipc" || a.startsWith("--socket"))) process.argv.push("--stdio");
  startLanguageServer();
  // The connection keeps the process alive; it exits when the client sends exit or closes the stream.
  return new Promise<number>(() => {});
}
