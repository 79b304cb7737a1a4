import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { compareOptions, LOAD_SETTING_VALUES, PROFILE_SETTINGS, profileOptions } from "./settings";
import { PROFILE_DEFAULTS } from "../protocol/types";
import { EXPORT_FORMAT_NAMES } from "../profile/exports";
import { RUN_MODES } from "../profile/run";

const pkg = JSON.parse(readFileSync(path.resolve(__dirname, "..", "package.json"), "utf8"));
const props = pkg.contributes.configuration.properties as Record<string, { default: unknown; enum?: string[] }>;

test("package.json's setting defaults are the profile defaults (one fact, repeated for VS Code's UI and checked here)", () => {
  for (const [key, value] of Object.entries(PROFILE_SETTINGS)) assert.deepEqual(props[`moonscope.${key}`]?.default, value, `moonscope.${key}`);
  assert.deepEqual(props["moonscope.mode"].enum, RUN_MODES);
  assert.equal((props["moonscope.mode"] as { enumDescriptions?: string[] }).enumDescriptions?.length, RUN_MODES.length);
});

test("unset settings give the profile defaults; set ones win", () => {
  const none = { get: <T>(_k: string, d: T) => d };
  assert.deepEqual(profileOptions(none), { durationMs: PROFILE_DEFAULTS.durationMs, warmupMs: PROFILE_DEFAULTS.warmupMs, connections: PROFILE_DEFAULTS.connections, workers: 0, mode: "sample" });
  const set: Record<string, unknown> = { durationSeconds: 3, rate: 500, budgets: " p99=5ms " };
  const some = { get: <T>(k: string, d: T) => (k in set ? (set[k] as T) : d) };
  assert.deepEqual(profileOptions(some), { durationMs: 3000, warmupMs: 2000, connections: 50, workers: 0, mode: "sample", budgets: "p99=5ms", rate: 500 });
  assert.ok(EXPORT_FORMAT_NAMES.length === 5);
});

test("a compare takes the settings' load but not their duration (the daemon's AB_DEFAULTS say how long)", () => {
  const set: Record<string, unknown> = { durationSeconds: 3, warmupSeconds: 1, workers: 2 };
  const some = { get: <T>(k: string, d: T) => (k in set ? (set[k] as T) : d) };
  assert.deepEqual(compareOptions(some), { warmupMs: 1000, connections: 50, workers: 2, mode: "sample" });
});

test("moonscope.load: auto leaves the choice to the daemon, a generator or external is passed on; a compare never takes external", () => {
  assert.deepEqual(props["moonscope.load"].enum, [...LOAD_SETTING_VALUES]);
  assert.equal(props["moonscope.load"].default, "auto");
  const withLoad = (load: string) => ({ get: <T>(k: string, d: T) => (k === "load" ? (load as T) : d) });
  assert.equal(profileOptions(withLoad("auto")).load, undefined);
  assert.equal(profileOptions(withLoad("external")).load, "external");
  assert.equal(profileOptions(withLoad("autocannon")).load, "autocannon");
  assert.equal(compareOptions(withLoad("external")).load, undefined);
  assert.equal(compareOptions(withLoad("autocannon")).load, "autocannon");
  // A value from an older or hand-edited settings file is not passed on.
  assert.equal(profileOptions(withLoad("k6")).load, undefined);
});
