/**
 * A virtualized tree of processes: only the rows in view (plus a margin) exist in the DOM, row
 * elements are recycled, and every value is set with textContent. Keyboard and screen-reader
 * behaviour follows VS Code's own trees (role="tree", aria-activedescendant, treeitems with
 * level, position, expanded and selected state).
 */
import type { ProcessInfo } from '../../protocol/protocol';
import { formatCpu, formatKb, rowLabel, statTooltip, visible } from './format';
import type { ClientModel, Row } from './model';
import type { RowIpc } from './osIpc';

export const ROW_HEIGHT = 22;
export const INDENT = 12;
const OVERSCAN = 10;

interface RowEl {
  el: HTMLDivElement;
  twisty: HTMLSpanElement;
  pid: HTMLSpanElement;
  name: HTMLSpanElement;
  stat: HTMLSpanElement;
  cmd: HTMLSpanElement;
  badges: HTMLSpanElement;
  /** Kernel IPC: deadlock, blocked-in and edge badges (osIpc.ts). */
  ipc: HTMLSpanElement;
  cpu: HTMLSpanElement;
  rss: HTMLSpanElement;
  /** What it shows now, to skip work when nothing changed. */
  shown: ProcessInfo | null;
  shownKey: string;
  shownRow: Row | null;
  shownIndex: number;
  shownSelected: boolean;
  shownStat: string;
}

export interface TreeCallbacks {
  onSelect(key: string | null): void;
  onToggle(key: string, expanded: boolean): void;
  /** The kernel's view of a process's IPC, for its row badges. */
  rowIpc?(pid: number): RowIpc;
}

export class ProcessTree {
  readonly element: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private pool: RowEl[] = [];
  private rows: Row[] = [];
  private index = new Map<string, number>();
  private viewHeight = 0;
  private pointerFocus = false;
  selected: string | null = null;

  constructor(private readonly model: ClientModel, private readonly cb: TreeCallbacks) {
    this.element = document.createElement('div');
    this.element.className = 'tree';
    this.element.setAttribute('role', 'tree');
    this.element.setAttribute('aria-label', 'Processes');
    this.element.tabIndex = 0;
    this.spacer = document.createElement('div');
    this.spacer.className = 'tree-spacer';
    this.spacer.setAttribute('role', 'presentation');
    this.element.appendChild(this.spacer);
    this.element.addEventListener('scroll', () => this.paint());
    this.element.addEventListener('keydown', (e) => this.onKey(e));
    this.element.addEventListener('focus', () => {
      // Focus lands on the tree by keyboard: make something active for screen readers and arrows.
      if (!this.pointerFocus && !this.selected && this.rows.length) this.select(this.rows[0].key);
    });
    new ResizeObserver(() => {
      const before = this.viewHeight;
      this.viewHeight = this.element.clientHeight;
      // If the selected row was in view, keep it there when the tree gets shorter.
      const i = this.selected ? this.index.get(this.selected) : undefined;
      if (i !== undefined && before > 0) {
        const top = i * ROW_HEIGHT - this.element.scrollTop;
        if (top >= 0 && top < before && top + ROW_HEIGHT > this.viewHeight) this.element.scrollTop = i * ROW_HEIGHT + ROW_HEIGHT - this.viewHeight;
      }
      this.paint();
    }).observe(this.element);
  }

  get rowCount(): number {
    return this.rows.length;
  }

  setRows(rows: Row[]): void {
    if (rows !== this.rows) {
      this.rows = rows;
      this.index = new Map();
      for (let i = 0; i < rows.length; i++) this.index.set(rows[i].key, i);
      this.spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
    }
    // Keep the selection while the process is known (a filter may hide it for a moment).
    if (this.selected && !this.index.has(this.selected) && !this.model.get(this.selected)) this.select(null);
    this.paint();
  }

