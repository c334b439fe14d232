/** The details pane for the selected process. Every value goes through textContent or text nodes. */
import type { ChannelInfo, ProcessInfo } from '../../protocol/protocol';
import { explainStat } from '../../protocol/stat';
import { formatCpu, formatDuration, formatKb, statTooltip, visible, visibleNodes } from './format';
import { actionable } from './dom';
import { badge } from './toolkit';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function section(title: string, cls: string, lines: Array<[string, string]>): HTMLElement {
  const s = el('section', `details-section callout ${cls}`);
  s.appendChild(el('h3', undefined, title));
  for (const [label, text] of lines) {
    const p = el('p');
    if (label) p.appendChild(el('strong', undefined, `${label} `));
    p.appendChild(document.createTextNode(text));
    s.appendChild(p);
  }
  return s;
}

export interface DetailsOptions {
  /** The process has ended (shown from the panel's memory, not live). */
  ended: boolean;
  /** Wall-clock now, ms (for "started … ago"). */
  now: number;
  /** IPC channels the runtime saw this process use. */
  channels?: ChannelInfo[];
  /** Shows a channel's block in the Channels section. */
  onChannel?: (id: string) => void;
  /** The kernel's view of its IPC (osIpc.ts), shown after "Blocked on". */
  osIpc?: HTMLElement | null;
}

/** One line per channel the process used: kind, name, and a link to its block. */
function channelsSection(channels: ChannelInfo[], onChannel?: (id: string) => void): HTMLElement {
  const s = el('section', 'details-section details-channels');
  s.appendChild(el('h3', '', `IPC channels (${channels.length})`));
  const list = el('ul', 'details-channel-list');
  for (const c of channels) {
    const li = el('li');
    const name = c.label ? `${c.type} ${c.label}` : c.type;
    const link = el('span', 'channel-link', name);
    actionable(link, `Show ${name} (${c.id}) in Channels`, () => onChannel?.(c.id));
    li.append(link, el('span', 'muted', ` ${c.id}`));
    list.appendChild(li);
  }
  s.appendChild(list);
  return s;
}

