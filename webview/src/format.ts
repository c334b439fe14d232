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
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`;
}

/** Control characters shown as escapes, so a hostile command line stays one readable line. */
export function visible(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' ? '\u21b5' : c === '\t' ? '\u21e5' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

const STATE_WORDS: Record<string, string> = { R: 'running', S: 'sleeping', D: 'in uninterruptible sleep', T: 'stopped', t: 'traced', Z: 'zombie state', X: 'dead', I: 'idle', P: 'parked', W: 'paging' };

/** What a screen reader says for a row: "pid 123 python3 zombie.py, sleeping, STAT S+, zombie". */
export function rowLabel(p: ProcessInfo, ended = false): string {
  let cmd = visible(p.command || p.name);
  if (cmd.length > 160) cmd = `${cmd.slice(0, 160)}…`;
  const what = cmd.includes(p.name) ? cmd : `${visible(p.name)}: ${cmd}`;
  const parts = [`pid ${p.pid} ${what}`];
  if (ended) parts.push(`ended, ${p.ended?.description ?? 'gone'}`);
  else {
    parts.push(STATE_WORDS[p.state] ?? p.state, `STAT ${p.stat}`);
    if (p.zombie) parts.push('zombie');
    if (p.orphan) parts.push('orphan');
    if (p.restricted) parts.push('restricted');
    if (p.blockedOn) parts.push(`blocked: ${p.blockedOn}`);
  }
  return parts.join(', ');
}

/**
 * The same text as visible(), as DOM nodes: escapes, the replacement character (bytes that were
 * not valid UTF-8) and unusual spaces get a marked span, so they stand out in the details pane.
 * Text nodes only: safe for any input.
 */
export function visibleNodes(s: string): DocumentFragment {
  const frag = document.createDocumentFragment();
  const re = /[\u0000-\u001f\u007f-\u009f\u00a0\u2000-\u200f\u2028\u2029\u202f\u205f\u3000\ufeff\ufffd]/g;
  let at = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    if (m.index > at) frag.appendChild(document.createTextNode(s.slice(at, m.index)));
    const c = m[0];
    const span = document.createElement('span');
    span.className = 'esc';
    span.textContent = c === '\ufffd' ? '\ufffd' : c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    span.title = c === '\ufffd' ? 'bytes that are not valid UTF-8' : `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    frag.appendChild(span);
    at = m.index + c.length;
  }
  if (at < s.length) frag.appendChild(document.createTextNode(s.slice(at)));
  return frag;
}

export function statTooltip(stat: string): string {
  return `STAT ${stat}\n${describeStat(stat)}`;
}
