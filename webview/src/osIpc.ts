/**
 * The kernel's view of IPC in the panel: deadlock alerts, the list of edges between processes, the
 * edge and blocked-on badges of tree rows, and the "Kernel IPC" section of a process's details.
 * Every value is set as text.
 */
import type { BlockedInfo, DeadlockInfo, OsIpcEdge, OsIpcObject, OsIpcUpdate } from '../../protocol/protocol';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Edges listed in the panel at most (the rest counted). */
const EDGES_SHOWN = 200;

export interface RowIpc {
  /** Badge text: "→13 ←12 ⇄14". */
  edges: string;
  /** One edge per line, for the tooltip. */
  edgesTitle: string;
  deadlock: DeadlockInfo | null;
  blocked: BlockedInfo | null;
}

export class OsIpcView {
  readonly element: HTMLElement;
  private readonly alerts: HTMLDivElement;
  private readonly edgesBox: HTMLDetailsElement;
  private readonly edgesSummary: HTMLElement;
  private readonly edgesList: HTMLUListElement;
  private update: OsIpcUpdate | null = null;
  private edgesByPid = new Map<number, OsIpcEdge[]>();
  private blockedByPid = new Map<number, BlockedInfo>();
  private deadlockByPid = new Map<number, DeadlockInfo>();
  private objectsById = new Map<string, OsIpcObject>();

  constructor(private readonly onPid: (pid: number) => void) {
    this.element = el('section', 'os-ipc');
    this.element.id = 'os-ipc';
    this.element.setAttribute('aria-label', 'Kernel view of IPC');
    this.alerts = el('div', 'deadlocks');
    this.alerts.setAttribute('role', 'alert');
    this.edgesBox = el('details', 'os-edges');
    this.edgesSummary = el('summary');
    this.edgesList = el('ul', 'os-edge-list');
    this.edgesBox.append(this.edgesSummary, this.edgesList);
    this.element.append(this.alerts, this.edgesBox);
    this.element.hidden = true;
  }

  apply(u: OsIpcUpdate): void {
    this.update = u;
    this.edgesByPid = new Map();
    for (const e of u.edges)
      for (const pid of [e.from, e.to]) {
        const l = this.edgesByPid.get(pid);
        if (l) l.push(e);
        else this.edgesByPid.set(pid, [e]);
      }
    this.blockedByPid = new Map(u.blocked.map((b) => [b.pid, b]));
    this.deadlockByPid = new Map();
    for (const d of u.deadlocks) for (const pid of [...d.pids, ...d.waiting]) this.deadlockByPid.set(pid, d);
    this.objectsById = new Map(u.objects.map((o) => [o.id, o]));
    this.render();
  }

  private render(): void {
    const u = this.update!;
    this.alerts.replaceChildren(...u.deadlocks.map((d) => this.deadlockBox(d)));
    this.edgesSummary.textContent = `Kernel IPC: ${u.edges.length} edge${u.edges.length === 1 ? '' : 's'} between processes, ${u.objects.length} object${u.objects.length === 1 ? '' : 's'}${u.omitted ? ` (${u.omitted} more not shown)` : ''}`;
    const items = u.edges.slice(0, EDGES_SHOWN).map((e) => {
      const li = el('li', `os-edge os-edge-${e.kind}`, e.text);
      const o = this.objectsById.get(e.object);
      if (o?.channelLabel) li.appendChild(el('span', 'muted', ` = ${o.channelLabel}`));
      return li;
    });
    if (u.edges.length > EDGES_SHOWN) items.push(el('li', 'muted', `… and ${u.edges.length - EDGES_SHOWN} more`));
    for (const n of u.notes) items.push(el('li', 'muted os-note', n));
    this.edgesList.replaceChildren(...items);
    this.element.hidden = u.edges.length === 0 && u.deadlocks.length === 0 && u.objects.length === 0;
  }

  private deadlockBox(d: DeadlockInfo): HTMLElement {
    const box = el('div', 'deadlock');
    box.appendChild(el('strong', 'deadlock-title', d.title));
    const ul = el('ul', 'deadlock-explanation');
    for (const line of d.explanation) ul.appendChild(el('li', undefined, line));
    if (d.waiting.length) ul.appendChild(el('li', 'muted', `Also stuck, waiting on them: ${d.waiting.map((p) => `pid ${p}`).join(', ')}`));
    box.appendChild(ul);
    if (d.objects.length) box.appendChild(el('div', 'deadlock-objects', `Objects: ${d.objects.join(', ')}`));
    if (d.lines.length) box.appendChild(el('div', 'deadlock-lines', `Source: ${d.lines.join(', ')}`));
    box.appendChild(el('div', 'deadlock-fix', `Fix: ${d.fix}`));
    const pids = el('div', 'deadlock-pids');
    for (const pid of d.pids) {
      const b = el('button', 'link-button', `pid ${pid}`);
      b.type = 'button';
      b.title = `Select pid ${pid} in the tree`;
      b.addEventListener('click', () => this.onPid(pid));
      pids.appendChild(b);
    }
    box.appendChild(pids);
    return box;
  }