export function renderDetails(host: HTMLElement, p: ProcessInfo | null, opts: DetailsOptions): void {
  host.replaceChildren();
  if (!p) {
    host.appendChild(el('p', 'muted details-empty', 'Select a process to see its details.'));
    return;
  }
  const ended = opts.ended || !!p.ended;

  const head = el('div', 'details-head');
  head.appendChild(el('h2', 'details-title', visible(p.name)));
  head.appendChild(el('span', 'details-pid', `pid ${p.pid}`));
  const stat = el('span', 'stat-badge', p.stat);
  stat.dataset.state = p.state;
  stat.title = statTooltip(p.stat);
  head.appendChild(stat);
  if (ended) head.appendChild(badge('ended', 'badge-ended', p.ended?.description));
  else {
    if (p.zombie) head.appendChild(badge('zombie', 'badge-zombie'));
    if (p.orphan) head.appendChild(badge('orphan', 'badge-orphan'));
  }
  if (p.restricted) head.appendChild(badge('restricted', 'badge-restricted', p.restrictedReason ?? undefined));
  host.appendChild(head);

  if (p.ended) {
    const at = new Date(p.ended.at).toLocaleTimeString();
    host.appendChild(section('Ended', 'ended-explanation', [['', `${p.ended.description} (noticed at ${at}).`]]));
  } else if (ended) host.appendChild(section('Ended', 'ended-explanation', [['', 'This process is gone.']]));
  if (p.zombie) host.appendChild(section(ended ? 'Was a zombie' : 'Zombie', 'zombie-explanation', [['', p.zombie.explanation], ['Fix:', p.zombie.fix]]));
  if (p.orphan) {
    host.appendChild(
      section(ended ? 'Was an orphan' : 'Orphan', 'orphan-explanation', [
        ['', p.orphan.explanation],
        [
          'Original parent:',
          p.orphan.originalPpid !== null
            ? `pid ${p.orphan.originalPpid}${p.orphan.originalParentName ? ` (${visible(p.orphan.originalParentName)})` : ''}`
            : `not seen${p.orphan.inferred ? ' (inferred from its process group: the parent was gone before IPC Scope looked)' : ''}`,
        ],
        ['Adopted by:', `pid ${p.orphan.adoptedBy} (${p.orphan.adopterKind === 'init' ? 'init of its pid namespace' : 'a subreaper'})`],
        ['Fix:', p.orphan.fix],
      ]),
    );
  }
  if (p.restricted) host.appendChild(section('Restricted', 'restricted-explanation', [['', p.restrictedReason ?? 'Some details could not be read.']]));
  if (!ended && (p.blockedOn || p.wchan)) {
    const b = el('p', 'blocked-on');
    b.appendChild(el('strong', undefined, 'Blocked on: '));
    b.appendChild(document.createTextNode(p.blockedOn || 'unknown'));
    if (p.wchan) b.appendChild(el('span', 'muted', ` (kernel wait channel ${p.wchan})`));
    host.appendChild(b);
  }
  if (opts.osIpc && !ended) host.appendChild(opts.osIpc);
  if (opts.channels?.length) host.appendChild(channelsSection(opts.channels, opts.onChannel));

  const grid = el('dl', 'details-grid');
  const add = (k: string, v: string, title?: string) => {
    const item = el('div', 'kv');
    item.appendChild(el('dt', undefined, k));
    const dd = el('dd', undefined, v);
    if (title) dd.title = title;
    item.appendChild(dd);
    grid.appendChild(item);
  };
  add('pid', String(p.pid));
  add('ppid', String(p.ppid), 'parent process id');
  add('pgid', String(p.pgid), 'process group id');
  add('sid', String(p.sid), 'session id');
  add('tty', p.tty, p.tpgid > 0 ? `foreground process group of the terminal: ${p.tpgid}` : undefined);
  add('user', `${visible(p.user)} (${p.uid})`);
  add('started', `${new Date(p.startedAt).toLocaleTimeString()}${ended ? '' : ` (${formatDuration(Math.max(0, opts.now - p.startedAt))} ago)`}`, new Date(p.startedAt).toString());
  add('threads', String(p.threads));
  add('nice', String(p.nice));
  add('CPU', formatCpu(p.cpuPercent), 'over the last refresh interval (100% = one core)');
  add('CPU time', formatDuration(p.cpuTimeMs), 'user + system');
  add('RSS', formatKb(p.rssKb), 'resident memory');
  add('VSZ', formatKb(p.vszKb), 'virtual memory');
  add('wchan', p.wchan || '—', 'kernel wait channel');
  host.appendChild(grid);

  const statBox = el('section', 'details-section stat-explained');
  statBox.appendChild(el('h3', undefined, `STAT ${p.stat}`));
  const table = el('table', 'stat-table');
  for (const l of explainStat(p.stat)) {
    const tr = el('tr');
    tr.appendChild(el('td', 'stat-letter', l.letter));
    const td = el('td');
    td.appendChild(el('span', 'stat-title', l.title));
    td.appendChild(document.createTextNode(` — ${l.meaning}`));
    tr.appendChild(td);
    table.appendChild(tr);
  }
  statBox.appendChild(table);
  host.appendChild(statBox);

  const args = el('section', 'details-section argv');
  args.appendChild(el('h3', undefined, p.argv && p.argv.length ? `Command line (${p.argv.length} argument${p.argv.length === 1 ? '' : 's'})` : 'Command line'));
  if (p.argv === null) args.appendChild(el('p', 'muted', 'unknown (could not be read)'));
  else if (p.argv.length === 0) args.appendChild(el('p', 'muted', `none (${p.state === 'Z' || ended ? 'a zombie keeps no memory, so no argv' : 'a kernel thread has no argv'})`));
  else {
    const ol = el('ol', 'argv-list');
    ol.start = 0;
    for (const a of p.argv) {
      const li = el('li');
      const arg = el('span', a === '' ? 'arg arg-empty' : 'arg');
      if (a === '') arg.textContent = 'empty string';
      else arg.appendChild(visibleNodes(a));
      li.appendChild(arg);
      ol.appendChild(li);
    }
    args.appendChild(ol);
  }
  host.appendChild(args);
}
