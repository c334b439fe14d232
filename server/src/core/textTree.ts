/** pstree-like text rendering of a snapshot, for the CLI and for logs. */
import type { ProcessInfo } from '../../../protocol/protocol';

export interface TextTreeOptions {
  /** Max characters of a command line (0 = no limit). */
  width?: number;
  color?: boolean;
}

/** "1 process", "2 processes". */
export function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Builds parent → children lists; processes whose parent is not in the set are roots. */
export function buildForest(processes: ProcessInfo[]): { roots: ProcessInfo[]; children: Map<number, ProcessInfo[]> } {
  const pids = new Set(processes.map((p) => p.pid));
  const children = new Map<number, ProcessInfo[]>();
  const roots: ProcessInfo[] = [];
  for (const p of processes) {
    if (p.ppid !== p.pid && pids.has(p.ppid)) {
      const list = children.get(p.ppid);
      if (list) list.push(p);
      else children.set(p.ppid, [p]);
    } else roots.push(p);
  }
  const byPid = (a: ProcessInfo, b: ProcessInfo) => a.pid - b.pid;
  roots.sort(byPid);
  for (const list of children.values()) list.sort(byPid);
  return { roots, children };
}

/** Makes control characters visible so a hostile command line cannot break the layout. */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

export function renderTextTree(processes: ProcessInfo[], opts: TextTreeOptions = {}): string {
  const { roots, children } = buildForest(processes);
  const lines: string[] = [];
  const c = (code: string, s: string) => (opts.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const visit = (p: ProcessInfo, prefix: string, last: boolean, isRoot: boolean) => {
    const branch = isRoot ? '' : last ? '└─ ' : '├─ ';
    let cmd = printable(p.command);
    if (opts.width && cmd.length > opts.width) cmd = cmd.slice(0, opts.width - 1) + '…';
    const marks: string[] = [];
    if (p.zombie) marks.push(c('31', `[ZOMBIE] ${p.zombie.explanation} Fix: ${p.zombie.fix}`));
    if (p.orphan) marks.push(c('33', `[ORPHAN] ${p.orphan.explanation}`));
    if (p.restricted) marks.push(c('2', '[restricted]'));
    if (p.blockedOn) marks.push(c('2', `(${p.blockedOn})`));
    lines.push(`${prefix}${branch}${String(p.pid).padEnd(7)} ${p.stat.padEnd(5)} ${cmd}${marks.length ? '  ' + marks.join(' ') : ''}`);
    const kids = children.get(p.pid) ?? [];
    const childPrefix = isRoot ? prefix : prefix + (last ? '   ' : '│  ');
    kids.forEach((k, i) => visit(k, childPrefix, i === kids.length - 1, false));
  };
  roots.forEach((r, i) => visit(r, '', i === roots.length - 1, true));
  return lines.join('\n');
}
