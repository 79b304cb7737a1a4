// The Lua definitions Moonscope ships for the Lua language server (LuaLS): the folder they are in
// (beside package.json) and how a .luarc.json names it. Shared by `moonscope init` and the
// extension's offer, pure so both can be tested without an editor.
import { MoonscopeError } from "../profile/errors";

/** The definitions' folder in the package: moonscope.lua (api, ctx, rover), cjson.lua, cjson/safe.lua. */
export const LUA_LIBRARY_DIR = "library";

/** The LuaLS key (in .luarc.json, and `Lua.workspace.library` in VS Code's settings) listing library folders. */
export const LUARC_LIBRARY_KEY = "workspace.library";

/** Whether a library list already names the folder (written with either kind of slash, or a trailing one). */
export function namesLibrary(list: readonly unknown[], folder: string): boolean {
  const norm = (p: string) => p.replace(/\\/g, "/").replace(/\/+$/, "");
  return list.some((x) => typeof x === "string" && norm(x) === norm(folder));
}

/** Another installed version's library folder (VS Code names extension folders <publisher>.<name>-<version>). */
const OTHER_VERSION = /[\\/]moonscope\.moonscope-[^\\/]+[\\/]library[\\/]?$/;

/**
 * A library list (VS Code's `Lua.workspace.library`) that names `folder`: added at the end, with the
 * folders of other installed versions of the extension dropped (an update must not leave two
 * definitions of `api` behind). Null when the list needs no change.
 */
export function withLibrary(list: readonly unknown[], folder: string): unknown[] | null {
  const kept = list.filter((p) => !(typeof p === "string" && OTHER_VERSION.test(p) && !namesLibrary([p], folder)));
  if (namesLibrary(kept, folder)) return kept.length === list.length ? null : kept;
  return [...kept, folder];
}

/**
 * A .luarc.json's text with `folder` added to its library list (both the flat "workspace.library"
 * key and the nested {"workspace": {"library": []}} form are read; the one the file uses is kept),
 * every other key as it was. `existing` null: a new file. Answers `changed: false` when the folder
 * is there already. A file that is not a JSON object is refused, never overwritten.
 */
export function mergeLuarc(existing: string | null, folder: string, file = ".luarc.json"): { text: string; changed: boolean } {
  let doc: Record<string, unknown> = {};
  if (existing !== null && existing.trim() !== "") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(existing);
    } catch (e) {
      throw new MoonscopeError("MS_ERR_LUARC", `${file} is not valid JSON (${(e as Error).message}); fix it or add "${folder}" to its "${LUARC_LIBRARY_KEY}" list yourself`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new MoonscopeError("MS_ERR_LUARC", `${file} is not a JSON object; fix it or add "${folder}" to its "${LUARC_LIBRARY_KEY}" list yourself`);
    }
    doc = parsed as Record<string, unknown>;
  }
  const nested = doc.workspace;
  const useNested = typeof nested === "object" && nested !== null && !Array.isArray(nested) && "library" in nested && !(LUARC_LIBRARY_KEY in doc);
  const holder = useNested ? (nested as Record<string, unknown>) : doc;
  const key = useNested ? "library" : LUARC_LIBRARY_KEY;
  const list = holder[key] ?? [];
  if (!Array.isArray(list)) throw new MoonscopeError("MS_ERR_LUARC", `${file}: "${useNested ? "workspace.library" : key}" is not a list; make it one (e.g. ["${folder}"])`);
  if (namesLibrary(list, folder)) return { text: existing ?? "", changed: false };
  holder[key] = [...list, folder];
  if (existing === null || existing.trim() === "") doc.$schema ??= "https://raw.githubusercontent.com/LuaLS/vscode-lua/master/setting/schema.json";
  return { text: JSON.stringify(doc, null, 2) + "\n", changed: true };
}
