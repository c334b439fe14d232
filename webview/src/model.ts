/**
 * The panel's copy of the process model: applies resets and deltas from the server and lays the
 * tree out as visible rows. Pure code (no DOM) so it is unit-tested in Node.
 *
 * Ended processes stay in the tree for a while as "ghost" rows (marked ended, under their last
 * parent), so a user sees what just went away and how; they are not counted as processes.
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
  /** An ended process kept in view for a while. */
  ended: boolean;
  /** Position among its siblings, 1-based, and their number (aria-posinset, aria-setsize). */
  pos: number;
  siblings: number;
  /** With a filter: shown only because a descendant matches. */
  context: boolean;
}

/** How long an ended process stays in the tree (by the server's clock: EndInfo.at vs takenAt). */
export const GHOST_MS: Record<Snapshot['scope'], number> = { program: 5 * 60_000, system: 15_000 };
/** At most this many ghost rows (newest win). */
export const GHOST_MAX = 100;
/** How many ended processes the panel remembers for the "Recently ended" list. */
export const ENDED_KEEP = 200;

export class ClientModel {
  /** Live processes. */
  readonly byKey = new Map<string, ProcessInfo>();
  /** Recently ended processes, newest last. */
  ended: ProcessInfo[] = [];
  seq = -1;
  /** Server time of the newest snapshot or delta (ms). */
  now = 0;
  status: StatusInfo | null = null;
  scope: Snapshot['scope'] = 'program';
  watchLabel: string | null = null;
  /** Set when a change moved processes around: rows must be laid out again. */
  private structureDirty = true;
  private children = new Map<string, ProcessInfo[]>();
  private roots: ProcessInfo[] = [];
  /** Ended processes shown in the tree, by key. */
  private ghosts = new Map<string, ProcessInfo>();
  private cachedRows: Row[] | null = null;
  private cachedSignature = '';

  reset(s: Snapshot): void {
    this.byKey.clear();
    for (const p of s.processes) this.byKey.set(p.key, p);
    this.ended = s.ended.slice(-ENDED_KEEP);
    this.seq = s.seq;
    this.now = s.takenAt;
    this.scope = s.scope;
    this.watchLabel = s.watch?.label ?? null;
    this.structureDirty = true;
    this.updateGhosts();
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
    if (d.ended.length) {
      // A late report can correct an end already received (its exit status): replace, do not repeat.
      const again = new Set(d.ended.map((p) => p.key));
      this.ended = this.ended.filter((p) => !again.has(p.key)).concat(d.ended).slice(-ENDED_KEEP);
    }
    this.seq = d.seq;
    this.now = d.takenAt;
    this.updateGhosts();
    return true;
  }

  /** A live process, or an ended one the panel still remembers. */
  get(key: string): ProcessInfo | undefined {
    return this.byKey.get(key) ?? this.ghosts.get(key) ?? this.findEnded(key);
  }

  isEnded(key: string): boolean {
    return !this.byKey.has(key) && this.get(key) !== undefined;
  }

  private findEnded(key: string): ProcessInfo | undefined {
    for (let i = this.ended.length - 1; i >= 0; i--) if (this.ended[i].key === key) return this.ended[i];
    return undefined;
  }

  /** Recomputes which ended processes are shown in the tree; marks the layout dirty if that changed. */
  private updateGhosts(): void {
    const keep = GHOST_MS[this.scope];
    const next = new Map<string, ProcessInfo>();
    for (let i = this.ended.length - 1; i >= 0 && next.size < GHOST_MAX; i--) {
      const p = this.ended[i];
      if (this.byKey.has(p.key) || next.has(p.key)) continue;
      if (this.now - (p.ended?.at ?? this.now) > keep) break; // newest last: the rest are older
      next.set(p.key, p);
    }
    let same = next.size === this.ghosts.size;
    if (same) for (const k of next.keys()) if (!this.ghosts.has(k)) same = false;
    this.ghosts = next;
    if (!same) this.structureDirty = true;
  }

