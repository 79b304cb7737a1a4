// The daemon as a language server for Lua route files: code lenses over every handler ("▶ Profile
// GET /users/:id", then the last run's figures), and the custom requests of protocol/lsp.ts that run
// profiling sessions, list runs, export and compare them.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { format } from "node:util";
import {
  createConnection,
  ProposedFeatures,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  DiagnosticSeverity,
  type CodeLens,
  type Diagnostic,
  type Connection,
  type InitializeParams,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import * as P from "../../protocol/lsp";
import { luaWorkspace, type LuaWorkspace } from "../lua-apps";
import { specHits } from "../session/route-spec";
import { findRun as findWorkspaceRun, lensTitle, workspaceRuns } from "../runs/summary";
import { deleteRunDir, RUNS_DIR, writeFileAtomic } from "../runs/store";
import { SessionHub } from "../session-hub";
import { dashboardOptions } from "../ws/dashboard";
import { compareRuns, diffSvg } from "../../profile/compare";
import { renderExport } from "../report/export";
import { EXPORT_FORMAT_NAMES, isExportFormat } from "../../profile/exports";
import { MoonscopeError } from "../../profile/errors";
import { MOONSCOPE_VERSION } from "../../profile/version";
import { wireError, type RequestDecl } from "../../protocol/dispatch";
import { startStreamServer, type StreamServer } from "../ws/server";
import type { ToClient } from "../../protocol/ws";
import { FrameGuard } from "./frames";
import { filePathOf } from "./uri";

/** ResponseError codes: the JSON-RPC range reserved for servers, with the MS_ERR_* code in data. */
const ERR_SESSION = -32001;

/** Errors from shared code become JSON-RPC errors carrying their MS_ERR_* code in data. */
function asResponseError(e: unknown): ResponseError<{ code: string }> {
  const { code, message } = wireError(e, "MS_ERR_SESSION");
  return new ResponseError(ERR_SESSION, message, { code });
}

/** Over stdio, the messages pass the framing guard first (see frames.ts); other transports as vscode-languageserver picks them. */
function defaultConnection(): Connection {
  if (!process.argv.includes("--stdio")) return createConnection(ProposedFeatures.all);
  const guard = new FrameGuard((problem) => process.stderr.write(`moonscope lsp: a malformed message from the editor: ${problem}\n`));
  // Given as a stream (not a message reader), the guard still ends the process when stdin ends.
  const connection = createConnection(ProposedFeatures.all, process.stdin.pipe(guard), process.stdout);
  // stdout carries the protocol, so console output goes to the editor's log (what --stdio alone does).
  const toLog = (send: (m: string) => void) => (...args: unknown[]) => send(format(...args));
  console.log = console.info = toLog((m) => connection.console.log(m));
  console.debug = toLog((m) => connection.console.log(m));
  console.warn = toLog((m) => connection.console.warn(m));
  console.error = toLog((m) => connection.console.error(m));
  return connection;
}

/** How long after the last edit of a document its diagnostics are worked out again (typing re-parses once, not per key). */
const DIAGNOSTICS_DELAY_MS = 300;

export function startLanguageServer(connection: Connection = defaultConnection()): Connection {
  const documents = new TextDocuments(TextDocument);
  let workspace = process.cwd();
  let canRefreshLenses = false;
  let lastLensRefresh = 0;
  let stream: Promise<StreamServer> | null = null;
  let streamReady: StreamServer | null = null;
  /** The workspace's Lua apps, with the editor's open buffers read instead of the disk. */
  const apps = (): LuaWorkspace => {
    const ws = luaWorkspace(workspace);
    ws.setOverlay((file) => documents.get(pathToFileURL(file).href)?.getText());
    return ws;
  };
  const hub = new SessionHub({
    workspace: () => workspace,
    onMessage: (m: ToClient) => {
      streamReady?.broadcast(m);
      void connection.sendNotification(P.streamMessage.method, m);
    },
    onState: (s, phaseChanged) => {
      void connection.sendNotification(P.sessionState.method, s);
      refreshLenses(phaseChanged && s.phase !== "measuring");
    },
  });

  /** Answers the request `decl` declares with fn, typed by that declaration (the extension asks with the same one). */
  const handle = <Params, Result>(decl: RequestDecl<Params, Result>, fn: (params: Params) => Result | Promise<Result>) =>
    connection.onRequest(decl.method, async (params: Params) => {
      try {
        return await fn(params ?? ({} as Params));
      } catch (e) {
        throw asResponseError(e);
      }
    });

  const refreshLenses = (force: boolean) => {
    const t = Date.now();
    if (!canRefreshLenses || (!force && t - lastLensRefresh < 1000)) return;
    lastLensRefresh = t;
    void connection.sendRequest("workspace/codeLens/refresh").catch(() => {});
  };

  connection.onInitialize((params: InitializeParams) => {
    const folder = params.workspaceFolders?.[0]?.uri ?? params.rootUri;
    const root = folder ? filePathOf(folder) : null;
    if (root !== null) workspace = root;
    canRefreshLenses = !!params.capabilities.workspace?.codeLens?.refreshSupport;
    return {
      capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental, codeLensProvider: { resolveProvider: false } },
      serverInfo: { name: "moonscope", version: MOONSCOPE_VERSION },
    };
  });

  /** The handlers a document defines, with the app that serves them and that app's runs. */
  const handlersOf = (doc: TextDocument, file: string) => {
    const ws = apps();
    const routes = ws.routesDefinedIn(file);
    const entries = new Set(routes.map((r) => r.appFile));
    const runs = workspaceRuns(workspace).filter((r) => !r.error && entries.has(r.appFile));
    return { file, routes, runs };
  };

  /** A warning over every handler whose last run missed a budget (moonscope.budgets). */
  const publishDiagnostics = (doc: TextDocument) => {
    const file = filePathOf(doc.uri);
    if (file === null || !file.endsWith(".lua")) return;
    const { routes, runs } = handlersOf(doc, file);
    const diagnostics: Diagnostic[] = [];
    for (const r of routes) {
      const last = runs.find((x) => x.appFile === r.appFile && x.route === `${r.method} ${r.path}`);
      if (!last || last.budgetsMissed.length === 0) continue;
      diagnostics.push({
        range: { start: { line: r.line, character: r.character }, end: { line: r.line, character: r.endCharacter } },
        severity: DiagnosticSeverity.Warning,
        source: "moonscope",
        code: "budget",
        message: `${last.route} missed its budget in the last run (${last.id}): ${last.budgetsMissed.join("; ")}`,
      });
    }
    void connection.sendDiagnostics({ uri: doc.uri, diagnostics });
  };
  const pendingDiagnostics = new Map<string, NodeJS.Timeout>();
  documents.onDidOpen((e) => publishDiagnostics(e.document));
  documents.onDidChangeContent((e) => {
    const uri = e.document.uri;
    clearTimeout(pendingDiagnostics.get(uri));
    pendingDiagnostics.set(
      uri,
      setTimeout(() => {
        pendingDiagnostics.delete(uri);
        const doc = documents.get(uri);
        if (doc) publishDiagnostics(doc);
      }, DIAGNOSTICS_DELAY_MS),
    );
  });
  documents.onDidClose((e) => {
    clearTimeout(pendingDiagnostics.get(e.document.uri));
    pendingDiagnostics.delete(e.document.uri);
  });
  // A saved file may add or drop a require: the app structure is read again.
  documents.onDidSave(() => apps().invalidate());

  connection.onCodeLens((params): CodeLens[] => {
    const doc = documents.get(params.textDocument.uri);
    const file = doc ? filePathOf(doc.uri) : null;
    if (!doc || file === null) return [];
    const { routes, runs } = handlersOf(doc, file);
    const lenses: CodeLens[] = [];
    for (const r of routes) {
      const route = `${r.method} ${r.path}`;
      const range = { start: { line: r.line, character: r.character }, end: { line: r.line, character: r.endCharacter } };
      lenses.push({ range, command: { title: `▶ Profile ${route}`, command: P.COMMANDS.profileRoute, arguments: [{ uri: doc.uri, route }] } });
      const running = hub.current();
      if (running && running.appFile === r.appFile && specHits(running.route, r.method, r.path)) {
        const s = running.state;
        const left = s.durationMs && s.elapsedMs !== undefined ? `, ${Math.max(0, (s.durationMs - s.elapsedMs) / 1000).toFixed(0)} s left` : "";
        const live = s.rps !== undefined ? ` · ${(s.rps / 1000).toFixed(1)}k req/s · server p99 ${((s.serverP99Us ?? 0) / 1000).toFixed(2)} ms` : "";
        lenses.push({ range, command: { title: `$(watch) ${s.phase}${left}${live}`, command: "" } });
        continue;
      }
      const last = runs.find((x) => x.appFile === r.appFile && x.route === route);
      if (last) lenses.push({ range, command: { title: lensTitle(last), command: P.COMMANDS.openRun, arguments: [{ id: last.id, dir: last.dir }] } });
    }
    return lenses;
  });

  // The workspace's routes from a scan of its Lua files (open buffers as edited), or one file's handlers.
  handle(P.listRoutes, (params) => {
    const ws = apps();
    if (!params.uri) {
      // A person asked (the palette, the dashboard): files created since the last second count too.
      ws.invalidate();
      return { routes: ws.routes() };
    }
    const uri = params.uri;
    const file = filePathOf(uri);
    if (file === null) return { routes: [] };
    return { routes: ws.routesDefinedIn(file).map((r) => ({ uri, file, appFile: r.appFile, line: r.line, method: r.method, path: r.path, name: r.name })) };
  });

  /** A session's runs change the figures lenses and the budget warnings: refresh both once it ends. */
  const thenRefresh = async <T>(session: Promise<T>): Promise<T> => {
    try {
      return await session;
    } finally {
      refreshLenses(true);
      for (const d of documents.all()) publishDiagnostics(d);
    }
  };
  handle(P.startProfile, (params) => thenRefresh(hub.start(params)));
  handle(P.startCompare, (params) => thenRefresh(hub.startCompare(params)));

  handle(P.stopProfile, (params) => ({ stopped: hub.stop(params.sessionId) }));

  handle(P.getSessionState, () => ({ sessions: hub.sessions() }));

  handle(P.listRuns, (params) => ({
    runs: workspaceRuns(workspace).filter((r) => !params.route || r.route === params.route),
  }));

  const findRun = (id: string) => findWorkspaceRun(workspace, id);

  handle(P.getRun, (params) => findRun(params.id));

  handle(P.deleteRun, (params) => {
    if (typeof params.id !== "string" || params.id === "") throw new MoonscopeError("MS_ERR_USAGE", "deleteRun: send { id: \"<run id>\" }");
    const hit = workspaceRuns(workspace).find((r) => r.id === params.id);
    if (!hit) throw new MoonscopeError("MS_ERR_RUN_NOT_FOUND", `no run ${params.id} under ${path.join(workspace, RUNS_DIR)}`);
    if (hub.usesRun(hit.dir)) throw new MoonscopeError("MS_ERR_RUN_IN_USE", `${params.id} is being measured again by the running compare; stop it (Moonscope: Stop Profiling) or wait, then delete the run`);
    deleteRunDir(hit.dir);
    refreshLenses(true);
    for (const d of documents.all()) publishDiagnostics(d);
    return { deleted: hit.dir };
  });

  handle(P.exportRun, (params) => {
    if (!isExportFormat(params.format)) throw new MoonscopeError("MS_ERR_USAGE", `format is one of ${EXPORT_FORMAT_NAMES.join(", ")}, got ${JSON.stringify(params.format)}`);
    const data = renderExport(findRun(params.id).run, params.format);
    writeFileAtomic(params.file, data);
    return { file: params.file, bytes: Buffer.byteLength(data) };
  });

  handle(P.compareRuns, (params) => {
    const a = findRun(params.before);
    const b = findRun(params.after);
    const comparison = compareRuns(a.run, b.run);
    const svg = diffSvg(a.run, b.run);
    const svgFile = svg === null ? null : (params.svgFile ?? path.join(b.dir, "compare.svg"));
    if (svg !== null && svgFile !== null) writeFileAtomic(svgFile, svg);
    return { comparison: { ...comparison, frames: comparison.frames.slice(0, 50) }, svgFile };
  });

  handle(P.streamInfo, async () => {
    stream ??= startStreamServer(dashboardOptions(hub, () => workspace));
    streamReady = await stream;
    return { url: streamReady.url, wsUrl: `ws://127.0.0.1:${streamReady.port}/ws?token=${streamReady.token}`, port: streamReady.port, token: streamReady.token };
  });

  // A session must not outlive the daemon: stop it when the client goes away.
  connection.onShutdown(async () => {
    hub.stop();
    await hub.idle();
    await streamReady?.close();
  });
  connection.onExit(() => hub.stop());

  documents.listen(connection);
  connection.listen();
  return connection;
}
