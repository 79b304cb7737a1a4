// Numbers as a person reads them in the panel: durations from microseconds, shares, rates.

export function duration(us: number): string {
  if (!Number.isFinite(us)) return "–";
  if (us >= 1_000_000) return `${(us / 1_000_000).toFixed(2)} s`;
  if (us >= 1000) return `${(us / 1000).toFixed(us >= 100_000 ? 0 : 2)} ms`;
  return `${us.toFixed(us >= 100 ? 0 : 1)} µs`;
}

export function share(s: number): string {
  if (!Number.isFinite(s)) return "–";
  const p = s * 100;
  return `${p.toFixed(p >= 10 || p === 0 ? 1 : 2)}%`;
}

export function signedShare(s: number): string {
  return `${s > 0 ? "+" : s < 0 ? "−" : "±"}${share(Math.abs(s))}`;
}

export function signedRelative(r: number): string {
  if (!Number.isFinite(r)) return "–";
  return `${r > 0 ? "+" : r < 0 ? "−" : "±"}${Math.abs(r * 100).toFixed(1)}%`;
}

export function rate(rps: number): string {
  if (!Number.isFinite(rps)) return "–";
  return rps >= 10_000 ? `${(rps / 1000).toFixed(1)}k` : rps >= 1000 ? `${(rps / 1000).toFixed(2)}k` : rps.toFixed(0);
}

export function bytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} KiB`;
  return `${n} B`;
}
