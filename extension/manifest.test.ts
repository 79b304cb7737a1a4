// package.json's contributions against the extension: every command it declares is implemented
// (commands.ts's table is typed by COMMAND_IDS) and every one it uses is declared, when-clauses name
// only the context keys the extension sets, the Runs view is there, and activation matches a file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { COMMAND_IDS, CONTEXT_KEYS, RUN_ITEM, RUNS_VIEW } from "./manifest-ids";

const pkg = JSON.parse(readFileSync(path.resolve(__dirname, "..", "package.json"), "utf8"));
const contributes = pkg.contributes;
const menus = contributes.menus as Record<string, { command: string; when?: string; group?: string }[]>;

test("the declared commands are exactly the implemented ones, each with a title and an icon", () => {
  const declared = (contributes.commands as { command: string; title: string; icon?: string }[]);
  assert.deepEqual(declared.map((c) => c.command).sort(), [...COMMAND_IDS].sort());
  for (const c of declared) assert.match(c.icon ?? "", /^\$\([a-z-]+\)$/, c.command);
  for (const [where, list] of Object.entries(menus)) for (const m of list) assert.ok((COMMAND_IDS as readonly string[]).includes(m.command), `${where}: ${m.command}`);
});

test("when-clauses name only the context keys the extension sets, the Runs view and its items", () => {
  const known = new Set<string>(Object.values(CONTEXT_KEYS));
  for (const [where, list] of Object.entries(menus)) {
    for (const m of list) {
      for (const key of m.when?.match(/\bmoonscope\.[A-Za-z.]+/g) ?? []) assert.ok(known.has(key) || key === RUNS_VIEW, `${where} ${m.command}: ${key}`);
      if (m.when?.includes("viewItem")) assert.ok(m.when.includes(`view == ${RUNS_VIEW}`) && m.when.includes(RUN_ITEM), `${where} ${m.command}`);
    }
  }
  const palette = Object.fromEntries(menus.commandPalette.map((m) => [m.command, m.when]));
  assert.equal(palette["moonscope.stopProfiling"], CONTEXT_KEYS.profiling);
  assert.ok(menus["editor/title"].some((m) => m.command === "moonscope.profileRouteUnderCursor" && m.when?.includes(CONTEXT_KEYS.editorHasRoutes) && m.group === "navigation"));
  assert.ok(menus["editor/context"].some((m) => m.command === "moonscope.profileRouteUnderCursor"));
  assert.deepEqual(contributes.views.explorer.map((v: { id: string }) => v.id), [RUNS_VIEW]);
});

test("activation: Lua files, or a workspace with a finished run (a file: VS Code's workspaceContains matches files, not folders)", () => {
  assert.deepEqual(pkg.activationEvents, ["onLanguage:lua", "workspaceContains:**/.moonscope/runs/*/run.json"]);
});

test("the trace setting is vscode-languageclient's (<client id>.trace.server) and nodePath is a machine setting", () => {
  const props = contributes.configuration.properties;
  assert.deepEqual(props["moonscope.trace.server"].enum, ["off", "messages", "verbose"]);
  assert.equal(props["moonscope.nodePath"].scope, "machine");
});
