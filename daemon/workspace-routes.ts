// Route handlers of every Lua file under a workspace, for the dashboard's route picker (the editor
// knows its open documents; the dashboard has only the folder).
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { RouteEntry } from "../protocol/lsp";
import { scanRoutes } from "./lsp/routes";

const SKIP = new Set(["node_modules", ".git", ".moonscope", "dist"]);
const MAX_FILES = 500;
const MAX_DEPTH = 6;
const MAX_BYTES = 1 << 20;

export function workspaceRoutes(root: string): RouteEntry[] {
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
  walk(root, 0);
  const out: RouteEntry[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const r of scanRoutes(text).routes) out.push({ uri: pathToFileURL(file).href, file, line: r.line, method: r.method, path: r.path, name: r.name });
  }
  return out;
}
