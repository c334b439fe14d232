/** What every benchmark part measures and prints with: medians, milliseconds, verdicts, event-loop stalls. */

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
export const verdict = (ok: boolean) => (ok ? 'meets goal' : 'MISSES goal');

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
