// Flamegraph geometry, independent of how it is drawn (SVG here, a canvas in the webview).
import type { CallNode, CallTree } from "./calltree";

export interface FlameRect {
  /** Left edge, a fraction of the tree's total (0..1). */
  x: number;
  /** Width, a fraction of the tree's total. */
  w: number;
  /** 0 = the synthetic root ("all"), 1 = its children, ... */
  depth: number;
  node: CallNode;
}

/**
 * Left-heavy layout: children in order of total descending, left to right, each starting where
 * its previous sibling ended, a parent's self time to the right of its children. A rect narrower
 * than minWidthFraction (default 0.0005) is left out with its whole subtree. Rects come in
 * pre-order (a parent before its children), so within one depth they are in increasing x.
 * An empty tree has no rects. With a window (a horizontal slice, 0..1), rects wholly outside it are
 * left out with their subtrees (children lie within their parent), so a zoomed-in view costs what
 * it shows.
 */
export function layoutFlame(t: CallTree, opts: { minWidthFraction?: number; window?: { x0: number; x1: number } } = {}): FlameRect[] {
  const min = opts.minWidthFraction ?? 0.0005;
  const x0 = opts.window?.x0 ?? 0;
  const x1 = opts.window?.x1 ?? 1;
  const T = t.total;
  const out: FlameRect[] = [];
  if (!(T > 0)) return out;
  const work: FlameRect[] = [{ x: 0, w: t.root.total / T, depth: 0, node: t.root }];
  while (work.length) {
    const r = work.pop()!;
    if (r.w < min || !(r.w > 0) || r.x + r.w < x0 || r.x > x1) continue;
    out.push(r);
    const ch = r.node.children;
    if (ch.length === 0) continue;
    const sorted = isSortedDesc(ch) ? ch : ch.slice().sort((a, b) => b.total - a.total);
    let x = r.x;
    const kids: FlameRect[] = [];
    for (const c of sorted) {
      const w = c.total / T;
      if (w < min) break; // sorted: every later sibling is narrower still
      kids.push({ x, w, depth: r.depth + 1, node: c });
      x += w;
    }
    for (let i = kids.length - 1; i >= 0; i--) work.push(kids[i]);
  }
  return out;
}

function isSortedDesc(ch: CallNode[]): boolean {
  for (let i = 1; i < ch.length; i++) if (ch[i].total > ch[i - 1].total) return false;
  return true;
}