  private layout(): void {
    if (!this.structureDirty) return;
    this.structureDirty = false;
    this.cachedRows = null;
    // Pids are reused: a live process looks for a live parent first, an ended one for an ended
    // parent first (the process that had that pid when it ran).
    const livePid = new Map<number, ProcessInfo>();
    const ghostPid = new Map<number, ProcessInfo>();
    for (const p of this.byKey.values()) livePid.set(p.pid, p);
    for (const p of this.ghosts.values()) ghostPid.set(p.pid, p);
    this.children = new Map();
    this.roots = [];
    const place = (p: ProcessInfo, ghost: boolean) => {
      const parent = p.ppid === p.pid ? undefined : ghost ? ghostPid.get(p.ppid) ?? livePid.get(p.ppid) : livePid.get(p.ppid) ?? ghostPid.get(p.ppid);
      if (parent && parent !== p) {
        const list = this.children.get(parent.key);
        if (list) list.push(p);
        else this.children.set(parent.key, [p]);
      } else this.roots.push(p);
    };
    for (const p of this.byKey.values()) place(p, false);
    for (const p of this.ghosts.values()) place(p, true);
    // Garbage data (a ppid cycle) must not hide processes: whatever the roots do not reach becomes a root.
    const reached = new Set<string>();
    const stack = this.roots.slice();
    while (stack.length) {
      const p = stack.pop()!;
      if (reached.has(p.key)) continue;
      reached.add(p.key);
      const kids = this.children.get(p.key);
      if (kids) for (const k of kids) stack.push(k);
    }
    if (reached.size < this.byKey.size + this.ghosts.size) {
      const cut = (p: ProcessInfo) => {
        if (reached.has(p.key)) return;
        for (const [parentKey, kids] of this.children) {
          const i = kids.indexOf(p);
          if (i >= 0) {
            kids.splice(i, 1);
            if (!kids.length) this.children.delete(parentKey);
          }
        }
        this.roots.push(p);
        const again = [p];
        while (again.length) {
          const q = again.pop()!;
          if (reached.has(q.key)) continue;
          reached.add(q.key);
          for (const k of this.children.get(q.key) ?? []) again.push(k);
        }
      };
      for (const p of this.byKey.values()) cut(p);
      for (const p of this.ghosts.values()) cut(p);
    }
    const byPidOrder = (a: ProcessInfo, b: ProcessInfo) => a.pid - b.pid || a.startTicks - b.startTicks;
    this.roots.sort(byPidOrder);
    for (const l of this.children.values()) if (l.length > 1) l.sort(byPidOrder);
  }

  childrenOf(key: string): ProcessInfo[] {
    this.layout();
    return this.children.get(key) ?? [];
  }

  /** Number of ended processes shown as rows. */
  get ghostCount(): number {
    return this.ghosts.size;
  }

  /**
   * Visible rows, depth-first, children by pid (pstree order). `collapsed` holds keys the user
   * collapsed; with a filter, matching processes are shown with their ancestors.
   */
  rows(collapsed: ReadonlySet<string>, filter = ''): Row[] {
    this.layout();
    const f = filter.trim().toLowerCase();
    const signature = f ? '' : [...collapsed].join(',');
    // Field changes alone (CPU, memory, STAT) keep the layout: reuse it, unless a filter may match differently.
    if (!f && this.cachedRows && signature === this.cachedSignature) return this.cachedRows;
    const out: Row[] = [];
    let keep: Set<string> | null = null;
    const matched = new Set<string>();
    if (f) {
      keep = new Set();
      const parentOf = new Map<string, ProcessInfo>();
      for (const [k, kids] of this.children) {
        const parent = this.byKey.get(k) ?? this.ghosts.get(k);
        if (parent) for (const c of kids) parentOf.set(c.key, parent);
      }
      const consider = (p: ProcessInfo) => {
        if (String(p.pid) === f || p.name.toLowerCase().includes(f) || p.command.toLowerCase().includes(f)) {
          matched.add(p.key);
          for (let q: ProcessInfo | undefined = p; q && !keep!.has(q.key); q = parentOf.get(q.key)) keep!.add(q.key);
        }
      };
      for (const p of this.byKey.values()) consider(p);
      for (const p of this.ghosts.values()) consider(p);
    }
    const visit = (p: ProcessInfo, depth: number, pos: number, siblings: number) => {
      if (keep && !keep.has(p.key)) return;
      const kids = this.children.get(p.key) ?? [];
      const shown = keep ? kids.filter((k) => keep!.has(k.key)) : kids;
      const expanded = shown.length > 0 && (!collapsed.has(p.key) || !!keep);
      out.push({ key: p.key, depth, hasChildren: shown.length > 0, expanded, lastChild: pos === siblings, ended: !this.byKey.has(p.key), pos, siblings, context: !!keep && !matched.has(p.key) });
      if (expanded) for (let i = 0; i < shown.length; i++) visit(shown[i], depth + 1, i + 1, shown.length);
    };
    const roots = keep ? this.roots.filter((r) => keep!.has(r.key)) : this.roots;
    for (let i = 0; i < roots.length; i++) visit(roots[i], 0, i + 1, roots.length);
    this.cachedRows = f ? null : out;
    this.cachedSignature = signature;
    return out;
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Zombies and orphans among live processes (the header counts what the panel holds). */
  counts(): { zombies: number; orphans: number } {
    let zombies = 0;
    let orphans = 0;
    for (const p of this.byKey.values()) {
      if (p.zombie) zombies++;
      if (p.orphan) orphans++;
    }
    return { zombies, orphans };
  }
}
