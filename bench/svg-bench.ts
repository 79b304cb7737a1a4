// SVG export of a large tree: a synthetic 50k-node call tree, exported as an interactive flamegraph.
import { CallTreeBuilder, nodeCount } from "../profile/calltree";
import { flamegraphSvg } from "../profile/flamegraph-svg";
import type { Frame } from "../profile/frames";

export function bigTree(nodes: number): ReturnType<CallTreeBuilder["build"]> {
  const b = new CallTreeBuilder();
  // A deterministic pseudo-random tree: wide near the root, deep in places, Lua and JS mixed.
  // mulberry32: integer math stays exact (a plain LCG in doubles loses bits and repeats early).
  let seed = 42;
  const rnd = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const stack: Frame[] = [];
  // Add stacks in batches until the tree has the requested number of nodes.
  while (nodeCount(b.build()) < nodes) {
    for (let k = 0; k < 2000; k++) {
      const depth = 1 + Math.floor(rnd() * 30);
      stack.length = 0;
      for (let d = 0; d < depth; d++) {
        const i = Math.floor(rnd() * (d < 3 ? 8 : 40));
        stack.push({ name: `fn_${d}_${i}`, file: d % 2 ? "app.lua" : "server-core/worker.js", line: 1 + i, kind: d % 2 ? "lua" : "server-core" });
      }
      b.add(stack, 1 + Math.floor(rnd() * 1000));
    }
  }
  return b.build();
}

export function svgBench(): Record<string, unknown> {
  const tree = bigTree(50_000);
  const n = nodeCount(tree);
  flamegraphSvg(tree, { title: "warm-up" });
  const t0 = performance.now();
  const svg = flamegraphSvg(tree, { title: "50k-node tree" });
  const ms = performance.now() - t0;
  const bytes = Buffer.byteLength(svg);
  console.log(`\nSVG export: ${n} nodes in ${ms.toFixed(0)} ms (target <= 1000), ${(bytes / 1048576).toFixed(2)} MB (target <= 5)`);
  return { svg: { nodes: n, ms, bytes } };
}
