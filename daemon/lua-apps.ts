// The Lua apps of a workspace, read from disk without running them: which files are app entries
// (the file `moonscope profile` loads), which modules each one requires, and every route handler
// with the file and line that define it, in the app's own file or in a module it requires. The
// language server puts lenses on handlers in modules with this, the dashboard lists routes, and a
// "Profile" on a handler in a module profiles the app that requires it.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { RouteEntry } from "../protocol/lsp";
import { scanLua, type FileScan, type ScannedRoute } from "./lsp/routes";
import { searchPath } from "../server-core/lua/modules";

const SKIP = new Set(["node_modules", ".git", ".moonscope", "dist"]);
const MAX_FILES = 500;
const MAX_DEPTH = 6;
const MAX_BYTES = 1 << 20;

/** A route handler where it is defined, and the app entry that serves it. */
export interface AppRoute extends ScannedRoute {
  /** The file that defines the handler. */
  file: string;
  /** The app entry that serves the route. */
  appFile: string;
}

/** One Lua file of the workspace, scanned; rescanned when its size or mtime changes. */
interface Scanned {
  stamp: string;
  scan: FileScan;
}

export class LuaWorkspace {
  private readonly root: string;
  private readonly scans = new Map<string, Scanned>();
  /** entries() for a second: lenses and diagnostics ask for it on every refresh. */
  private entriesMemo: { at: number; entries: string[] } | null = null;
  /** Text of open editor buffers, which win over the disk. */
  private overlay: (file: string) => string | undefined = () => undefined;
  /** The last scan of each open buffer, with the text it was made from. */
  private readonly bufferScans = new Map<string, { text: string; scan: FileScan }>();

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** Buffers the editor has open are read from here instead of the disk. */
  setOverlay(get: (file: string) => string | undefined): void {
    this.overlay = get;
  }

  /** Forget what is known of the app structure (a file was saved, created or deleted). */
  invalidate(): void {
    this.entriesMemo = null;
  }

  /** Every .lua file under the root (bounded: 500 files, 6 levels, 1 MiB each). */
  files(): string[] {
    const files: string[] = [];
    const walk = (dir: string, depth: number) => {
      if (depth > MAX_DEPTH || files.length >= MAX_FILES) return;
      let names: string[];
      try {
        names = readdirSync(dir).sort();
      } catch {
        return;
      }
      for (const name of names) {
        if (SKIP.has(name) || name.startsWith(".")) continue;
        const p = path.join(dir, name);
        let st;
        try {
          st = statSync(p);
        } catch {
          continue;
        }
        if (st.isDirectory()) walk(p, depth + 1);
        else if (name.endsWith(".lua") && st.size <= MAX_BYTES && files.length < MAX_FILES) files.push(p);
      }
    };
    walk(this.root, 0);
    return files;
  }

  scan(file: string): FileScan | null {
    const open = this.overlay(file);
    if (open !== undefined) {
      // An open buffer is parsed once per text, not once per lens request or per lookup of a request.
      const hit = this.bufferScans.get(file);
      if (hit && hit.text === open) return hit.scan;
      const scan = scanLua(open);
      this.bufferScans.set(file, { text: open, scan });
      return scan;
    }
    this.bufferScans.delete(file);
    let stamp: string;
    try {
      const st = statSync(file);
      if (!st.isFile() || st.size > MAX_BYTES) return null;
      stamp = `${st.mtimeMs}:${st.size}`;
    } catch {
      return null;
    }
    const hit = this.scans.get(file);
    if (hit && hit.stamp === stamp) return hit.scan;
    let scan: FileScan;
    try {
      scan = scanLua(readFileSync(file, "utf8"));
    } catch {
      return null;
    }
    this.scans.set(file, { stamp, scan });
    return scan;
  }

  /** The file module `name` resolves to for an app in appDir (its folder: ?.lua, ?/init.lua), if it is in the workspace. */
  private resolve(name: string, appDir: string): string | null {
    const r = searchPath(name, [path.join(appDir, "?.lua"), path.join(appDir, "?", "init.lua")]);
    return "file" in r ? r.file : null;
  }

