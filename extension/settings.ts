// The moonscope.* settings as profile options. Their defaults are PROFILE_DEFAULTS (protocol/types.ts);
// package.json repeats them for VS Code's settings UI, and settings.test.ts checks that it agrees.
import { LOAD_CHOICES, PROFILE_DEFAULTS, type LoadChoice, type ProfileOptions, type RunMode } from "../protocol/types";

/** moonscope.load's values: "auto" (wrk when installed, else autocannon) or one of the load choices. */
export const LOAD_SETTING_VALUES = ["auto", ...LOAD_CHOICES] as const;

/** The part of vscode.WorkspaceConfiguration this reads (so it can be tested in Node). */
export interface SettingsReader {
  get<T>(key: string, defaultValue: T): T;
}

/** The settings keys and how each maps to a profile option. */
export const PROFILE_SETTINGS = {
  durationSeconds: PROFILE_DEFAULTS.durationMs / 1000,
  warmupSeconds: PROFILE_DEFAULTS.warmupMs / 1000,
  connections: PROFILE_DEFAULTS.connections,
  rate: PROFILE_DEFAULTS.rate,
  workers: PROFILE_DEFAULTS.workers,
  mode: PROFILE_DEFAULTS.mode as RunMode,
} as const;

/**
 * The options of "Compare with Last Run": the settings' load, but not their duration, so the
 * daemon's AB_DEFAULTS give a round's length and the rounds (a compare measures both sides many times).
 */
export function compareOptions(c: SettingsReader): ProfileOptions {
  // A compare drives both sides itself, in interleaved rounds: load from elsewhere cannot alternate.
  const { durationMs: _ignored, load: from, ...load } = profileOptions(c);
  return from && from !== "external" ? { ...load, load: from } : load;
}

export function profileOptions(c: SettingsReader): ProfileOptions {
  const d = PROFILE_SETTINGS;
  const o: ProfileOptions = {
    durationMs: c.get("durationSeconds", d.durationSeconds) * 1000,
    warmupMs: c.get("warmupSeconds", d.warmupSeconds) * 1000,
    connections: c.get("connections", d.connections),
    workers: c.get("workers", d.workers),
    mode: c.get<RunMode>("mode", d.mode),
  };
  const budgets = c.get("budgets", "").trim();
  if (budgets) o.budgets = budgets;
  const rate = c.get("rate", d.rate);
  if (rate > 0) o.rate = rate;
  const load = c.get<string>("load", "auto");
  if (load !== "auto" && (LOAD_CHOICES as readonly string[]).includes(load)) o.load = load as LoadChoice;
  return o;
}
