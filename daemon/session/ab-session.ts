// `moonscope ab`: two versions of an app measured in one go, their rounds alternated (A B B A A B
// ...) so drift on the machine (a neighbour, the CPU's clock, the load generator's warm-up) falls on
// both sides alike. Both apps run at once, each on its own port; the idle one waits in epoll. Each
// pair of rounds runs on fresh processes, so a process's own luck is sampled as often as the
// machine's drift. Each side is written as a run of its own, and the comparison is judged on the
// paired rounds.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { compareRuns, diffSvg, type Comparison } from "../../profile/compare";
import { MoonscopeError } from "../../profile/errors";
import type { RunFile } from "../../profile/run";
import { makeDirs, readRun, RUNS_DIR, runDirName, writeFileAtomic } from "../runs/store";
import { MeasuredApp } from "./measured-app";
import { abortIfAsked, removeIfEmpty, type ProfileSessionOptions, type SessionResult } from "./profile-session";
import { parseRouteSpec } from "./route-spec";

export interface AbOptions extends Omit<ProfileSessionOptions, "appFile" | "out" | "route"> {
  /** Each side: an app's entry file, or a run (folder or run.json) whose copy of the app is run again. */
  a: string;
  b: string;
  /** The route; when absent, the route of the run given as a side. */
  route?: string;
  /** Rounds per side. */
  runs: number;
}

export interface AbResult {
  a: SessionResult;
  b: SessionResult;
  comparison: Comparison;
  /** The differential flamegraph, in B's run folder (null without profiles). */
  svgFile: string | null;
  /** The order the rounds ran in, e.g. "ABBAAB". */
  order: string;
}

export interface AbSide {
  appFile: string;
  /** The run it came from, when it is a run's copy of the app. */
  fromRun: RunFile | null;
  label: string;
}

/** An app file as it is, or a run folder (or its run.json) as the copy of the app that run measured. */
export function resolveSide(spec: string): AbSide {
  const p = path.resolve(spec);
  const isRun = existsSync(p) && (statSync(p).isDirectory() || path.basename(p) === "run.json");
  if (!isRun) {
    if (!existsSync(p)) throw new MoonscopeError("MS_ERR_APP_NOT_FOUND", `${spec} is neither a Lua app nor a run folder`);
    return { appFile: p, fromRun: null, label: path.relative(process.cwd(), p) || p };
  }
  const { run, dir } = readRun(p);
  if (!run.app.snapshot) {
    throw new MoonscopeError("MS_ERR_RUN_NOT_FOUND", `${spec} keeps no copy of its app (a run from before copies were kept, or an app over the size limit), so it cannot be run again; profile that version again, or pass its app file`);
  }
  const appFile = path.join(dir, run.app.snapshot, path.basename(run.app.file));
  if (!existsSync(appFile)) throw new MoonscopeError("MS_ERR_RUN_CORRUPT", `${spec}: the copy of the app is incomplete (${path.relative(process.cwd(), appFile)} is missing); profile that version again`);
  return { appFile, fromRun: run, label: `run ${run.id}` };
}

/** Which side runs in each slot: A B, then B A, then A B..., so neither side is always first. */
export function abOrder(runs: number): ("A" | "B")[][] {
  return Array.from({ length: runs }, (_, i) => (i % 2 === 0 ? ["A", "B"] : ["B", "A"]));
}

export async function runAbSession(o: AbOptions): Promise<AbResult> {
  if (o.load === "external") throw new MoonscopeError("MS_ERR_USAGE", "ab alternates its rounds between two apps on two ports, so it drives the load itself; --load external works with moonscope profile");
  const sideA = resolveSide(o.a);
  const sideB = resolveSide(o.b);
  const route = o.route ?? (sideA.fromRun ? `${sideA.fromRun.route.method} ${sideA.fromRun.route.path}` : sideB.fromRun ? `${sideB.fromRun.route.method} ${sideB.fromRun.route.path}` : undefined);
  if (!route) throw new MoonscopeError("MS_ERR_USAGE", 'ab needs --route "METHOD /path" (or a run as one side, whose route is used)');
  const spec = parseRouteSpec(route);
  const createdAt = new Date();
  const workspace = o.workspace ?? process.cwd();
  const base = path.join(workspace, RUNS_DIR, runDirName(createdAt, spec.method, spec.path));
  const dirs = { A: `${base}-A`, B: `${base}-B` };
  const made: string[] = [];
  const started: MeasuredApp[] = [];
  const progress = o.onProgress ?? (() => {});
  try {
    made.push(...makeDirs(dirs.A), ...makeDirs(dirs.B));
    // A run's copy runs with that run's --lua-path unless one is given.
    const optionsFor = (side: AbSide, label: "A" | "B"): ProfileSessionOptions => ({
      ...o,
      route,
      appFile: side.appFile,
      luaPath: o.luaPath ?? side.fromRun?.options.luaPath,
      onProgress: (p) => progress({ ...p, side: label, message: p.message ? `${label}: ${p.message}` : p.message }),
    });
    const apps = { A: await MeasuredApp.start(optionsFor(sideA, "A"), dirs.A, createdAt), B: null as MeasuredApp | null };
    started.push(apps.A);
    apps.B = await MeasuredApp.start(optionsFor(sideB, "B"), dirs.B, createdAt);
    started.push(apps.B);
    const both = { A: apps.A, B: apps.B };
    await both.A.startProfilers();
    await both.B.startProfilers();
    await both.A.warm(" A");
    await both.B.warm(" B");
    abortIfAsked(o.signal);
    const origin = performance.now();
    await both.A.reset(origin);
    await both.B.reset(origin);
    let order = "";
    // Each pair of rounds after the first runs on fresh processes (see MeasuredApp.restart); an
    // app under an outside tool keeps its one process.
    const fresh = both.A.canRestart && both.B.canRestart;
    for (const [i, slot] of abOrder(o.runs).entries()) {
      if (i > 0 && fresh) {
        for (const side of slot) await both[side].restart(` ${side}`);
        if (o.signal?.aborted) break;
      }
      for (const side of slot) {
        await both[side].round(i, o.runs, ` (${side}: ${side === "A" ? sideA.label : sideB.label})`);
        order += side;
        if (o.signal?.aborted) break;
      }
      if (o.signal?.aborted) break;
    }
    // Stopped before both sides measured a round: there is nothing to compare and no run to keep.
    if (!both.A.rounds.length || !both.B.rounds.length) abortIfAsked(o.signal);
    const a = await both.A.finish({ ab: { side: "A", other: path.basename(dirs.B), order } });
    const b = await both.B.finish({ ab: { side: "B", other: path.basename(dirs.A), order } });
    const comparison = compareRuns(a.run, b.run);
    const svg = diffSvg(a.run, b.run);
    const svgFile = svg === null ? null : path.join(dirs.B, "compare.svg");
    if (svgFile && svg !== null) writeFileAtomic(svgFile, svg);
    return { a, b, comparison, svgFile, order };
  } catch (e) {
    for (const d of made) removeIfEmpty(d);
    throw e;
  } finally {
    for (const app of started) await app.stop();
  }
}
