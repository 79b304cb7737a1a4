// The load generators that run as their own process are bundles beside the CLI's (dist/daemon/*.js).
import { existsSync } from "node:fs";
import path from "node:path";
import { MoonscopeError } from "../../profile/errors";

/** dist/daemon/<name>.js next to the running bundle, or under the repo when run from source. */
export function bundledScript(name: string, what: string): string {
  const candidates = [path.resolve(__dirname, "..", "daemon", `${name}.js`), path.resolve(__dirname, "..", "..", "dist", "daemon", `${name}.js`)];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new MoonscopeError("MS_ERR_LOAD_MISSING", `${what} (dist/daemon/${name}.js) is missing; run \`npm run build\``);
  return found;
}
