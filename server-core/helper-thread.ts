// The server's helper threads (the watchdog, the Lua stack reader): started, unref'd, and awaited
// until their first message says they are ready.
//
// Under V8's --prof (how 0x and Clinic Flame profile the app) every isolate writes its own
// `isolate-<address>-<pid>-...v8.log` into the working directory, a helper thread's included. 0x
// reads the first of them that readdir lists and deletes the others, so a helper's log could stand
// in for the server's: its report and the stacks Moonscope imports would then miss every request.
// A helper's log is unlinked as soon as its thread is up; V8 goes on writing to the open file,
// which nothing can list, so the main thread's log is the only one left to pick.
import { readdirSync, unlinkSync } from "node:fs";
import { Worker, type WorkerOptions } from "node:worker_threads";

function underProf(): boolean {
  return process.execArgv.includes("--prof") || /(^|\s)--prof(\s|$)/.test(process.env.NODE_OPTIONS ?? "");
}

/** This process's tick logs in the working directory, or null when V8 writes none. */
function tickLogs(): Set<string> | null {
  if (!underProf()) return null;
  const own = new RegExp(`^isolate-(?:0x)?[0-9a-f]+-${process.pid}-(?:.*-)?v8\\.log$`, "i");
  try {
    return new Set(readdirSync(".").filter((f) => own.test(f)));
  } catch {
    return null;
  }
}

/** Starts a thread that posts one message when it is ready, and resolves with it then. */
export async function startHelperThread(script: string, options: WorkerOptions): Promise<Worker> {
  const before = tickLogs();
  const thread = new Worker(script, options);
  thread.unref();
  await new Promise<void>((resolve, reject) => {
    thread.once("message", () => resolve());
    thread.once("error", reject);
    thread.once("exit", (code) => reject(new Error(`its thread exited (code ${code}) before it started`)));
  });
  if (before !== null) {
    for (const f of tickLogs() ?? []) {
      if (before.has(f)) continue;
      try {
        unlinkSync(f);
      } catch {
        // Gone already, or not ours to remove: the tool then still has the main thread's to pick from.
      }
    }
  }
  return thread;
}
