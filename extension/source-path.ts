// Where a profile frame's source is on disk: a JavaScript frame names an absolute path or file: URL;
// a Lua frame names its chunk (the app file's base name, or a module path), found next to the app.
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export function resolveSource(file: string, appFile: string | undefined): string | null {
  let f = file;
  if (f.startsWith("file:")) {
    try {
      f = fileURLToPath(f);
    } catch {
      return null;
    }
  }
  if (!path.isAbsolute(f)) {
    if (!appFile) return null;
    f = path.join(path.dirname(appFile), f);
  }
  return fs.existsSync(f) && fs.statSync(f).isFile() ? f : null;
}
