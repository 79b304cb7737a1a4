// One esbuild bundle per process entry; `tsc -b` only type-checks (see ARCHITECTURE.md). Everything
// but wasmoon (which loads its glue.wasm from beside its own index.js) is bundled, so an installed
// Moonscope needs wasmoon and nothing else.
// The bundles are built into a fresh folder that then replaces dist/ in one rename, so a server,
// test or daemon running from dist/ never sees it half-written or missing.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = `${root}dist`;
const out = `${root}.dist-${process.pid}`;
rmSync(out, { recursive: true, force: true });

const node = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  sourcemap: "linked",
  // wasmoon loads its glue.wasm next to its own index.js, so it stays a runtime dependency.
  external: ["wasmoon"],
  logLevel: "warning",
};

try {
  await Promise.all([
    build({ ...node, entryPoints: { "cli/moonscope": "cli/main.ts" }, outdir: out }),
    build({ ...node, entryPoints: { "server-core/worker": "server-core/worker-main.ts" }, outdir: out }),
    // The Lua stack reader's thread, started by a worker (or a --single server) while it profiles.
    build({ ...node, entryPoints: { "server-core/lua-reader": "server-core/lua/stack-reader-thread.ts" }, outdir: out }),
    build({ ...node, entryPoints: { "daemon/open-loop": "daemon/load/open-loop-main.ts" }, outdir: out }),
    // autocannon's own process, with autocannon bundled in (an installed Moonscope has no copy of it).
    build({ ...node, entryPoints: { "daemon/autocannon": "daemon/load/autocannon-main.ts" }, outdir: out }),
    // The VS Code extension host provides `vscode`; everything else is bundled in.
    build({ ...node, entryPoints: { "extension/extension": "extension/extension.ts" }, outdir: out, external: ["vscode"] }),
    // The panel: one browser bundle for VS Code's webview and the daemon's dashboard page.
    build({ bundle: true, platform: "browser", target: "chrome114", format: "iife", sourcemap: "linked", minify: true, logLevel: "warning", entryPoints: { "webview/panel": "webview/main.ts" }, outdir: out }),
  ]);
  mkdirSync(`${out}/webview`, { recursive: true });
  copyFileSync(`${root}webview/panel.css`, `${out}/webview/panel.css`);
  // Swap: the old dist/ moves aside in one rename, the new one takes its name in another.
  const old = `${root}.dist-old-${process.pid}`;
  try {
    renameSync(dist, old);
  } catch {
    /* no dist/ yet */
  }
  renameSync(out, dist);
  rmSync(old, { recursive: true, force: true });
  console.log("built dist/");
} catch (e) {
  rmSync(out, { recursive: true, force: true });
  throw e;
}
