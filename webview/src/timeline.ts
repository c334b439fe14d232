/**
 * The message timeline: one lane per process, time left to right, a dot per put/send/write
 * (filled) and get/recv/read (hollow), and an arrow from each write to the read that took it.
 * SVG made with createElementNS; every text is a text node. Keyboard: ←/→ move between messages,
 * Home/End, Enter follows the arrow to the matching message.
 */
import type { MessageInfo } from '../../protocol/protocol';
import { el, svg } from './dom';
import { visible } from './format';

const LANE_H = 20;
const LABEL_W = 66;
const TOP = 8;
const AXIS_H = 20;

function kindOf(ch: string): 'queue' | 'pipe' | 'socket' {
  if (ch.startsWith('queue:')) return 'queue';
  if (ch.startsWith('conn:') || ch.startsWith('pipe:') || ch.startsWith('fifo:')) return 'pipe';
  return 'socket';
}

function formatSpan(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(ns >= 1e10 ? 0 : 1)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(ns >= 1e7 ? 0 : 1)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(0)} µs`;
  return `${Math.round(ns)} ns`;
}

const short = (s: string, n = 60) => {
  const v = visible(s);
  return v.length > n ? `${v.slice(0, n)}…` : v;
};

export class Timeline {
  readonly element: HTMLDetailsElement;
  private readonly plot: HTMLDivElement;
  private readonly detail: HTMLParagraphElement;
  private readonly summaryCount: HTMLSpanElement;
  private messages: MessageInfo[] = [];
  private byId = new Map<number, MessageInfo>();
  private selected: number | null = null;
  private dots = new Map<number, SVGCircleElement>();
  private links = new Map<number, SVGLineElement>();

  constructor() {
    this.element = el('details', 'timeline');
    this.element.open = true;
    const summary = el('summary', 'timeline-summary');
    summary.appendChild(el('span', 'channel-group-title', 'Message timeline'));
    this.summaryCount = el('span', 'muted timeline-count');
    summary.appendChild(this.summaryCount);
    this.plot = el('div', 'timeline-plot');
    this.plot.tabIndex = 0;
    this.plot.setAttribute('role', 'group');
    this.plot.setAttribute('aria-roledescription', 'timeline');
    this.detail = el('p', 'timeline-detail muted');
    this.detail.setAttribute('aria-live', 'polite');
    this.element.append(summary, this.plot, this.detail);
    this.plot.addEventListener('keydown', (e) => this.key(e));
    this.element.addEventListener('toggle', () => {
      if (this.element.open) this.render();
    });
  }

  set(messages: MessageInfo[]): void {
    this.messages = [...messages].sort((a, b) => a.ts - b.ts || a.id - b.id);
    this.byId = new Map(this.messages.map((m) => [m.id, m]));
    if (this.selected !== null && !this.byId.has(this.selected)) this.selected = null;
    this.element.hidden = this.messages.length === 0;
    const linked = this.messages.filter((m) => m.write && m.link !== null && this.byId.has(m.link)).length;
    this.summaryCount.textContent = `${this.messages.length} message${this.messages.length === 1 ? '' : 's'} · ${linked} delivered`;
    this.plot.setAttribute('aria-label', `Message timeline, ${this.messages.length} messages, ${linked} matched send to receive. Arrow keys move between messages, Enter goes to the matching one.`);
    this.render();
  }

  /** Lays the plot out again (new messages or a new width). */
  render(): void {
    if (!this.element.open || this.messages.length === 0) return;
    const pids = [...new Set(this.messages.map((m) => m.pid))].sort((a, b) => a - b);
    const lane = new Map(pids.map((p, i) => [p, i]));
    const width = Math.max(220, Math.floor(this.plot.clientWidth || this.element.clientWidth || 300) - 2);
    const plotW = width - LABEL_W - 12;
    const height = TOP + pids.length * LANE_H + AXIS_H;
    const t0 = this.messages[0].ts;
    const span = Math.max(1, this.messages[this.messages.length - 1].ts - t0);
    const x = (ts: number) => LABEL_W + 6 + ((ts - t0) / span) * plotW;
    const y = (pid: number) => TOP + (lane.get(pid) ?? 0) * LANE_H + LANE_H / 2;

    const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' }, 'timeline-svg');
    root.setAttribute('aria-hidden', 'true');
    const defs = svg('defs');
    const marker = svg('marker', { id: 'ipcscope-tl-arrow', viewBox: '0 0 8 8', refX: 7, refY: 4, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse' });
    marker.appendChild(svg('path', { d: 'M0,0 L8,4 L0,8 z' }, 'tl-arrowhead'));
    defs.appendChild(marker);
    root.appendChild(defs);

    for (const pid of pids) {
      const yy = y(pid);
      root.appendChild(svg('line', { x1: LABEL_W, y1: yy, x2: width - 4, y2: yy }, 'tl-lane'));
      const label = svg('text', { x: 4, y: yy + 4 }, 'tl-label');
      label.textContent = `pid ${pid}`;
      root.appendChild(label);
    }
    // Axis: start, middle, end, relative to the first message shown.
    const axisY = TOP + pids.length * LANE_H + 4;
    root.appendChild(svg('line', { x1: LABEL_W + 6, y1: axisY, x2: LABEL_W + 6 + plotW, y2: axisY }, 'tl-axis'));
    // Messages all at one instant (a single one, say) have no span to mark.
    for (const f of span > 1 ? [0, 0.5, 1] : [0]) {
      const tx = LABEL_W + 6 + f * plotW;
      root.appendChild(svg('line', { x1: tx, y1: axisY, x2: tx, y2: axisY + 4 }, 'tl-axis'));
      const t = svg('text', { x: tx, y: axisY + 15, 'text-anchor': f === 0 ? 'start' : f === 1 ? 'end' : 'middle' }, 'tl-tick');
      t.textContent = f === 0 ? '0' : `+${formatSpan(span * f)}`;
      root.appendChild(t);
    }

    this.links.clear();
    for (const m of this.messages) {
      if (!m.write || m.link === null) continue;
      const r = this.byId.get(m.link);
      if (!r) continue;
      const line = svg('line', { x1: x(m.ts), y1: y(m.pid), x2: x(r.ts), y2: y(r.pid), 'marker-end': 'url(#ipcscope-tl-arrow)' }, `tl-link tl-kind-${kindOf(m.ch)}`);
      this.links.set(m.id, line);
      this.links.set(r.id, line);
      root.appendChild(line);
    }
    this.dots.clear();
    for (const m of this.messages) {
      const dot = svg('circle', { cx: x(m.ts), cy: y(m.pid), r: 3.5 }, `tl-dot ${m.write ? 'tl-write' : 'tl-read'} tl-kind-${kindOf(m.ch)}`);
      dot.dataset.id = String(m.id);
      const title = svg('title');
      title.textContent = `${m.op} · pid ${m.pid} · ${m.ch}\n${short(m.preview, 200)}`;
      dot.appendChild(title);
      dot.addEventListener('click', () => this.select(m.id));
      this.dots.set(m.id, dot);
      root.appendChild(dot);
    }
    this.plot.replaceChildren(root);
    this.highlight();
  }

  private select(id: number | null): void {
    this.selected = id;
    this.highlight();
  }

  private highlight(): void {
    for (const d of this.plot.querySelectorAll('.tl-selected')) d.classList.remove('tl-selected');
    const m = this.selected !== null ? this.byId.get(this.selected) : undefined;
    if (!m) {
      this.detail.textContent = this.messages.length ? 'Filled dots: put/send/write; hollow: get/recv/read. Arrows join each message to the read that took it.' : '';
      return;
    }
    this.dots.get(m.id)?.classList.add('tl-selected');
    this.links.get(m.id)?.classList.add('tl-selected');
    const other = m.link !== null ? this.byId.get(m.link) : undefined;
    if (other) this.dots.get(other.id)?.classList.add('tl-selected');
    const what = `${m.op} #${m.seq || '?'} by pid ${m.pid} on ${m.ch}: ${short(m.preview)}`;
    const link = other ? `${m.write ? ' → ' : ' ← '}${other.op} by pid ${other.pid}, ${formatSpan(Math.abs(other.ts - m.ts))} ${other.ts >= m.ts ? 'later' : 'earlier'}` : m.write ? ' (not read yet)' : '';
    this.detail.textContent = what + link;
  }

  private key(e: KeyboardEvent): void {
    if (!this.messages.length) return;
    const i = this.selected === null ? -1 : this.messages.findIndex((m) => m.id === this.selected);
    let next: number | null = null;
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown') next = Math.min(this.messages.length - 1, i + 1);
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') next = Math.max(0, i < 0 ? this.messages.length - 1 : i - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = this.messages.length - 1;
    else if (e.key === 'Enter' && i >= 0) {
      const link = this.messages[i].link;
      if (link !== null && this.byId.has(link)) next = this.messages.findIndex((m) => m.id === link);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      this.select(null);
      return;
    } else return;
    e.preventDefault();
    if (next !== null && next >= 0) this.select(this.messages[next].id);
  }
}