  /** The files an app entry loads: itself and every module it requires, transitively (as far as literal names tell). */
  closure(entry: string): string[] {
    const appDir = path.dirname(entry);
    const seen = new Set<string>([entry]);
    const queue = [entry];
    while (queue.length > 0) {
      const f = queue.shift()!;
      for (const m of this.scan(f)?.requires ?? []) {
        const file = this.resolve(m, appDir);
        if (file && !seen.has(file)) {
          seen.add(file);
          queue.push(file);
        }
      }
    }
    return [...seen];
  }

  /** Routes of the app whose entry is `entry`, each at the file and line that define its handler. */
  appRoutes(entry: string): AppRoute[] {
    const appDir = path.dirname(entry);
    const out: AppRoute[] = [];
    for (const file of this.closure(entry)) {
      const scan = this.scan(file);
      if (!scan) continue;
      for (const r of scan.routes) out.push({ ...r, file, appFile: entry });
      for (const l of scan.linked) {
        const target = this.resolve(l.module, appDir);
        const line = target ? this.scan(target)?.exported.get(l.field) : undefined;
        const { module: _m, field: _f, ...route } = l;
        void _m;
        void _f;
        if (target && line !== undefined) out.push({ ...route, line, character: 0, endCharacter: 0, file: target, appFile: entry });
        else out.push({ ...route, file, appFile: entry });
      }
    }
    return out;
  }

  /**
   * App entries: files no other file of the workspace requires, whose app has at least one route
   * (or that call rover.server).
   */
  entries(): string[] {
    const now = Date.now();
    if (this.entriesMemo && now - this.entriesMemo.at < 1000) return this.entriesMemo.entries;
    const entries = this.findEntries();
    this.entriesMemo = { at: now, entries };
    return entries;
  }

  private findEntries(): string[] {
    const files = this.files();
    const required = new Set<string>();
    const closures = new Map<string, string[]>();
    for (const f of files) {
      const c = this.closure(f);
      closures.set(f, c);
      for (const m of c) if (m !== f) required.add(m);
    }
    return files.filter((f) => {
      if (required.has(f)) return false;
      if (this.scan(f)?.createsApp) return true;
      return closures.get(f)!.some((m) => {
        const s = this.scan(m);
        return !!s && (s.routes.length > 0 || s.linked.length > 0);
      });
    });
  }

  /**
   * The app entry that serves a handler defined in `file`: the file itself when it is an entry,
   * else the entry whose app requires it (the nearest one when several do), else null.
   */
  entryFor(file: string): string | null {
    const f = path.resolve(file);
    const entries = this.entries();
    if (entries.includes(f)) return f;
    const owners = entries.filter((e) => this.closure(e).includes(f));
    if (owners.length === 0) return null;
    const depth = (e: string) => path.relative(path.dirname(e), f).split(path.sep).filter((s) => s === "..").length;
    owners.sort((a, b) => depth(a) - depth(b) || a.localeCompare(b));
    return owners[0];
  }

  /** Every route of every app of the workspace, for the dashboard's picker. */
  routes(): RouteEntry[] {
    const out: RouteEntry[] = [];
    for (const entry of this.entries()) {
      for (const r of this.appRoutes(entry)) out.push({ uri: pathToFileURL(r.file).href, file: r.file, appFile: entry, line: r.line, method: r.method, path: r.path, name: r.name });
    }
    return out;
  }

  /** Handlers defined in `file`, whether its own `function api...` or a module function an app points a route at. */
  routesDefinedIn(file: string): AppRoute[] {
    const f = path.resolve(file);
    const out: AppRoute[] = [];
    const seen = new Set<string>();
    const add = (r: AppRoute) => {
      const key = `${r.method} ${r.path}:${r.line}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(r);
      }
    };
    const entry = this.entryFor(f) ?? f;
    for (const r of this.appRoutes(entry)) if (r.file === f) add(r);
    // Handlers the file defines itself count even when no app in the workspace requires it yet.
    for (const r of this.scan(f)?.routes ?? []) add({ ...r, file: f, appFile: entry });
    return out.sort((a, b) => a.line - b.line);
  }
}

const workspaces = new Map<string, LuaWorkspace>();
/** One LuaWorkspace per root folder, shared by the language server, the dashboard and the session hub (scans are cached). */
export function luaWorkspace(root: string): LuaWorkspace {
  const key = path.resolve(root);
  let w = workspaces.get(key);
  if (!w) {
    w = new LuaWorkspace(key);
    workspaces.set(key, w);
  }
  return w;
}
