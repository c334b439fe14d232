/**
 * A virtualized tree of processes: only the rows in view (plus a margin) exist in the DOM, row
 * elements are recycled, and every value is set with textContent. Keyboard and screen-reader
 * behaviour follows VS Code's own trees.
 */
import type { ProcessInfo } from '../../protocol/protocol';
import { formatCpu, formatKb, rowLabel, statTooltip, visible } from './format';
import type { ClientModel, Row } from './model';

export const ROW_HEIGHT = 22;
const OVERSCAN = 8;

interface RowEl {
  el: HTMLDivElement;
  twisty: HTMLSpanElement;
  pid: HTMLSpanElement;
  name: HTMLSpanElement;
  stat: HTMLSpanElement;
  cpu: HTMLSpanElement;
  rss: HTMLSpanElement;
  cmd: HTMLSpanElement;
  badges: HTMLSpanElement;
  /** What it shows now, to skip work when nothing changed. */
  shown: ProcessInfo | null;
  shownKey: string;
  shownState: string;
}

export interface TreeCallbacks {
  onSelect(key: string | null): void;
  onToggle(key: string, expanded: boolean): void;
}

export class ProcessTree {
  readonly element: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private pool: RowEl[] = [];
  private rows: Row[] = [];
  private index = new Map<string, number>();
  selected: string | null = null;

  constructor(private readonly model: ClientModel, private readonly cb: TreeCallbacks) {
    this.element = document.createElement('div');
    this.element.className = 'tree';
    this.element.setAttribute('role', 'tree');
    this.element.setAttribute('aria-label', 'Processes');
    this.element.tabIndex = 0;
    this.spacer = document.createElement('div');
    this.spacer.className = 'tree-spacer';
    this.element.appendChild(this.spacer);
    this.element.addEventListener('scroll', () => this.paint());
    this.element.addEventListener('keydown', (e) => this.onKey(e));
    new ResizeObserver(() => this.paint()).observe(this.element);
  }

  setRows(rows: Row[]): void {
    this.rows = rows;
    this.index = new Map(rows.map((r, i) => [r.key, i]));
    this.spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
    if (this.selected && !this.index.has(this.selected)) {
      // keep the selection if the process still exists (e.g. hidden by a filter)
      if (!this.model.byKey.has(this.selected)) this.select(null);
    }
    this.paint();
  }

  /** Renders the rows in view. Cheap when nothing in view changed. */
  paint(): void {
    const viewH = this.element.clientHeight || 600;
    const first = Math.max(0, Math.floor(this.element.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.rows.length, Math.ceil((this.element.scrollTop + viewH) / ROW_HEIGHT) + OVERSCAN);
    const need = last - first;
    while (this.pool.length < need) this.pool.push(this.makeRow());
    for (let i = 0; i < this.pool.length; i++) {
      const r = this.pool[i];
      if (i < need) this.fill(r, this.rows[first + i], first + i);
      else if (r.el.parentNode) {
        r.el.remove();
        r.shown = null;
        r.shownKey = '';
      }
    }
    if (this.selected && this.index.has(this.selected)) this.element.setAttribute('aria-activedescendant', rowId(this.selected));
    else this.element.removeAttribute('aria-activedescendant');
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
      cpu: span('cpu'),
      rss: span('rss'),
      cmd: span('cmd'),
      badges: span('badges'),
      shown: null,
      shownKey: '',
      shownState: '',
    };
    r.twisty.setAttribute('aria-hidden', 'true');
    el.addEventListener('click', (e) => {
      const key = el.dataset.key!;
      if (e.target === r.twisty) this.toggle(key);
      else this.select(key);
      this.element.focus();
    });
    el.addEventListener('dblclick', () => this.toggle(el.dataset.key!));
    return r;
  }

  private fill(r: RowEl, row: Row, i: number): void {
    const p = this.model.byKey.get(row.key);
    if (!p) return;
    if (!r.el.parentNode) this.spacer.appendChild(r.el);
    const state = `${i}|${row.depth}|${row.expanded}|${row.hasChildren}|${this.selected === row.key}`;
    if (r.shown === p && r.shownKey === row.key && r.shownState === state) return;
    r.el.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
    r.el.style.paddingLeft = `${4 + row.depth * 14}px`;
    r.el.style.setProperty('--depth', String(row.depth));
    if (r.shownKey !== row.key) {
      r.el.id = rowId(row.key);
      r.el.dataset.key = row.key;
    }
    r.el.setAttribute('aria-level', String(row.depth + 1));
    if (row.hasChildren) r.el.setAttribute('aria-expanded', String(row.expanded));
    else r.el.removeAttribute('aria-expanded');
    const sel = this.selected === row.key;
    r.el.setAttribute('aria-selected', String(sel));
    r.el.classList.toggle('selected', sel);
    r.twisty.textContent = row.hasChildren ? (row.expanded ? '\u25be' : '\u25b8') : '';
    if (r.shown !== p) {
      r.el.setAttribute('aria-label', rowLabel(p));
      r.pid.textContent = String(p.pid);
      r.name.textContent = visible(p.name);
      r.stat.textContent = p.stat;
      r.stat.title = statTooltip(p.stat);
      r.stat.dataset.state = p.state;
      r.cpu.textContent = formatCpu(p.cpuPercent);
      r.rss.textContent = formatKb(p.rssKb);
      const cmd = visible(p.command);
      r.cmd.textContent = cmd;
      r.cmd.title = cmd;
      r.el.classList.toggle('is-zombie', !!p.zombie);
      r.el.classList.toggle('is-orphan', !!p.orphan);
      r.el.classList.toggle('is-program', p.inProgram);
      r.badges.replaceChildren();
      if (p.zombie) r.badges.appendChild(rowBadge('zombie', 'badge-zombie', p.zombie.explanation));
      if (p.orphan) r.badges.appendChild(rowBadge('orphan', 'badge-orphan', p.orphan.explanation));
      if (p.restricted) r.badges.appendChild(rowBadge('restricted', 'badge-restricted', p.restrictedReason ?? ''));
      if (p.state === 'T' || p.state === 't') r.badges.appendChild(rowBadge('stopped', 'badge-stopped', p.blockedOn));
    }
    r.shown = p;
    r.shownKey = row.key;
    r.shownState = state;
  }

  select(key: string | null): void {
    if (this.selected === key) return;
    this.selected = key;
    this.cb.onSelect(key);
    this.paint();
    if (key) this.scrollIntoView(key);
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
    if (!this.rows.length) return;
    const cur = this.selected !== null ? this.index.get(this.selected) ?? -1 : -1;
    const page = Math.max(1, Math.floor(this.element.clientHeight / ROW_HEIGHT) - 1);
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
        if (row?.hasChildren && !row.expanded) this.toggle(row.key);
        else if (row?.hasChildren) go(cur + 1);
        break;
      case 'ArrowLeft':
        if (row?.hasChildren && row.expanded) this.toggle(row.key);
        else if (row) {
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

const rowId = (key: string) => `row-${key.replace(/[^\w-]/g, '_')}`;
