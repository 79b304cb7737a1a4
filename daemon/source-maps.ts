// Positions in Moonscope's own bundles (dist/server-core/worker.js, dist/cli/moonscope.js) back to
// the TypeScript they were built from, through the source maps esbuild writes beside them, so a
// server frame reads `runHandler (server-core/worker.ts:388)` in hot spots, exports and "open
// source", not a line of a 4000-line bundle. node:module's SourceMap reads the map; a profile's
// positions are not error stacks, so --enable-source-maps would not help.
import { statSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import path from "node:path";

interface LoadedMap {
  stamp: string;
  map: SourceMap;
  /** The map's folder and the Moonscope folder (the one that holds dist/): sources are made relative to it. */
  dir: string;
  root: string;
}

export class SourceMaps {
  private readonly maps = new Map<string, LoadedMap | null>();

  /** The original file and 1-based line of a 0-based position in a bundle, or null when it has no map or no mapping there. */
  original(bundle: string, line0: number, column0: number): { file: string; line: number } | null {
    const loaded = this.load(bundle);
    if (!loaded) return null;
    const entry = loaded.map.findEntry(line0, column0) as Partial<{ generatedLine: number; originalSource: string; originalLine: number }>;
    // findEntry answers the nearest mapping, even from another line: only the asked line counts.
    if (entry.generatedLine !== line0 || entry.originalSource === undefined || entry.originalLine === undefined) return null;
    const file = path.relative(loaded.root, path.resolve(loaded.dir, entry.originalSource)).split(path.sep).join("/");
    return { file, line: entry.originalLine + 1 };
  }

  private load(bundle: string): LoadedMap | null {
    const mapFile = `${bundle}.map`;
    let stamp: string;
    try {
      const st = statSync(mapFile);
      stamp = `${st.mtimeMs}:${st.size}`;
    } catch {
      this.maps.set(bundle, null);
      return null;
    }
    const hit = this.maps.get(bundle);
    if (hit && hit.stamp === stamp) return hit;
    try {
      const dir = path.dirname(mapFile);
      // dist/<folder>/x.js.map: the Moonscope folder is two up.
      const loaded = { stamp, map: new SourceMap(JSON.parse(readFileSync(mapFile, "utf8"))), dir, root: path.resolve(dir, "..", "..") };
      this.maps.set(bundle, loaded);
      return loaded;
    } catch {
      this.maps.set(bundle, null);
      return null;
    }
  }
}

/** One cache for the daemon and the CLI: a map is read once per bundle build. */
export const sourceMaps = new SourceMaps();
