// The median, and how far it can be trusted: a distribution-free interval from order statistics, for
// benchmark ratios whose spread on a shared VM is anything but normal.

/** The median (the mean of the middle two for an even count); 0 for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface MedianInterval {
  low: number;
  high: number;
  /** The chance that the interval holds the true median (at least `level` when there are enough values). */
  coverage: number;
}

/**
 * The narrowest interval between order statistics [x(r), x(n-r+1)] that holds the median with at
 * least `level` chance (each value falls below the median with chance 1/2, so the count below is
 * binomial). Too few values for that level: the whole range, with the coverage it has.
 */
export function medianInterval(xs: readonly number[], level = 0.95): MedianInterval {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { low: 0, high: 0, coverage: 0 };
  // below[j] = P(Binomial(n, 1/2) <= j)
  let term = 0.5 ** n;
  let cum = term;
  let r = 1;
  let coverage = 1 - 2 * cum;
  for (let j = 1; j < n / 2; j++) {
    term = (term * (n - j + 1)) / j;
    const next = cum + term;
    if (1 - 2 * next < level) break;
    cum = next;
    r = j + 1;
    coverage = 1 - 2 * cum;
  }
  if (coverage < level) return { low: s[0], high: s[n - 1], coverage: Math.max(0, coverage) };
  return { low: s[r - 1], high: s[n - r], coverage };
}
