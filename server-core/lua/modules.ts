// Where `require` finds a module: Lua's own rules (package.path templates, "." in a name becomes
// "/", ";;" means the default path), with the app's folder searched first, read from the host's
// file system. The Lua state runs in WebAssembly, whose own file system is an empty in-memory one,
// so Lua's stock searchers would never find anything; package.searchers gets ours instead.
import { readFileSync, statSync } from "node:fs";
import path from "node:path";

/** Lua 5.4's compiled-in package.path (luaconf.h), plus Debian's /usr/share/lua/5.4 where apt puts pure-Lua libraries. */
export const DEFAULT_LUA_PATH: readonly string[] = [
  "/usr/local/share/lua/5.4/?.lua",
  "/usr/local/share/lua/5.4/?/init.lua",
  "/usr/local/lib/lua/5.4/?.lua",
  "/usr/local/lib/lua/5.4/?/init.lua",
  "/usr/share/lua/5.4/?.lua",
  "/usr/share/lua/5.4/?/init.lua",
  "./?.lua",
  "./?/init.lua",
];

const MULTIARCH: Record<string, string> = { x64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu", arm: "arm-linux-gnueabihf" };

/** Where C modules (.so) live. They cannot run in WebAssembly; these paths only let the error name the file that was found. */
export const DEFAULT_LUA_CPATH: readonly string[] = [
  "/usr/local/lib/lua/5.4/?.so",
  ...(MULTIARCH[process.arch] ? [`/usr/lib/${MULTIARCH[process.arch]}/lua/5.4/?.so`] : []),
  "/usr/lib/lua/5.4/?.so",
  "/usr/local/lib/lua/5.4/loadall.so",
  "./?.so",
];

export interface ModuleSearchOptions {
  /** The app file's folder: searched first (?.lua, ?/init.lua). */
  appDir: string;
  /** --lua-path: a package.path-style list, searched after the app's folder. */
  luaPath?: string;
  env?: NodeJS.ProcessEnv;
}

export interface ModuleSearch {
  appDir: string;
  /** Templates in search order, as package.path shows them. */
  path: string[];
  cpath: string[];
}

/** "a;;b" → a, the default list, b (Lua's rule for LUA_PATH); empty entries stand for the default. */
function expand(list: string, defaults: readonly string[]): string[] {
  const out: string[] = [];
  for (const entry of list.split(";")) {
    if (entry === "") out.push(...defaults);
    else out.push(entry);
  }
  return out;
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

export function moduleSearch(o: ModuleSearchOptions): ModuleSearch {
  const env = o.env ?? process.env;
  const appDir = path.resolve(o.appDir);
  const fromEnv = env.LUA_PATH_5_4 ?? env.LUA_PATH;
  const fromEnvC = env.LUA_CPATH_5_4 ?? env.LUA_CPATH;
  return {
    appDir,
    path: unique([
      path.join(appDir, "?.lua"),
      path.join(appDir, "?", "init.lua"),
      ...(o.luaPath ? expand(o.luaPath, DEFAULT_LUA_PATH) : []),
      ...(fromEnv !== undefined ? expand(fromEnv, DEFAULT_LUA_PATH) : DEFAULT_LUA_PATH),
    ]),
    cpath: unique([path.join(appDir, "?.so"), ...(fromEnvC !== undefined ? expand(fromEnvC, DEFAULT_LUA_CPATH) : DEFAULT_LUA_CPATH)]),
  };
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** package.searchpath: the first template that names an existing file, or every file tried. */
export function searchPath(name: string, templates: readonly string[], sep = ".", rep = "/"): { file: string } | { tried: string[] } {
  const n = sep === "" ? name : name.split(sep).join(rep);
  const tried: string[] = [];
  for (const t of templates) {
    const file = path.resolve(t.split("?").join(n));
    if (isFile(file)) return { file };
    tried.push(file);
  }
  return { tried };
}

export type ModuleLookup =
  | { kind: "lua"; file: string; chunkName: string; source: Buffer }
  | { kind: "c"; file: string }
  | { kind: "missing"; tried: string[] };

/** Finds module `name` the way Lua's file searchers would: a .lua file first, then a C module (which is reported, not loaded). */
export function findModule(name: string, search: ModuleSearch): ModuleLookup {
  const lua = searchPath(name, search.path);
  if ("file" in lua) return { kind: "lua", file: lua.file, chunkName: chunkNameOf(lua.file, search.appDir), source: readLuaSource(lua.file) };
  // Lua's C searchers try the whole name, then its root ("a" for "a.b", the all-in-one loader).
  const c = searchPath(name, search.cpath);
  if ("file" in c) return { kind: "c", file: c.file };
  const root = name.split(".")[0];
  if (root !== name) {
    const cr = searchPath(root, search.cpath);
    if ("file" in cr) return { kind: "c", file: cr.file };
  }
  return { kind: "missing", tried: [...lua.tried, ...c.tried] };
}

/**
 * The name a Lua file goes by in tracebacks, profiles and exports: its path relative to the app's
 * folder ("lib/util.lua"), or its absolute path when it lies outside ("/usr/share/lua/5.4/pl/utils.lua").
 */
export function chunkNameOf(file: string, appDir: string): string {
  const rel = path.relative(appDir, file);
  if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) return file;
  return rel.split(path.sep).join("/");
}

/** A Lua source file as luaL_loadfile reads it: a first line starting with "#" (a shebang) is skipped, keeping line numbers. */
export function readLuaSource(file: string): Buffer {
  const bytes = readFileSync(file);
  if (bytes[0] === 0x23 /* # */) {
    const nl = bytes.indexOf(0x0a);
    return nl < 0 ? Buffer.alloc(0) : bytes.subarray(nl);
  }
  return bytes;
}
