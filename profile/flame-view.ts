// The flamegraph's horizontal view window: which slice [x0, x1] of the zoomed frame's width (0..1)
// fills the canvas. Wheel zoom keeps the point under the cursor still; a drag pans; both stay inside
// 0..1 and never narrower than MIN_SPAN (a few microseconds of a long run is noise, not detail).

export interface ViewWindow {
  x0: number;
  x1: number;
}

export const FULL_VIEW: ViewWindow = Object.freeze({ x0: 0, x1: 1 });
export const MIN_SPAN = 1e-5;

/** Zoomed by factor (> 1 zooms in) around at (0..1 across the canvas). */
export function zoomView(v: ViewWindow, factor: number, at: number): ViewWindow {
  const span = v.x1 - v.x0;
  const next = Math.min(1, Math.max(MIN_SPAN, span / factor));
  const anchor = v.x0 + span * Math.min(1, Math.max(0, at));
  return clampView({ x0: anchor - (anchor - v.x0) * (next / span), x1: anchor - (anchor - v.x0) * (next / span) + next });
}

/** Moved by dx, a fraction of the canvas width (positive: the content follows a drag to the right). */
export function panView(v: ViewWindow, dx: number): ViewWindow {
  const shift = -dx * (v.x1 - v.x0);
  return clampView({ x0: v.x0 + shift, x1: v.x1 + shift });
}

/** The window centred on c (0..1 of the whole), same span. */
export function centerView(v: ViewWindow, c: number): ViewWindow {
  const half = (v.x1 - v.x0) / 2;
  return clampView({ x0: c - half, x1: c + half });
}

/** Inside 0..1 with its span kept (the span itself is at most 1). */
export function clampView(v: ViewWindow): ViewWindow {
  const span = Math.min(1, Math.max(MIN_SPAN, v.x1 - v.x0));
  const x0 = Math.min(1 - span, Math.max(0, v.x0));
  return { x0, x1: x0 + span };
}

export function isFullView(v: ViewWindow): boolean {
  return v.x0 <= 0 && v.x1 >= 1;
}
