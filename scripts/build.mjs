// One esbuild bundle per process entry; `tsc -b` only type-checks (see ARCHITECTURE.md).
import { build } from "esbuild";
import { rmSync } from "node:fs";

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
]);
if (!watch) console.log("built dist/");
