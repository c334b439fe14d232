/** Small formatting helpers shared by the tree and the details pane. */
import type { ProcessInfo } from '../../protocol/protocol';
import { describeStat } from '../../protocol/stat';

export function formatKb(kb: number): string {
  if (kb >= 1024 * 1024) return `${(kb / 1024 / 1024).toFixed(1)} GB`;
  if (kb >= 1024) return `${(kb / 1024).toFixed(1)} MB`;
  return `${kb} KB`;
}

export function formatCpu(pct: number): string {
  return `${pct.toFixed(pct >= 10 ? 0 : 1)}%`;
}

export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Control characters shown as escapes, so a hostile command line stays one readable line. */
export function visible(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' ? '\u21b5' : c === '\t' ? '\u21e5' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

const STATE_WORDS: Record<string, string> = { R: 'running', S: 'sleeping', D: 'in uninterruptible sleep', T: 'stopped', t: 'traced', Z: 'zombie state', X: 'dead', I: 'idle' };

/** What a screen reader says for a row. */
export function rowLabel(p: ProcessInfo): string {
  const parts = [`pid ${p.pid}`, p.name, visible(p.command), STATE_WORDS[p.state] ?? p.state, `STAT ${p.stat}`];
  if (p.zombie) parts.push('zombie');
  if (p.orphan) parts.push('orphan');
  if (p.restricted) parts.push('restricted');
  if (p.blockedOn) parts.push(`blocked: ${p.blockedOn}`);
  return parts.join(', ');
}

export function statTooltip(stat: string): string {
  return `STAT ${stat}\n${describeStat(stat)}`;
}
