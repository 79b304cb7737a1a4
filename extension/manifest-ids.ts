// The names package.json's contributions and the extension share: command ids, context keys (for
// when-clauses), the Runs view and its items' context values. manifest.test.ts holds package.json
// against them, and commands.ts must implement every command listed here (its table is typed by it).

export const COMMAND_IDS = [
  "moonscope.profileRoute",
  "moonscope.profileRouteUnderCursor",
  "moonscope.stopProfiling",
  "moonscope.openPanel",
  "moonscope.openRun",
  "moonscope.exportFlamegraphSvg",
  "moonscope.compareRuns",
  "moonscope.compareWithLastRun",
  "moonscope.showOutput",
  "moonscope.addLuaDefinitions",
  "moonscope.toggleHotLines",
  "moonscope.runs.refresh",
  "moonscope.runs.open",
  "moonscope.runs.compareWith",
  "moonscope.runs.export",
  "moonscope.runs.openCpuProfile",
  "moonscope.runs.showHotLines",
  "moonscope.runs.reveal",
  "moonscope.runs.delete",
] as const;
export type CommandId = (typeof COMMAND_IDS)[number];

/** Context keys the extension sets for when-clauses. */
export const CONTEXT_KEYS = {
  /** A profile or a compare runs (Stop Profiling shows only then). */
  profiling: "moonscope.profiling",
  /** The active editor is a Lua file that defines route handlers (the editor-title button). */
  editorHasRoutes: "moonscope.editorHasRoutes",
} as const;

/** The Runs view (in the Explorer). */
export const RUNS_VIEW = "moonscope.runs";

/**
 * A run item's contextValue: "moonscopeRun", plus ".cpuprofile" when its folder has one. A menu entry
 * for every run matches `viewItem =~ /^moonscopeRun/`; one that needs a part of the run matches its
 * suffix.
 */
export const RUN_ITEM = "moonscopeRun";
export const ROUTE_ITEM = "moonscopeRoute";
