// One profiling session at a time for a daemon, whoever asks: the language server (the editor) or
// the dashboard page. It runs the session, keeps its state, answers "busy" to a second request, and
// turns progress into the live stream's messages (protocol/ws.ts) for every listener.
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as P from "../protocol/lsp";
import { PROFILE_DEFAULTS } from "../protocol/types";
import type { ToClient } from "../protocol/ws";
import { parseBudgets } from "./report/analyze";
import { summarize } from "./runs/summary";
import { runProfileSession, type Progress } from "./session/profile-session";
import { luaWorkspace } from "./lua-apps";
import { asErrorCode, MoonscopeError } from "../profile/errors";

export interface HubOptions {
  workspace(): string;
  /** Every stream message (frames, states, runDone). */
  onMessage(m: ToClient): void;
  /** Every state change of the running session; phaseChanged is false for measuring ticks. */
  onState?(s: P.SessionState, phaseChanged: boolean): void;
}

interface Running {
  id: number;
  route: string;
  appFile: string;
  controller: AbortController;
  state: P.SessionState;
}

export class SessionHub {
  private running: Running | null = null;
  private finished: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  constructor(private readonly o: HubOptions) {}

  sessions(): P.SessionState[] {
    return this.running ? [this.running.state] : [];
  }

  /** The running session's route and app, for code lenses. */
  current(): { route: string; appFile: string; state: P.SessionState } | null {
    return this.running ? { route: this.running.route, appFile: this.running.appFile, state: this.running.state } : null;
  }

  private busyError(): MoonscopeError {
    const r = this.running!;
    return new MoonscopeError("MS_ERR_BUSY", `busy: ${r.route} (${path.basename(r.appFile)}) is being profiled; wait for it or stop it (Moonscope: Stop Profiling)`);
  }

  /** Starts a session and returns its id at once (a dashboard's answer); its progress, end or failure arrive as messages. Throws MS_ERR_BUSY. */
  launch(params: P.StartProfileParams): number {
    if (this.running) throw this.busyError();
    this.start(params).catch(() => {});
    return this.running!.id;
  }

  /** Resolves when no session runs any more (its app stopped, its run written or given up). */
  async idle(): Promise<void> {
    await this.finished.catch(() => {});
  }

  /** Runs one session to its end; throws a MoonscopeError (MS_ERR_BUSY when another one runs). */
  start(params: P.StartProfileParams): Promise<{ sessionId: number; run: P.RunSummary }> {
    const busy = this.running !== null;
    const p = this.run(params);
    if (!busy) this.finished = p;
    return p;
  }

  private async run(params: P.StartProfileParams): Promise<{ sessionId: number; run: P.RunSummary }> {
    if (this.running) throw this.busyError();
    const file = params.uri.startsWith("file:") ? fileURLToPath(params.uri) : path.resolve(this.o.workspace(), params.uri);
    // A handler in a module is served by the app that requires it: profile that app.
    const appFile = luaWorkspace(this.o.workspace()).entryFor(file) ?? file;
    const id = this.nextId++;
    const opts = params.options ?? {};
    const r: Running = {
      id,
      route: params.route,
      appFile,
      controller: new AbortController(),
      state: { sessionId: id, route: params.route, appFile, phase: "starting", message: "starting" },
    };
    this.running = r;
    const publish = (patch: Partial<P.SessionState>) => {
      const phaseChanged = patch.phase !== undefined && patch.phase !== r.state.phase;
      r.state = { ...r.state, ...patch };
      this.o.onState?.(r.state, phaseChanged);
      if (phaseChanged) this.o.onMessage({ type: "state", state: r.state });
    };
    this.o.onMessage({ type: "state", state: r.state });
    try {
      const result = await runProfileSession({
        appFile,
        route: params.route,
        durationMs: opts.durationMs ?? PROFILE_DEFAULTS.durationMs,
        warmupMs: opts.warmupMs ?? PROFILE_DEFAULTS.warmupMs,
        connections: opts.connections ?? PROFILE_DEFAULTS.connections,
        rate: opts.rate || undefined,
        workers: opts.workers ?? PROFILE_DEFAULTS.workers,
        mode: opts.mode ?? PROFILE_DEFAULTS.mode,
        budgets: opts.budgets ? parseBudgets(opts.budgets, "budgets") : [],
        workspace: this.o.workspace(),
        signal: r.controller.signal,
        onTree: (tree, elapsedMs) => this.o.onMessage({ type: "tree", sessionId: id, route: params.route, elapsedMs, tree }),
        onProgress: (p: Progress) => {
          publish({ phase: p.phase, message: p.message || r.state.message, elapsedMs: p.elapsedMs, durationMs: p.durationMs, rps: p.rps, serverP99Us: p.serverP99Us });
          if (p.phase === "measuring" && p.stages && p.rps !== undefined) {
            const { elapsedMs = 0, durationMs = 0, requests = 0, serverP50Us = 0, serverP99Us = 0, workers = [] } = p;
            this.o.onMessage({ type: "frame", sessionId: id, route: params.route, elapsedMs, durationMs, requests, rps: p.rps, serverP50Us, serverP99Us, stages: p.stages, workers });
          }
        },
      });
      const run = summarize(result.run, result.dir);
      this.running = null;
      publish({ phase: r.controller.signal.aborted ? "cancelled" : "done", message: run.verdict, run });
      this.o.onMessage({ type: "runDone", sessionId: id, run });
      return { sessionId: id, run };
    } catch (e) {
      this.running = null;
      const code = asErrorCode((e as { code?: unknown }).code, "MS_ERR_SESSION");
      const message = (e as Error).message;
      publish({ phase: r.controller.signal.aborted ? "cancelled" : "failed", message, error: { code, message } });
      throw e instanceof MoonscopeError ? e : new MoonscopeError(code, message);
    }
  }

  stop(sessionId?: number): boolean {
    if (!this.running || (sessionId !== undefined && sessionId !== this.running.id)) return false;
    this.running.controller.abort();
    return true;
  }
}
