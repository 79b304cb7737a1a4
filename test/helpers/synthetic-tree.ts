// A large call tree shaped like real profiles (a few wide paths, a long tail of narrow ones), for the
// panel's size tests and the panel bench. Deterministic: the same seed gives the same tree.
import { CallTreeBuilder, nodeCount, type CallTree } from "../../profile/calltree";
import type { Frame, FrameKind } from "../../profile/frames";

export function syntheticTree(targetNodes: number, seed = 42): CallTree {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const kinds: FrameKind[] = ["lua", "lua", "lua-c", "js-app", "server-core", "node", "native"];
  const frames: Frame[] = [];
  for (let i = 0; i < 400; i++) frames.push({ name: `fn_${i}`, file: i % 2 ? "app.lua" : "lib/util.lua", line: 1 + i, kind: kinds[i % kinds.length] });
  const stages: Frame[] = ["parse", "extract", "context", "handler", "serialize", "write"].map((n) => ({ name: `[${n}]`, kind: "stage" }));
  const b = new CallTreeBuilder();
  let n = 0;
  while (true) {
    for (let k = 0; k < 2000; k++) {
      // Zipf-like choices: low indexes are picked far more often, so some paths grow wide.
      const pick = (m: number) => Math.min(m - 1, Math.floor(m * rnd() ** 3));
      const depth = 3 + Math.floor(rnd() * 18);
      const stack: Frame[] = [stages[pick(stages.length)]];
      for (let d = 0; d < depth; d++) stack.push(frames[pick(frames.length)]);
      b.add(stack, 1 + Math.floor(rnd() * 2500));
    }
    const t = b.build();
    n = nodeCount(t);
    if (n >= targetNodes) return t;
  }
}
