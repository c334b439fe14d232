/**
 * The panel's copy of the process model: applies resets and deltas from the server and lays the
 * tree out as visible rows. Pure code (no DOM) so it is unit-tested in Node.
 */
import type { ProcessDelta, ProcessInfo, Snapshot, StatusInfo } from '../../protocol/protocol';

/** A visible line of the tree. It holds the key, not the record: records are replaced by deltas. */
export interface Row {
  key: string;
  depth: number;
  hasChildren: boolean;
  expanded: boolean;
  /** Last among its siblings (for tree guides). */
  lastChild: boolean;
}

export class ClientModel {
  readonly byKey = new Map<string, ProcessInfo>();
  ended: ProcessInfo[] = [];
  seq = -1;
  status: StatusInfo | null = null;
  scope: Snapshot['scope'] = 'program';
  watchLabel: string | null = null;
  /** Set when a change moved processes around: rows must be laid out again. */
  private structureDirty = true;
  private children = new Map<string, ProcessInfo[]>();
  private roots: ProcessInfo[] = [];

  reset(s: Snapshot): void {
    this.byKey.clear();
    for (const p of s.processes) this.byKey.set(p.key, p);
    this.ended = s.ended.slice();
    this.seq = s.seq;
    this.scope = s.scope;
    this.watchLabel = s.watch?.label ?? null;
    this.structureDirty = true;
  }

  /** Applies a delta; returns false when it does not follow what we hold (ask for a reset). */
  apply(d: ProcessDelta): boolean {
    if (d.baseSeq !== this.seq) return false;
    for (const p of d.added) this.byKey.set(p.key, p);
    if (d.added.length) this.structureDirty = true;
    for (const p of d.changed) {
      const before = this.byKey.get(p.key);
      if (!before || before.ppid !== p.ppid) this.structureDirty = true;
      this.byKey.set(p.key, p);
    }
    for (const k of d.removed) if (this.byKey.delete(k)) this.structureDirty = true;
    if (d.ended.length) this.ended = [...this.ended, ...d.ended].slice(-200);
    this.seq = d.seq;
    return true;
  }

  private layout(): void {
    if (!this.structureDirty) return;
    this.structureDirty = false;
    const byPid = new Map<number, ProcessInfo>();
    for (const p of this.byKey.values()) byPid.set(p.pid, p);
    this.children = new Map();
    this.roots = [];
    for (const p of this.byKey.values()) {
      const parent = p.ppid !== p.pid ? byPid.get(p.ppid) : undefined;
      if (parent) {
        const list = this.children.get(parent.key);
        if (list) list.push(p);
        else this.children.set(parent.key, [p]);
      } else this.roots.push(p);
    }
    const byPidOrder = (a: ProcessInfo, b: ProcessInfo) => a.pid - b.pid;
    this.roots.sort(byPidOrder);
    for (const l of this.children.values()) l.sort(byPidOrder);
  }

  childrenOf(key: string): ProcessInfo[] {
    this.layout();
    return this.children.get(key) ?? [];
  }

  /**
   * Visible rows, depth-first. `collapsed` holds keys the user collapsed; with a filter, matching
   * processes are shown with their ancestors.
   */
  rows(collapsed: ReadonlySet<string>, filter = ''): Row[] {
    const wasDirty = this.structureDirty;
    this.layout();
    const signature = `${[...collapsed].join(',')}|${filter}`;
    // Field changes alone (CPU, memory, STAT) keep the layout: reuse it, unless a filter may match differently.
    if (!wasDirty && !filter && this.cachedRows && signature === this.cachedSignature) return this.cachedRows;
    const out: Row[] = [];
    const f = filter.trim().toLowerCase();
    let keep: Set<string> | null = null;
    if (f) {
      keep = new Set();
      const parentOf = new Map<string, ProcessInfo>();
      for (const [k, kids] of this.children) for (const c of kids) parentOf.set(c.key, this.byKey.get(k)!);
      for (const p of this.byKey.values()) {
        if (String(p.pid) === f || p.name.toLowerCase().includes(f) || p.command.toLowerCase().includes(f)) {
          for (let q: ProcessInfo | undefined = p; q && !keep.has(q.key); q = parentOf.get(q.key)) keep.add(q.key);
        }
      }
    }
    const visit = (p: ProcessInfo, depth: number, last: boolean) => {
      if (keep && !keep.has(p.key)) return;
      const kids = this.children.get(p.key) ?? [];
      const shown = keep ? kids.filter((k) => keep!.has(k.key)) : kids;
      const expanded = shown.length > 0 && (!collapsed.has(p.key) || !!keep);
      out.push({ key: p.key, depth, hasChildren: shown.length > 0, expanded, lastChild: last });
      if (expanded) shown.forEach((k, i) => visit(k, depth + 1, i === shown.length - 1));
    };
    const roots = keep ? this.roots.filter((r) => keep!.has(r.key)) : this.roots;
    roots.forEach((r, i) => visit(r, 0, i === roots.length - 1));
    this.cachedRows = out;
    this.cachedSignature = signature;
    return out;
  }

  private cachedRows: Row[] | null = null;
  private cachedSignature = '';

  get size(): number {
    return this.byKey.size;
  }
}
