// Where a profile frame's source is on disk: a JavaScript frame names an absolute path or file: URL;
// a Lua frame names its chunk (the app file's base name, or a module path), found next to the app;
// a Moonscope server frame names its TypeScript source (server-core/worker.ts), found in the
// Moonscope folder when its sources are there (a checkout; a packaged install has none).
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export function resolveSource(file: string, appFile: string | undefined, moonscopeRoot?: string): string | null {
  let f = file;
  if (f.startsWith("file:")) {
    try {
      f = fileURLToPath(f);
    } catch {
      return null;
    }
  }
  const isFile = (p: string) => fs.existsSync(p) && fs.statSync(p).isFile();
  if (path.isAbsolute(f)) return isFile(f) ? f : null;
  for (const base of [appFile ? path.dirname(appFile) : null, f.endsWith(".ts") ? moonscopeRoot : null]) {
    if (base && isFile(path.join(base, f))) return path.join(base, f);
  }
  return null;
}
