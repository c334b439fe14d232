/**
 * The live side of the language features: the server's channels as the client last saw them
 * (updates merged by id, as the panel does), matched to source lines by where each was created,
 * and told as Markdown for hovers and as short labels for inlay hints.
 */
import { realpathSync } from 'node:fs';
import { basename, isAbsolute } from 'node:path';
import type { ChannelInfo, ChannelsUpdate, MessageInfo } from '../../../protocol/protocol';

export class LiveChannels {
  private readonly byId = new Map<string, ChannelInfo>();

  apply(u: ChannelsUpdate): void {
    if (u.full) this.byId.clear();
    for (const id of u.removed) this.byId.delete(id);
    for (const c of u.channels) this.byId.set(c.id, c);
  }

  get size(): number {
    return this.byId.size;
  }

  /** Channels created in `file` on a line in [firstLine, lastLine] (1-based). */
  createdAt(file: string, firstLine: number, lastLine = firstLine): ChannelInfo[] {
    const out: ChannelInfo[] = [];
    for (const c of this.byId.values()) {
      const loc = parseLoc(c.createdAt);
      if (loc && loc.line >= firstLine && loc.line <= lastLine && sameFile(loc.file, file)) out.push(c);
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }
}

export function parseLoc(loc: string): { file: string; line: number } | null {
  const i = loc.lastIndexOf(':');
  if (i <= 0) return null;
  const line = Number(loc.slice(i + 1));
  return Number.isInteger(line) && line > 0 ? { file: loc.slice(0, i), line } : null;
}

/** The runtime reports the path Python ran (absolute, or relative to its cwd); links may differ. */
function sameFile(reported: string, file: string): boolean {
  if (reported === file) return true;
  if (!isAbsolute(reported)) return file.endsWith(`/${reported.replace(/^\.\//, '')}`);
  return basename(reported) === basename(file) && realPath(reported) === realPath(file);
}

function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Text shown as itself in Markdown (no emphasis, links, code or HTML). */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>&~]/g, (ch) => `\\${ch}`);
}

/** A fenced block that no backtick run inside `text` can close. */
export function fenced(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}text\n${text}\n${fence}`;
}

const pids = (p: number[]) => (p.length ? `pid${p.length > 1 ? 's' : ''} ${p.slice(0, 8).join(', ')}${p.length > 8 ? ', …' : ''}` : 'no process yet');
const oneLine = (s: string, n = 120) => {
  const t = s.replace(/\s+/g, ' ');
  return t.length > n ? `${t.slice(0, n)}…` : t;
};
const message = (m: MessageInfo) => `${m.op} by pid ${m.pid}: ${oneLine(m.preview)}${m.truncated ? ` (${m.size} bytes)` : ''}`;

/** A short live label: "depth 3/10", "= 42", "owned by 1234". */
export function liveLabel(c: ChannelInfo): string {
  switch (c.kind) {
    case 'queue':
    case 'pipe':
    case 'socket':
      return `depth ${c.depth ?? '?'}${c.maxsize ? `/${c.maxsize}` : ''} · ${c.written} in · ${c.read} out`;
    case 'shared': {
      const v = c.values;
      if (v && c.length === 1) return `= ${oneLine(v[0], 40)} · ${c.writes} writes`;
      if (v) return `= [${oneLine(v.slice(0, 8).join(', '), 60)}${v.length > 8 || c.length > v.length ? ', …' : ''}] · ${c.writes} writes`;
      return `${c.size} bytes · ${c.writes} writes`;
    }
    case 'sync':
      return c.flag !== null ? `flag ${c.flag ? 'set' : 'clear'}` : `value ${c.value ?? '?'}${c.owners.length ? ` · held by ${c.owners.map((o) => o.pid).join(', ')}` : ''}${c.waiters.length ? ` · ${c.waiters.length} waiting` : ''}`;
    case 'manager':
      return oneLine(c.state || `${c.calls} calls`, 60);
    case 'pool':
      return `${c.processes ?? '?'} workers`;
  }
}

/** What a hover says about a live channel, as Markdown (user data only inside fenced blocks). */
export function liveMarkdown(c: ChannelInfo): string {
  const head = `**Live** ${escapeMarkdown(c.type)} — ${escapeMarkdown(liveLabel(c))} — used by ${pids(c.holders)}`;
  const lines: string[] = [];
  switch (c.kind) {
    case 'queue':
    case 'pipe':
    case 'socket':
      if (c.pending.length) lines.push(`waiting in it (${c.pending.length}):`, ...c.pending.slice(-5).map(message));
      if (c.recent.length) lines.push('last messages:', ...c.recent.slice(-5).map(message));
      break;
    case 'shared':
      if (c.values && c.length > 1) lines.push(`values: [${c.values.join(', ')}]`);
      for (const w of c.recent.slice(-5)) lines.push(`write by pid ${w.pid}: ${oneLine(w.value, 60)}`);
      if (!c.values && c.imageKnown) lines.push(`bytes: ${c.image.slice(0, 64).replace(/(..)/g, '$1 ').trim()}`);
      break;
    case 'sync':
      for (const op of c.recent.slice(-5)) lines.push(`${op.op} by pid ${op.pid}`);
      break;
    case 'manager':
      if (c.state) lines.push(oneLine(c.state, 400));
      break;
    case 'pool':
      break;
  }
  return lines.length ? `${head}\n\n${fenced(lines.join('\n'))}` : head;
}