  /** What a tree row shows for a process. */
  row(pid: number): RowIpc {
    const edges = this.edgesByPid.get(pid) ?? [];
    const out = new Set<number>();
    const inn = new Set<number>();
    const both = new Set<number>();
    for (const e of edges) {
      if (e.direction !== 'one-way') both.add(e.from === pid ? e.to : e.from);
      else if (e.from === pid) out.add(e.to);
      else inn.add(e.from);
    }
    const part = (arrow: string, s: Set<number>) => [...s].slice(0, 3).map((p) => `${arrow}${p}`).join(' ') + (s.size > 3 ? ` ${arrow}+${s.size - 3}` : '');
    const text = [part('→', out), part('←', inn), part('⇄', both)].filter(Boolean).join(' ');
    return { edges: text, edgesTitle: edges.map((e) => e.text).join('\n'), deadlock: this.deadlockByPid.get(pid) ?? null, blocked: this.blockedByPid.get(pid) ?? null };
  }

  /** Changes whenever what a process's row or details would show changes. */
  signature(pid: number): string {
    const r = this.row(pid);
    return `${r.edges}|${r.deadlock?.id ?? ''}|${r.blocked?.text ?? ''}|${r.blocked?.python ?? ''}|${this.holdings(pid).length}`;
  }

  private holdings(pid: number): Array<{ o: OsIpcObject; how: string }> {
    const out: Array<{ o: OsIpcObject; how: string }> = [];
    for (const o of this.update?.objects ?? []) {
      const mine = o.holders.filter((h) => h.pid === pid);
      if (mine.length) out.push({ o, how: mine.map((h) => (h.fd !== null ? `fd ${h.fd} ${h.mode}` : h.mode)).join(', ') });
    }
    return out;
  }

  /** The "Kernel IPC" section of a process's details, or null when there is nothing to say. */
  details(pid: number): HTMLElement | null {
    if (!this.update) return null;
    const r = this.row(pid);
    const held = this.holdings(pid);
    const edges = this.edgesByPid.get(pid) ?? [];
    if (!r.blocked && !r.deadlock && !held.length) return null;
    const s = el('section', 'details-section details-os-ipc');
    s.appendChild(el('h3', undefined, 'Kernel IPC'));
    if (r.deadlock) {
      const d = el('p', 'details-deadlock');
      d.appendChild(el('strong', undefined, r.deadlock.pids.includes(pid) ? 'Deadlocked: ' : 'Stuck behind a deadlock: '));
      d.appendChild(document.createTextNode(r.deadlock.title));
      s.appendChild(d);
    }
    if (r.blocked) {
      const b = el('div', 'details-blocked');
      b.appendChild(el('strong', undefined, 'Blocked in: '));
      b.appendChild(document.createTextNode(r.blocked.text));
      if (r.blocked.python) b.appendChild(el('div', 'details-python-op', `Python: ${r.blocked.python}`));
      if (r.blocked.threads.length > 1) {
        const ul = el('ul', 'details-threads');
        for (const t of r.blocked.threads) ul.appendChild(el('li', t.runtime ? 'runtime-thread' : undefined, `thread ${t.tid}${t.runtime ? " (IPC Scope's runtime)" : ''}: ${t.text}`));
        b.appendChild(ul);
      }
      s.appendChild(b);
    }
    if (edges.length) {
      const ul = el('ul', 'details-edges');
      for (const e of edges) ul.appendChild(el('li', undefined, e.text));
      s.appendChild(ul);
    }
    if (held.length) {
      const ul = el('ul', 'details-objects');
      for (const { o, how } of held.slice(0, 100)) {
        const li = el('li', undefined, `${o.id}${o.label ? ` ${o.label}` : ''} (${how})`);
        if (o.channelLabel) li.appendChild(el('span', 'os-channel', ` = ${o.channelLabel}`));
        if (o.detail) li.appendChild(el('span', 'muted', ` — ${o.detail}`));
        ul.appendChild(li);
      }
      if (held.length > 100) ul.appendChild(el('li', 'muted', `… and ${held.length - 100} more`));
      s.appendChild(ul);
    }
    return s;
  }
}
