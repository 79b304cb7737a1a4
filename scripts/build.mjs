// One esbuild bundle per process entry; `tsc -b` only type-checks (see ARCHITECTURE.md).
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";

const watch = process.argv.includes("--watch");
rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });

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

await Promise.all([
  build({ ...node, entryPoints: { "cli/moonscope": "cli/main.ts" }, outdir: "dist" }),
  build({ ...node, entryPoints: { "server-core/worker": "server-core/worker-main.ts" }, outdir: "dist" }),
  build({ ...node, entryPoints: { "daemon/open-loop": "daemon/load/open-loop-main.ts" }, outdir: "dist" }),
  // The VS Code extension host provides `vscode`; everything else is bundled in.
  build({ ...node, entryPoints: { "extension/extension": "extension/extension.ts" }, outdir: "dist", external: ["vscode"] }),
  // The panel: one browser bundle for VS Code's webview and the daemon's dashboard page.
  build({ bundle: true, platform: "browser", target: "chrome114", format: "iife", sourcemap: "linked", minify: true, logLevel: "warning", entryPoints: { "webview/panel": "webview/main.ts" }, outdir: "dist" }),
]);
mkdirSync(new URL("../dist/webview", import.meta.url), { recursive: true });
copyFileSync(new URL("../webview/panel.css", import.meta.url), new URL("../dist/webview/panel.css", import.meta.url));
if (!watch) console.log("built dist/");
