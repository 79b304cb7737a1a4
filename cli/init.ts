// `moonscope init`: points the Lua language server at Moonscope's Lua definitions (library/) through
// the workspace's .luarc.json, which LuaLS reads in any editor (VS Code's extension offers the same
// through its settings).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { readArgs } from "./command";
import { writeFileAtomic } from "../daemon/runs/store";
import { MoonscopeError } from "../profile/errors";
import { LUA_LIBRARY_DIR, LUARC_LIBRARY_KEY, mergeLuarc } from "../protocol/lua-library";

export const INIT_HELP = `Usage: moonscope init [folder]

Adds Moonscope's Lua definitions (api, ctx, rover and cjson, for completion, hover and no
"undefined global api" warnings) to the Lua language server (LuaLS) of a workspace: writes
<folder>/.luarc.json (folder: the current one), or adds the definitions' folder to the
"${LUARC_LIBRARY_KEY}" list of the one there, keeping every other key. A .luarc.json that is not
a JSON object is left as it is, with an error (MS_ERR_LUARC).
`;

/** The installed package's library/ folder (beside dist/ in a package, or the checkout's). */
export function luaLibraryFolder(): string {
  const candidates = [path.resolve(__dirname, "..", "..", LUA_LIBRARY_DIR), path.resolve(__dirname, "..", LUA_LIBRARY_DIR)];
  const found = candidates.find((d) => existsSync(path.join(d, "moonscope.lua")));
  if (!found) throw new MoonscopeError("MS_ERR_USAGE", `Moonscope's Lua definitions (${LUA_LIBRARY_DIR}/moonscope.lua) are not beside this command (looked in ${candidates.join(", ")}); reinstall Moonscope`);
  return found;
}

export async function initCommand(argv: string[]): Promise<number> {
  const args = readArgs(argv, {}, INIT_HELP);
  if (!args) return 0;
  if (args.positionals.length > 1) throw new MoonscopeError("MS_ERR_USAGE", "init takes at most one folder");
  const folder = path.resolve(args.positionals[0] ?? ".");
  if (!existsSync(folder)) throw new MoonscopeError("MS_ERR_USAGE", `no folder ${folder}`);
  const file = path.join(folder, ".luarc.json");
  const existing = existsSync(file) ? readFileSync(file, "utf8") : null;
  const library = luaLibraryFolder();
  const { text, changed } = mergeLuarc(existing, library, file);
  if (!changed) {
    process.stdout.write(`${file} already names ${library}\n`);
    return 0;
  }
  writeFileAtomic(file, text);
  process.stdout.write(`${existing === null ? "wrote" : "updated"} ${file}: the Lua language server now reads Moonscope's definitions from ${library}\n`);
  return 0;
}
