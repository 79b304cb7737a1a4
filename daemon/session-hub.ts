// One session at a time for a daemon, whoever asks: the language server (the editor) or the
// dashboard page. A session is a profile, or a compare (a run's code against the app as it is now,
// rounds interleaved). The hub runs it, keeps its state, answers "busy" to a second request, and
// turns progress into the live stream's messages (protocol/ws.ts) for every listener.
import { existsSync } from "node:fs";
import path from "node:path";
import * as P from "../protocol/lsp";
import { AB_DEFAULTS, PROFILE_DEFAULTS } from "../protocol/types";
import type { ToClient } from "../protocol/ws";
import { headline } from "../profile/compare";
import type { RunFile } from "../profile/run";
import { parseBudgets } from "./report/analyze";
import { findRun, summarize } from "./runs/summary";
import { readRun } from "./runs/store";
import { abOrder, resolveSide, runAbSession } from "./session/ab-session";
import { runProfileSession, type ProfileSessionOptions, type Progress } from "./session/profile-session";
import { checkStartParams, startFile } from "./session/start-params";
import { luaWorkspace } from "./lua-apps";
import { asErrorCode, MoonscopeError } from "../profile/errors";

export interface HubOptions {
  workspace(): string;
  /** Every stream message (frames, states, runDone, compareDone). */
  onMessage(m: ToClient): void;
  /** Every state change of the running session; phaseChanged is false for measuring ticks. */
  onState?(s: P.SessionState, phaseChanged: boolean): void;
}

interface Running {
  id: number;
  kind: "profile" | "compare";
  route: string;
  appFile: string;
  controller: AbortController;
  state: P.SessionState;
  /** The run folder a compare measures again (its app copy): not to be deleted meanwhile. */
  usesRun?: string;
}

/** What a finished session leaves: its final state, the stream message that announces it, and the requester's answer. */
interface Outcome<T> {
  final: Partial<P.SessionState>;
  message: ToClient;
  result: T;
}

/** A session's measured slots: rounds × sides (2 in a compare), each round `durationMs` long. */
export interface Plan {
  rounds: number;
  sides: 1 | 2;
  durationMs: number;
}

export class SessionHub {
  private running: Running | null = null;
  private finished: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  constructor(private readonly o: HubOptions) {}

  sessions(): P.SessionState[] {
    return this.running ? [this.running.state] : [];
  }

  /** Whether the running session reads the run in dir (a compare measures its copy of the app again). */
  usesRun(dir: string): boolean {
    return this.running?.usesRun !== undefined && path.resolve(this.running.usesRun) === path.resolve(dir);
  }

  /** The running session's route and app, for code lenses. */
  current(): { route: string; appFile: string; state: P.SessionState } | null {
    return this.running ? { route: this.running.route, appFile: this.running.appFile, state: this.running.state } : null;
  }

  private busyError(): MoonscopeError {
    const r = this.running!;
    const what = r.kind === "compare" ? "being compared with its last run" : "being profiled";
    return new MoonscopeError("MS_ERR_BUSY", `busy: ${r.route} (${path.basename(r.appFile)}) is ${what}; wait for it or stop it (Moonscope: Stop Profiling)`);
  }

  /** Starts a profile and returns its id at once (a dashboard's answer); its progress, end or failure arrive as messages. Throws MS_ERR_BUSY. */
  launch(params: P.StartProfileParams): number {
    const s = this.profile(params);
    s.done.catch(() => {});
    return s.id;
  }

  /** Starts a compare and returns its id at once; throws MS_ERR_BUSY, or why the run cannot be run again. */
  launchCompare(params: P.StartCompareParams): number {
    const s = this.compare(params);
    s.done.catch(() => {});
    return s.id;
  }

  /** Resolves when no session runs any more (its apps stopped, its runs written or given up). */
  async idle(): Promise<void> {
    await this.finished.catch(() => {});
  }

