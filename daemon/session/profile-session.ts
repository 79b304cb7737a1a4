// One profiling session: start the app, warm up, load one route while both profilers run, gather
// what the workers saw, stop everything, and write the run folder. The CLI and the daemon both run
// sessions through here.
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { makeDirs, RUNS_DIR, runDirName } from "../runs/store";
import { parseRouteSpec } from "./route-spec";
import { MeasuredApp } from "./measured-app";
import { MoonscopeError } from "../../profile/errors";
import type { ProfileSessionOptions, SessionResult } from "./session-types";

export type { Phase, ProfileSessionOptions, Progress, SessionResult } from "./session-types";

export async function runProfileSession(o: ProfileSessionOptions): Promise<SessionResult> {
  const made: string[] = [];
  try {
    return await session(o, made);
  } catch (e) {
    // A session that failed before it measured anything must not leave an empty run folder behind
    // (an outside profiler's own output, if any, is kept).
    for (const d of made) removeIfEmpty(d);
    throw e;
  }
}

async function session(o: ProfileSessionOptions, made: string[]): Promise<SessionResult> {
  const spec = parseRouteSpec(o.route);
  const createdAt = new Date();
  const workspace = o.workspace ?? process.cwd();
  const dir = o.out ? path.resolve(o.out) : path.join(workspace, RUNS_DIR, runDirName(createdAt, spec.method, spec.path));
  // Every folder this creates (.moonscope/, runs/, the run's) is removed again if the session fails before it measured.
  made.push(...makeDirs(dir));
  const app = await MeasuredApp.start(o, dir, createdAt);
  try {
    await app.startProfilers();
    await app.warm();
    // Cancelled during warm-up: nothing was measured, so there is no run to keep.
    abortIfAsked(o.signal);
    await app.reset(performance.now());
    const runs = o.runs ?? 1;
    for (let i = 0; i < runs; i++) {
      await app.round(i, runs);
      if (o.signal?.aborted) break;
    }
    return await app.finish();
  } finally {
    await app.stop();
  }
}

/** Removes a folder a failed session made when nothing was written into it. */
export function removeIfEmpty(dir: string): void {
  const hasFile = (d: string): boolean => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return false;
    }
    return names.some((n) => {
      const p = path.join(d, n);
      return statSync(p).isDirectory() ? hasFile(p) : true;
    });
  };
  if (existsSync(dir) && !hasFile(dir)) rmSync(dir, { recursive: true, force: true });
}

export function abortIfAsked(signal?: AbortSignal): void {
  if (signal?.aborted) throw new MoonscopeError("MS_ERR_CANCELLED", "the profile was cancelled");
}
