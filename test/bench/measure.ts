/** What every benchmark part measures and prints with: medians, milliseconds, verdicts, event-loop stalls. */

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
export const verdict = (ok: boolean) => (ok ? 'meets goal' : 'MISSES goal');

/**
 * The ratio of each round's runs (a[i] ÷ b[i], run side by side): their range and median. On these
 * noisy machines one round's ratio can move by ±0.1; the range says how far a ratio of medians may.
 */
export function perRound(a: number[], b: number[]): string {
  const r = a.map((x, i) => x / b[i]).filter(Number.isFinite);
  if (!r.length) return '';
  return `per round ${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)}, median ${median(r).toFixed(2)} over ${r.length} rounds`;
}

/** Wall time of fn, ms. */
export async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** A full collection now (node --expose-gc), so that garbage an earlier measurement left is not collected during the next one. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Longest gap between 1 ms timer ticks while fn runs: how long the event loop was blocked. */
export async function longestStall(fn: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  await new Promise((r) => setTimeout(r, 5));
  last = performance.now();
  await fn();
  clearInterval(timer);
  worst = Math.max(worst, performance.now() - last - 1);
  return Math.max(0, worst);
}