  /** Runs one profile to its end; rejects with a MoonscopeError (MS_ERR_BUSY when another session runs). */
  start(params: P.StartProfileParams): Promise<{ sessionId: number; run: P.RunSummary }> {
    try {
      return this.profile(params).done;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Runs one compare to its end (both runs written); rejects like start. */
  startCompare(params: P.StartCompareParams): Promise<P.StartCompareResult> {
    try {
      return this.compare(params).done;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  stop(sessionId?: number): boolean {
    if (!this.running || (sessionId !== undefined && sessionId !== this.running.id)) return false;
    this.running.controller.abort();
    return true;
  }

  /** Checks and claims synchronously (so launch can answer the id), then runs the profile. */
  private profile(given: P.StartProfileParams): { id: number; done: Promise<{ sessionId: number; run: P.RunSummary }> } {
    if (this.running) throw this.busyError();
    // From outside (an editor over LSP, a dashboard page): a wrong shape is MS_ERR_USAGE naming the field.
    const params = checkStartParams(given);
    const file = startFile(params.uri, this.o.workspace());
    // A handler in a module is served by the app that requires it: profile that app.
    const appFile = luaWorkspace(this.o.workspace()).entryFor(file) ?? file;
    const opts = params.options ?? {};
    const plan: Plan = { rounds: 1, sides: 1, durationMs: opts.durationMs ?? PROFILE_DEFAULTS.durationMs };
    const r = this.claim("profile", params.route, appFile);
    const done = this.drive(r, plan, async (onProgress) => {
      const result = await runProfileSession({
        appFile,
        route: params.route,
        durationMs: plan.durationMs,
        ...loadSettings(opts),
        budgets: opts.budgets ? parseBudgets(opts.budgets, "budgets") : [],
        workspace: this.o.workspace(),
        signal: r.controller.signal,
        onTree: (tree, elapsedMs) => this.o.onMessage({ type: "tree", sessionId: r.id, route: params.route, elapsedMs, tree }),
        onProgress,
      });
      const run = summarize(result.run, result.dir);
      return { final: { message: run.verdict, run }, message: { type: "runDone", sessionId: r.id, run }, result: { sessionId: r.id, run } };
    });
    return { id: r.id, done };
  }

  /**
   * A run's copy of the app (A) against that app as it is now (B), rounds interleaved. What makes
   * the run unusable (unknown, no copy of its app, the app gone) is refused before the session
   * starts, so the asker gets that error and no failed session.
   */
  private compare(params: P.StartCompareParams): { id: number; done: Promise<P.StartCompareResult> } {
    if (this.running) throw this.busyError();
    const usage = (what: string) => new MoonscopeError("MS_ERR_USAGE", `startCompare: ${what}; send { run: "<run id>", options?: { runs, durationMs, warmupMs, connections, rate, workers, mode } }`);
    if (typeof params?.run !== "string" || params.run === "") throw usage("run is not a run id");
    const runs = params.options?.runs ?? AB_DEFAULTS.runs;
    if (!Number.isInteger(runs) || runs < 1) throw usage(`options.runs ${JSON.stringify(runs)} is not a whole number of rounds`);
    const workspace = this.o.workspace();
    const found = findRun(workspace, params.run);
    // Each throws what makes its side unusable (no copy of the app, the app gone).
    resolveSide(found.dir);
    const b = resolveSide(currentApp(found.run, found.dir));
    const route = `${found.run.route.method} ${found.run.route.path}`;
    const opts = params.options ?? {};
    const plan: Plan = { rounds: runs, sides: 2, durationMs: opts.durationMs ?? AB_DEFAULTS.durationMs };
    const r = this.claim("compare", route, b.appFile);
    r.usesRun = found.dir;
    const done = this.drive(r, plan, async (onProgress) => {
      const ab = await runAbSession({
        a: found.dir,
        b: b.appFile,
        route,
        runs: plan.rounds,
        durationMs: plan.durationMs,
        ...loadSettings(opts),
        budgets: [],
        workspace,
        signal: r.controller.signal,
        // No onTree: both apps would stream trees that take turns in one live flamegraph, and
        // rotating the idle app's profilers every 2 s costs CPU while the other is measured. The
        // differential flamegraph comes at the end.
        onProgress,
      });
      const before = summarize(ab.a.run, ab.a.dir);
      const after = summarize(ab.b.run, ab.b.dir);
      const h = headline(ab.comparison);
      return {
        final: { message: h.text, run: after },
        message: { type: "compareDone", sessionId: r.id, before, after, headline: h.text },
        result: { sessionId: r.id, before, after, comparison: { ...ab.comparison, frames: ab.comparison.frames.slice(0, 50) }, headline: h, svgFile: ab.svgFile },
      };
    });
    return { id: r.id, done };
  }

  private claim(kind: Running["kind"], route: string, appFile: string): Running {
    if (this.running) throw this.busyError();
    const id = this.nextId++;
    const r: Running = { id, kind, route, appFile, controller: new AbortController(), state: { sessionId: id, kind, route, appFile, phase: "starting", message: "starting" } };
    this.running = r;
    this.o.onMessage({ type: "state", state: r.state });
    return r;
  }

  /** Runs a claimed session's body, streaming its progress, and ends it (done, cancelled or failed) whatever happens. */
  private drive<T>(r: Running, plan: Plan, body: (onProgress: (p: Progress) => void) => Promise<Outcome<T>>): Promise<T> {
    const publish = (patch: Partial<P.SessionState>) => {
      const phaseChanged = patch.phase !== undefined && patch.phase !== r.state.phase;
      r.state = { ...r.state, ...patch };
      this.o.onState?.(r.state, phaseChanged);
      if (phaseChanged) this.o.onMessage({ type: "state", state: r.state });
    };
    const onProgress = (p: Progress) => {
      const at = overall(p, plan);
      publish({ phase: p.phase, message: p.message || r.state.message, elapsedMs: at.elapsedMs, durationMs: at.durationMs, rps: p.rps, serverP99Us: p.serverP99Us, ...(p.loadUrl ? { loadUrl: p.loadUrl } : {}) });
      if (p.phase === "measuring" && p.stages && p.rps !== undefined) {
        const { requests = 0, serverP50Us = 0, serverP99Us = 0, workers = [] } = p;
        this.o.onMessage({
          type: "frame",
          sessionId: r.id,
          route: r.route,
          elapsedMs: at.elapsedMs ?? 0,
          durationMs: at.durationMs ?? 0,
          requests,
          rps: p.rps,
          serverP50Us,
          serverP99Us,
          stages: p.stages,
          workers,
          ...(p.side ? { side: p.side } : {}),
          ...(p.round ? { round: p.round } : {}),
        });
      }
    };
    const run = async (): Promise<T> => {
      try {
        const out = await body(onProgress);
        this.running = null;
        publish({ phase: r.controller.signal.aborted ? "cancelled" : "done", ...out.final });
        this.o.onMessage(out.message);
        return out.result;
      } catch (e) {
        this.running = null;
        const code = asErrorCode((e as { code?: unknown }).code, "MS_ERR_SESSION");
        const message = (e as Error).message;
        publish({ phase: r.controller.signal.aborted ? "cancelled" : "failed", message, error: { code, message } });
        throw e instanceof MoonscopeError ? e : new MoonscopeError(code, message);
      }
    };
    const done = run();
    this.finished = done;
    return done;
  }
}

/**
 * Where a progress report falls in the whole measurement: slot k (round × side, in the order the
 * rounds ran) starts at k × durationMs, so elapsed time keeps growing across rounds and sides. A
 * round outlasts its duration by its load generator's start and end (a quarter of a second and more
 * on a busy machine); its late reports stay at the end of its slot, not inside the next one.
 */
export function overall(p: Progress, plan: Plan): { elapsedMs?: number; durationMs?: number } {
  if (p.elapsedMs === undefined) return {};
  const index = p.round?.index ?? 0;
  const pos = plan.sides === 2 && p.side ? abOrder(index + 1)[index].indexOf(p.side) : 0;
  return { elapsedMs: (index * plan.sides + pos) * plan.durationMs + Math.min(p.elapsedMs, plan.durationMs), durationMs: plan.rounds * plan.sides * plan.durationMs };
}

/**
 * The app "as it is now" for a run: its entry file. One side A of an ab measured a copy inside an
 * older run's folder, so its current app is the one its partner (side B) measured.
 */
function currentApp(run: RunFile, dir: string): string {
  if (run.ab?.side !== "A") return run.app.file;
  const partner = path.join(path.dirname(dir), run.ab.other);
  if (!existsSync(partner)) throw new MoonscopeError("MS_ERR_RUN_NOT_FOUND", `run ${run.id} measured a copy of an older run's app (side A of moonscope ab) and its side B, ${run.ab.other}, is gone, so which app it came from is unknown; compare with a run of the app itself`);
  return readRun(partner).run.app.file;
}

/** How hard and how a session loads the app: the asked options, the defaults for the rest. */
function loadSettings(opts: P.ProfileOptions): Pick<ProfileSessionOptions, "warmupMs" | "connections" | "rate" | "workers" | "mode" | "load" | "body" | "headers"> {
  return {
    load: opts.load,
    body: opts.body,
    headers: opts.headers,
    warmupMs: opts.warmupMs ?? PROFILE_DEFAULTS.warmupMs,
    connections: opts.connections ?? PROFILE_DEFAULTS.connections,
    rate: opts.rate || undefined,
    workers: opts.workers ?? PROFILE_DEFAULTS.workers,
    mode: opts.mode ?? PROFILE_DEFAULTS.mode,
  };
}