  /** Renders the rows in view. Cheap when nothing in view changed. */
  paint(): void {
    const viewH = this.viewHeight || this.element.clientHeight || 600;
    const top = this.element.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.rows.length, Math.ceil((top + viewH) / ROW_HEIGHT) + OVERSCAN);
    const need = Math.max(0, last - first);
    while (this.pool.length < need) this.pool.push(this.makeRow());
    for (let i = 0; i < this.pool.length; i++) {
      const r = this.pool[i];
      if (i < need) this.fill(r, this.rows[first + i], first + i);
      else if (r.el.parentNode) {
        r.el.remove();
        r.shown = null;
        r.shownKey = '';
        r.shownRow = null;
      }
    }
    const active = this.selected && this.index.has(this.selected) ? rowId(this.selected) : null;
    if (active) {
      if (this.element.getAttribute('aria-activedescendant') !== active) this.element.setAttribute('aria-activedescendant', active);
    } else this.element.removeAttribute('aria-activedescendant');
  }

  private makeRow(): RowEl {
    const el = document.createElement('div');
    el.className = 'row';
    el.setAttribute('role', 'treeitem');
    const span = (cls: string) => {
      const s = document.createElement('span');
      s.className = cls;
      el.appendChild(s);
      return s;
    };
    const r: RowEl = {
      el,
      twisty: span('twisty'),
      pid: span('pid'),
      name: span('name'),
      stat: span('stat-badge'),
      cmd: span('cmd'),
      badges: span('badges'),
      ipc: span('badges ipc-badges'),
      cpu: span('cpu'),
      rss: span('rss'),
      shown: null,
      shownKey: '',
      shownRow: null,
      shownIndex: -1,
      shownSelected: false,
      shownStat: '',
    };
    r.twisty.setAttribute('aria-hidden', 'true');
    el.addEventListener('mousedown', (e) => {
      // Keep focus on the tree (the active descendant model), like VS Code's lists.
      if (e.button === 0) e.preventDefault();
      this.pointerFocus = true;
      this.element.focus();
      this.pointerFocus = false;
    });
    el.addEventListener('click', (e) => {
      const key = el.dataset.key;
      if (!key) return;
      if (e.target === r.twisty) this.toggle(key);
      else this.select(key);
    });
    el.addEventListener('dblclick', (e) => {
      if (e.target !== r.twisty && el.dataset.key) this.toggle(el.dataset.key);
    });
    return r;
  }

  private fill(r: RowEl, row: Row, i: number): void {
    const p = this.model.get(row.key);
    if (!p) return;
    if (!r.el.parentNode) this.spacer.appendChild(r.el);
    const sel = this.selected === row.key;
    if (r.shown === p && r.shownRow === row && r.shownIndex === i && r.shownSelected === sel) return;
    if (r.shownIndex !== i) {
      r.el.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
      r.shownIndex = i;
    }
    const sameKey = r.shownKey === row.key;
    if (!sameKey) {
      r.el.id = rowId(row.key);
      r.el.dataset.key = row.key;
      r.shownKey = row.key;
    }
    const was = r.shownRow;
    if (!was || was.depth !== row.depth) {
      r.el.style.setProperty('--depth', String(row.depth));
      r.el.setAttribute('aria-level', String(row.depth + 1));
    }
    if (!was || was.pos !== row.pos || was.siblings !== row.siblings) {
      r.el.setAttribute('aria-posinset', String(row.pos));
      r.el.setAttribute('aria-setsize', String(row.siblings));
    }
    if (!was || was.hasChildren !== row.hasChildren || was.expanded !== row.expanded) {
      if (row.hasChildren) r.el.setAttribute('aria-expanded', String(row.expanded));
      else r.el.removeAttribute('aria-expanded');
      r.twisty.className = row.hasChildren ? (row.expanded ? 'twisty expanded' : 'twisty collapsed') : 'twisty';
    }
    if (!was || was.context !== row.context) r.el.classList.toggle('filter-context', row.context);
    if (r.shownSelected !== sel || !was) {
      r.el.setAttribute('aria-selected', String(sel));
      r.el.classList.toggle('selected', sel);
      r.shownSelected = sel;
    }
    if (r.shown !== p || !was || was.ended !== row.ended) {
      const old = r.shown && sameKey && was?.ended === row.ended ? r.shown : null;
      r.el.setAttribute('aria-label', rowLabel(p, row.ended));
      if (!old || old.pid !== p.pid) r.pid.textContent = String(p.pid);
      if (!old || old.name !== p.name) r.name.textContent = visible(p.name);
      if (r.shownStat !== p.stat) {
        r.stat.textContent = p.stat;
        r.stat.title = statTooltip(p.stat);
        r.stat.dataset.state = p.state;
        r.shownStat = p.stat;
      }
      r.cpu.textContent = row.ended ? '' : formatCpu(p.cpuPercent);
      r.rss.textContent = row.ended ? '' : formatKb(p.rssKb);
      if (!old || old.command !== p.command) {
        const cmd = visible(p.command);
        r.cmd.textContent = cmd;
        r.cmd.title = cmd;
      }
      const zombie = !row.ended && !!p.zombie;
      const orphan = !row.ended && !!p.orphan;
      r.el.classList.toggle('is-zombie', zombie);
      r.el.classList.toggle('is-orphan', orphan);
      r.el.classList.toggle('is-ended', row.ended);
      r.el.classList.toggle('is-program', p.inProgram);
      // Badges change rarely: rebuild only when the set changes.
      const sig = `${zombie}${orphan}${p.restricted}${row.ended}${p.state}`;
      if (!old || r.badges.dataset.sig !== sig) {
        r.badges.dataset.sig = sig;
        r.badges.replaceChildren();
        if (row.ended) r.badges.appendChild(rowBadge('ended', 'badge-ended', p.ended?.description ?? 'ended'));
        if (zombie) r.badges.appendChild(rowBadge('zombie', 'badge-zombie', p.zombie!.explanation));
        if (orphan) r.badges.appendChild(rowBadge('orphan', 'badge-orphan', p.orphan!.explanation));
        if (p.restricted && !row.ended) r.badges.appendChild(rowBadge('restricted', 'badge-restricted', p.restrictedReason ?? 'some details could not be read'));
        if (!row.ended && (p.state === 'T' || p.state === 't')) r.badges.appendChild(rowBadge(p.state === 't' ? 'traced' : 'stopped', 'badge-stopped', p.blockedOn || 'stopped by a signal'));
      }
      r.shown = p;
    }
    r.shownRow = row;
    if (this.cb.rowIpc) this.fillIpc(r, p.pid, row.ended);
  }

  private fillIpc(r: RowEl, pid: number, ended: boolean): void {
    const ipc = ended ? null : this.cb.rowIpc!(pid);
    const untimed = ipc?.blocked?.threads.find((t) => !t.timed && t.syscall);
    const sig = ipc ? `${ipc.deadlock?.id ?? ''}|${ipc.edges}|${ipc.edgesTitle.length}|${untimed ? ipc.blocked!.text : ''}` : '';
    if (r.ipc.dataset.sig === sig) return;
    r.ipc.dataset.sig = sig;
    r.ipc.replaceChildren();
    if (!ipc) return;
    if (ipc.deadlock) r.ipc.appendChild(rowBadge('deadlock', 'badge-deadlock', ipc.deadlock.title));
    if (untimed) r.ipc.appendChild(rowBadge(`in ${untimed.syscall}`, 'badge-blocked', `Blocked in ${ipc.blocked!.text}${ipc.blocked!.python ? `\nPython: ${ipc.blocked!.python}` : ''}`));
    if (ipc.edges) r.ipc.appendChild(rowBadge(ipc.edges, 'badge-edges', ipc.edgesTitle));
  }

  /** Repaints every row (the kernel IPC view changed without a process delta). */
  invalidate(): void {
    for (const r of this.pool) r.shownRow = null;
    this.paint();
  }

  select(key: string | null): void {
    if (this.selected === key) {
      if (key) this.scrollIntoView(key);
      return;
    }
    this.selected = key;
    this.cb.onSelect(key);
    if (key) this.scrollIntoView(key);
    this.paint();
  }

  /** Brings the selected row into view (after a filter change, for example). */
  reveal(): void {
    if (this.selected) this.scrollIntoView(this.selected);
  }

  private toggle(key: string): void {
    const i = this.index.get(key);
    if (i === undefined || !this.rows[i].hasChildren) return;
    this.cb.onToggle(key, !this.rows[i].expanded);
  }

  private scrollIntoView(key: string): void {
    const i = this.index.get(key);
    if (i === undefined) return;
    const top = i * ROW_HEIGHT;
    const h = this.element.clientHeight;
    if (top < this.element.scrollTop) this.element.scrollTop = top;
    else if (top + ROW_HEIGHT > this.element.scrollTop + h) this.element.scrollTop = top + ROW_HEIGHT - h;
  }

  private onKey(e: KeyboardEvent): void {
    if (!this.rows.length || e.altKey || e.ctrlKey || e.metaKey) return;
    const cur = this.selected !== null ? this.index.get(this.selected) ?? -1 : -1;
    const page = Math.max(1, Math.floor((this.viewHeight || this.element.clientHeight) / ROW_HEIGHT) - 1);
    const go = (i: number) => this.select(this.rows[Math.max(0, Math.min(this.rows.length - 1, i))].key);
    const row = cur >= 0 ? this.rows[cur] : null;
    switch (e.key) {
      case 'ArrowDown':
        go(cur + 1);
        break;
      case 'ArrowUp':
        go(cur < 0 ? 0 : cur - 1);
        break;
      case 'Home':
        go(0);
        break;
      case 'End':
        go(this.rows.length - 1);
        break;
      case 'PageDown':
        go(cur + page);
        break;
      case 'PageUp':
        go(cur - page);
        break;
      case 'ArrowRight':
        if (!row) go(0);
        else if (row.hasChildren && !row.expanded) this.toggle(row.key);
        else if (row.hasChildren) go(cur + 1);
        break;
      case 'ArrowLeft':
        if (!row) go(0);
        else if (row.hasChildren && row.expanded) this.toggle(row.key);
        else {
          for (let i = cur - 1; i >= 0; i--) {
            if (this.rows[i].depth < row.depth) {
              go(i);
              break;
            }
          }
        }
        break;
      case 'Enter':
      case ' ':
        if (row) this.toggle(row.key);
        else go(0);
        break;
      default:
        return;
    }
    e.preventDefault();
  }
}

function rowBadge(text: string, cls: string, title: string): HTMLSpanElement {
  const b = document.createElement('span');
  b.className = `row-badge ${cls}`;
  b.textContent = text;
  b.title = title;
  return b;
}

/** A DOM id for a process key ("123@4567" → "row-123_4567"); keys are pid@ticks, so ids are unique. */
export const rowId = (key: string) => `row-${key.replace(/[^\w-]/g, '_')}`;
