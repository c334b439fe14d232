/**
 * The Channels section: every queue, pipe, socket, shared object, lock, Manager object and Pool,
 * grouped by kind, with who holds it and what went through it, and the message timeline.
 *
 * Updates carry only the channels that changed: the view merges them by id and re-renders just
 * those blocks (a details element per channel, kept with its open/closed state). The two ends of
 * a duplex Pipe are shown as one block with a log per direction. All user data goes through
 * textContent.
 */
import type { ChannelInfo, ChannelKind, ChannelsUpdate, ManagerChannelInfo, MessageChannelInfo, MessageInfo, PoolChannelInfo, SharedChannelInfo, SyncChannelInfo } from '../../protocol/protocol';
import { actionable, baseLoc, el, facts, pidList } from './dom';
import { visible } from './format';
import { renderSharedBody, sharedGist, sharedTitle, SharedViewState } from './sharedView';
import { Timeline } from './timeline';

const GROUPS: Array<{ kinds: ChannelKind[]; title: string; key: string }> = [
  { key: 'queue', kinds: ['queue'], title: 'Queues' },
  { key: 'pipe', kinds: ['pipe'], title: 'Pipes' },
  { key: 'socket', kinds: ['socket'], title: 'Sockets' },
  { key: 'shared', kinds: ['shared'], title: 'Shared memory' },
  { key: 'sync', kinds: ['sync'], title: 'Locks & semaphores' },
  { key: 'manager', kinds: ['manager'], title: 'Manager objects' },
  { key: 'pool', kinds: ['pool'], title: 'Pools' },
];
/** Blocks start open while there are this many channels or fewer. */
const OPEN_UP_TO = 12;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const isMessage = (c: ChannelInfo): c is MessageChannelInfo => c.kind === 'queue' || c.kind === 'pipe' || c.kind === 'socket';

function messageItem(m: MessageInfo, showDirection = false): HTMLLIElement {
  const li = el('li', `message message-${m.op}`);
  li.appendChild(el('span', 'message-op', m.op));
  li.appendChild(el('span', 'message-pid', `pid ${m.pid}`));
  if (showDirection) li.appendChild(el('span', 'message-ch', m.ch));
  li.appendChild(el('span', 'message-preview', visible(m.preview) + (m.truncated ? ` … (${m.size} bytes)` : '')));
  li.title = `${m.op} #${m.seq || '?'} by pid ${m.pid}${m.size >= 0 ? `, ${m.size} bytes` : ''}${m.loc ? ` at ${m.loc}` : ''}`;
  return li;
}

function messageList(messages: MessageInfo[], label: string, cls = 'channel-messages'): HTMLOListElement {
  const list = el('ol', cls);
  list.setAttribute('aria-label', label);
  for (const m of messages) list.appendChild(messageItem(m));
  return list;
}

function subhead(text: string): HTMLElement {
  return el('h5', 'channel-subhead', text);
}

export class ChannelsView {
  private readonly channels = new Map<string, ChannelInfo>();
  /** Blocks by the id they show (a duplex pair under its first end's id). */
  private readonly blocks = new Map<string, HTMLDetailsElement>();
  private readonly openState = new Map<string, boolean>();
  private readonly sharedState = new Map<string, SharedViewState>();
  private readonly groups = new Map<string, { section: HTMLElement; title: HTMLElement; body: HTMLElement }>();
  private readonly title: HTMLElement;
  private readonly warning: HTMLElement;
  private readonly timeline = new Timeline();
  private stats = { received: 0, dropped: 0, protocolErrors: 0, omitted: 0 };
  private perRow = 8;

  constructor(private readonly host: HTMLElement) {
    this.title = el('h3', 'channels-title', 'Channels');
    this.warning = el('p', 'channels-warning');
    this.warning.hidden = true;
    host.append(this.title, this.warning, this.timeline.element);
    this.timeline.element.hidden = true;
    for (const g of GROUPS) {
      const section = el('section', `channel-group channel-group-${g.key}`);
      const title = el('h4', 'channel-group-title', g.title);
      const body = el('div', 'channel-group-body');
      section.dataset.group = g.key;
      section.append(title, body);
      section.hidden = true;
      host.appendChild(section);
      this.groups.set(g.key, { section, title, body });
    }
    host.hidden = true;
  }

  apply(u: ChannelsUpdate): void {
    const touched = new Set<string>();
    if (u.full) {
      for (const id of this.channels.keys()) touched.add(id);
      this.channels.clear();
    }
    for (const id of u.removed) {
      const c = this.channels.get(id);
      if (c && isMessage(c) && c.peer) touched.add(c.peer);
      this.channels.delete(id);
      touched.add(id);
    }
    for (const c of u.channels) {
      const old = this.channels.get(c.id);
      if (old && isMessage(old) && old.peer) touched.add(old.peer);
      this.channels.set(c.id, c);
      touched.add(c.id);
      if (isMessage(c) && c.peer) touched.add(c.peer);
    }
    this.stats = { received: u.received, dropped: u.dropped, protocolErrors: u.protocolErrors, omitted: u.omitted };
    this.perRow = this.host.clientWidth >= 560 ? 16 : 8;
    for (const id of touched) this.renderId(id);
    if (u.timeline) this.timeline.set(u.timeline.messages);
    this.renderHead();
  }

  /** Channels a process used (sent, received, created or held), for its details pane. */
  heldBy(pid: number): ChannelInfo[] {
    const out: ChannelInfo[] = [];
    for (const c of this.channels.values()) if (c.holders.includes(pid)) out.push(c);
    return out.sort((a, b) => a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
  }

  /** After a resize: the timeline and hex rows follow the width. */
  relayout(): void {
    const perRow = this.host.clientWidth >= 560 ? 16 : 8;
    if (perRow !== this.perRow) {
      this.perRow = perRow;
      for (const c of this.channels.values()) if (c.kind === 'shared') this.renderId(c.id);
    }
    this.timeline.render();
  }

  /** The id a channel's block is kept under: a duplex pair shows under its smaller id. */
  private primary(c: ChannelInfo): string {
    if (isMessage(c) && c.peer && c.peer < c.id && this.channels.get(c.peer)?.kind === c.kind) return c.peer;
    return c.id;
  }

  private renderId(id: string): void {
    const c = this.channels.get(id);
    const prim = c ? this.primary(c) : null;
    // A block under this id that should not be there (gone, or now shown with its peer).
    if (prim !== id) {
      const b = this.blocks.get(id);
      if (b) {
        b.remove();
        this.blocks.delete(id);
      }
      if (c && prim) this.renderBlock(this.channels.get(prim)!);
      return;
    }
    this.renderBlock(c!);
  }

  private renderBlock(c: ChannelInfo): void {
    let box = this.blocks.get(c.id);
    const group = this.groups.get(c.kind)!;
    const hadFocus = !!box && box.contains(document.activeElement) && document.activeElement?.tagName === 'SUMMARY';
    if (!box) {
      box = el('details', `channel channel-${c.kind}`);
      box.dataset.channel = c.id;
      const open = this.openState.get(c.id) ?? this.channels.size <= OPEN_UP_TO;
      box.open = open;
      const b = box;
      box.addEventListener('toggle', () => this.openState.set(c.id, b.open));
      this.blocks.set(c.id, box);
      group.body.appendChild(box);
    } else if (box.parentElement !== group.body) group.body.appendChild(box);
    box.className = `channel channel-${c.kind}`;
    const summary = el('summary');
    const body: HTMLElement[] = [];
    const peer = isMessage(c) && c.peer ? (this.channels.get(c.peer) as MessageChannelInfo | undefined) : undefined;
    if (isMessage(c) && peer && peer.kind === c.kind) {
      box.classList.add('channel-pair');
      this.pairSummary(summary, c, peer);
      body.push(...this.pairBody(c, peer));
    } else
      switch (c.kind) {
        case 'queue':
        case 'pipe':
        case 'socket':
          this.messageSummary(summary, c);
          body.push(...this.messageBody(c));
          break;
        case 'shared': {
          this.sharedSummary(summary, c);
          const state = this.sharedState.get(c.id) ?? { expanded: false };
          this.sharedState.set(c.id, state);
          body.push(
            ...renderSharedBody(c, this.perRow, state, () => {
              state.expanded = !state.expanded;
              this.renderId(c.id);
            }),
          );
          break;
        }
        case 'sync':
          this.syncSummary(summary, c);
          body.push(...this.syncBody(c));
          break;
        case 'manager':
          this.managerSummary(summary, c);
          body.push(...this.managerBody(c));
          break;
        case 'pool':
          this.poolSummary(summary, c);
          body.push(...this.poolBody(c));
          break;
      }
    box.replaceChildren(summary, ...body);
    this.linkCreation(box, c);
    if (hadFocus) summary.focus();
  }

  /** Called with a channel's createdAt ("file:line") when its "created at" is activated: the host opens that line. */
  onOpenSource: ((loc: string) => void) | null = null;

  private linkCreation(box: HTMLElement, c: ChannelInfo): void {
    const open = this.onOpenSource;
    if (!open || !c.createdAt) return;
    for (const label of box.querySelectorAll('.fact-label')) {
      const value = label.nextElementSibling as HTMLElement | null;
      if (!value || (label.textContent !== 'created at ' && label.textContent !== 'first call at ')) continue;
      value.classList.add('source-link', 'link-button');
      actionable(value, `Open ${c.createdAt} in the editor`, () => open(c.createdAt));
    }
  }

  private removeBlock(id: string): void {
    const b = this.blocks.get(id);
    if (b) b.remove();
    this.blocks.delete(id);
  }

  private renderHead(): void {
    // Blocks of channels no longer known.
    for (const id of [...this.blocks.keys()]) if (!this.channels.has(id)) this.removeBlock(id);
    const n = this.channels.size;
    this.host.hidden = n === 0 && this.timeline.element.hidden;
    this.title.textContent = `Channels (${n}${this.stats.omitted ? ` of ${n + this.stats.omitted}` : ''})`;
    const problems: string[] = [];
    if (this.stats.dropped || this.stats.protocolErrors) problems.push(`${this.stats.dropped} events dropped, ${this.stats.protocolErrors} protocol errors (of ${this.stats.received} received)`);
    if (this.stats.omitted) problems.push(`${this.stats.omitted} less active channels not shown`);
    this.warning.hidden = problems.length === 0;
    this.warning.textContent = problems.join(' · ');
    for (const g of GROUPS) {
      const { section, title, body } = this.groups.get(g.key)!;
      const count = body.childElementCount;
      section.hidden = count === 0;
      title.textContent = `${g.title} (${count})`;
    }
  }

  /** Opens a channel's block, scrolls to it and focuses it (also from a process's details). */
  reveal(id: string): void {
    const c = this.channels.get(id);
    const block = c ? this.blocks.get(this.primary(c)) : undefined;
    if (!block) return;
    block.open = true;
    this.openState.set(block.dataset.channel ?? id, true);
    block.scrollIntoView({ block: 'nearest' });
    (block.querySelector('summary') as HTMLElement | null)?.focus();
  }

  private channelLink(id: string, text: string): HTMLElement {
    const a = el('span', 'channel-link', text);
    actionable(a, `Go to ${text}`, () => this.reveal(id));
    return a;
  }

  // ---- queues, pipes, sockets ----

  private counts(c: MessageChannelInfo): string {
    const [w, r] = c.kind === 'queue' ? ['put', 'got'] : c.kind === 'pipe' && !c.id.startsWith('conn:') ? ['written', 'read'] : ['sent', 'received'];
    return `${c.written} ${w} · ${c.read} ${r} · ${c.rate}/s`;
  }

  private messageSummary(s: HTMLElement, c: MessageChannelInfo): void {
    s.appendChild(el('span', 'channel-type', c.type));
    if (c.label) s.appendChild(el('span', 'channel-label', visible(c.label)));
    s.appendChild(el('span', 'channel-id', visible(c.id)));
    if (c.kind === 'queue' || c.depth !== null) {
      const depth = c.depth === null ? '?' : String(c.depth);
      const d = el('span', 'channel-depth', `depth ${depth}${c.maxsize !== null ? ` / ${c.maxsize}` : ''}`);
      if (c.maxsize !== null && c.depth !== null && c.depth >= c.maxsize) d.classList.add('channel-full');
      s.appendChild(d);
    }
    s.appendChild(el('span', 'channel-counts', this.counts(c)));
    if (c.blocked.length) s.appendChild(el('span', 'sync-state sync-waiting', `${c.blocked.length} blocked`));
  }

  private messageMeta(c: MessageChannelInfo): HTMLElement {
    const blocked = c.blocked.map((b) => `pid ${b.pid} in ${b.op}()${b.op === 'put' || b.op.startsWith('send') ? ' (full)' : ''}${b.loc ? ` at ${baseLoc(b.loc)}` : ''}`).join(', ');
    const meta = facts('', [['held by', pidList(c.holders)], !!c.createdAt && ['created at', baseLoc(c.createdAt)], !!blocked && ['blocked', blocked]]);
    if (c.pool) {
      meta.append(' · ', el('span', 'fact-label', 'of '));
      meta.appendChild(this.channelLink(c.pool, c.pool));
    }
    return meta;
  }

  private messageBody(c: MessageChannelInfo): HTMLElement[] {
    const out: HTMLElement[] = [this.messageMeta(c)];
    if (c.kind === 'queue' || c.pending.length) {
      const box = el('div', 'queue-contents');
      const title = c.kind === 'queue' ? 'Contents' : 'In flight';
      box.appendChild(subhead(`${title} (${c.depth ?? c.pending.length})`));
      if (c.pending.length) box.appendChild(messageList(c.pending, `${title} of ${c.id}, oldest first`, 'channel-messages contents-list'));
      else box.appendChild(el('p', 'muted contents-empty', 'empty'));
      out.push(box);
    }
    if (c.kind === 'socket') {
      // One log per direction, by the pid that sent.
      for (const [label, msgs] of socketDirections(c.recent)) {
        out.push(subhead(label));
        out.push(messageList(msgs, `${label} on ${c.id}`));
      }
    } else if (c.recent.length) {
      out.push(subhead('Newest messages'));
      out.push(messageList(c.recent, `newest messages on ${c.id}`));
    }
    return out;
  }

  private pairSummary(s: HTMLElement, a: MessageChannelInfo, b: MessageChannelInfo): void {
    s.appendChild(el('span', 'channel-type', `${a.type} (duplex)`));
    const label = a.label || b.label;
    if (label) s.appendChild(el('span', 'channel-label', visible(label)));
    s.appendChild(el('span', 'channel-id', `${visible(a.id)} \u21c4 ${visible(b.id)}`));
    s.appendChild(el('span', 'channel-counts', `${a.written + b.written} sent · ${a.read + b.read} received · ${Math.round((a.rate + b.rate) * 10) / 10}/s`));
  }

  private pairBody(a: MessageChannelInfo, b: MessageChannelInfo): HTMLElement[] {
    const out: HTMLElement[] = [facts('', [['held by', pidList([...new Set([...a.holders, ...b.holders])].sort((x, y) => x - y))], !!a.createdAt && ['created at', baseLoc(a.createdAt)]])];
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      const msgs = [...from.recent.filter((m) => m.write), ...to.recent.filter((m) => !m.write)].sort((x, y) => x.ts - y.ts || x.id - y.id);
      const writers = [...new Set(from.recent.filter((m) => m.write).map((m) => m.pid))];
      const readers = [...new Set(to.recent.filter((m) => !m.write).map((m) => m.pid))];
      const label = `${writers.length ? pidList(writers) : from.id} \u2192 ${readers.length ? pidList(readers) : to.id}`;
      const dir = el('div', 'pipe-direction');
      dir.appendChild(subhead(`${label}${from.depth ? ` · ${from.depth} in flight` : ''}`));
      if (msgs.length) dir.appendChild(messageList(msgs, `messages ${label}`));
      else dir.appendChild(el('p', 'muted contents-empty', 'nothing sent this way yet'));
      out.push(dir);
    }
    return out;
  }

  // ---- shared memory ----

  private sharedSummary(s: HTMLElement, c: SharedChannelInfo): void {
    s.appendChild(el('span', 'channel-type', sharedTitle(c)));
    if (c.label) s.appendChild(el('span', 'channel-label', visible(c.label)));
    const gist = sharedGist(c);
    if (gist) {
      const g = el('span', 'shared-gist', gist);
      if (c.changed.length) g.classList.add('value-changed');
      s.appendChild(g);
    }
    s.appendChild(el('span', 'channel-id', visible(c.id)));
    s.appendChild(el('span', 'channel-counts', `${c.writes ? plural(c.writes, 'write') : 'sampled'} · ${c.rate}/s`));
  }

  // ---- locks, semaphores ----

  private syncSummary(s: HTMLElement, c: SyncChannelInfo): void {
    s.appendChild(el('span', 'channel-type', c.type));
    s.appendChild(el('span', 'channel-id', visible(c.id)));
    if (c.flag !== null) s.appendChild(el('span', `sync-state ${c.flag ? 'sync-set' : 'sync-clear'}`, c.flag ? 'set' : 'clear'));
    else if (c.value !== null) s.appendChild(el('span', 'channel-depth', `value ${c.value}${c.maxvalue !== null ? ` / ${c.maxvalue}` : ''}`));
    const held = c.owners.reduce((n, o) => n + o.count, 0);
    if (c.flag === null) s.appendChild(el('span', `sync-state ${held ? 'sync-held' : 'sync-free'}`, held ? `held by ${c.owners.map((o) => `pid ${o.pid}${o.count > 1 ? ` ×${o.count}` : ''}`).join(', ')}` : 'free'));
    if (c.waiters.length) s.appendChild(el('span', 'sync-state sync-waiting', `${c.waiters.length} waiting`));
  }

  private syncBody(c: SyncChannelInfo): HTMLElement[] {
    const lockLike = c.flag === null;
    const out: HTMLElement[] = [
      facts('', [
        lockLike && ['held by', c.owners.length ? c.owners.map((o) => `pid ${o.pid}${o.count > 1 ? ` (×${o.count})` : ''}`).join(', ') : 'nobody'],
        ['waiting', pidList(c.waiters)],
        lockLike && ['acquired', `${c.acquires}×`],
        c.contended > 0 && ['had to wait', `${c.contended}×`],
        ['used by', pidList(c.holders)],
        !!c.createdAt && ['created at', baseLoc(c.createdAt)],
      ]),
    ];
    if (c.recent.length) {
      out.push(subhead('Newest operations'));
      const list = el('ol', 'channel-messages sync-ops');
      list.setAttribute('aria-label', `newest operations on ${c.id}`);
      for (const r of c.recent) {
        const li = el('li', `message sync-op sync-op-${r.op.replace(/[^a-z_]/gi, '')}`);
        li.appendChild(el('span', 'message-op', r.op));
        li.appendChild(el('span', 'message-pid', `pid ${r.pid}`));
        const parts: string[] = [];
        if (r.value !== null) parts.push(`value ${r.value}`);
        if (r.waitedMs) parts.push(`waited ${r.waitedMs} ms`);
        li.appendChild(el('span', 'message-preview', parts.join(' · ')));
        if (r.loc) li.title = r.loc;
        list.appendChild(li);
      }
      out.push(list);
    }
    return out;
  }

  // ---- managers, pools ----

  private managerSummary(s: HTMLElement, c: ManagerChannelInfo): void {
    s.appendChild(el('span', 'channel-type', c.typeid || c.type));
    s.appendChild(el('span', 'channel-id', visible(c.id)));
    if (c.length !== null) s.appendChild(el('span', 'channel-depth', `len ${c.length}`));
    s.appendChild(el('span', 'channel-counts', `${plural(c.calls, 'call')} · ${c.rate}/s`));
  }

  private managerBody(c: ManagerChannelInfo): HTMLElement[] {
    const out: HTMLElement[] = [facts('', [['used by', pidList(c.holders)], !!c.createdAt && ['first call at', baseLoc(c.createdAt)]])];
    out.push(subhead('Contents'));
    out.push(el('pre', 'manager-state', c.state ? visible(c.state) + (c.stateTruncated ? ` … (${c.stateSize} bytes)` : '') : 'not reported yet'));
    if (c.recent.length) {
      out.push(subhead('Newest calls'));
      const list = el('ol', 'channel-messages manager-calls');
      list.setAttribute('aria-label', `newest calls on ${c.id}`);
      for (const r of c.recent) {
        const li = el('li', 'message manager-call');
        li.appendChild(el('span', 'message-op', visible(r.method)));
        li.appendChild(el('span', 'message-pid', `pid ${r.pid}`));
        li.appendChild(el('span', 'message-preview', visible(r.args)));
        if (r.loc) li.title = r.loc;
        list.appendChild(li);
      }
      out.push(list);
    }
    return out;
  }

  private poolSummary(s: HTMLElement, c: PoolChannelInfo): void {
    s.appendChild(el('span', 'channel-type', c.type));
    s.appendChild(el('span', 'channel-id', visible(c.id)));
    if (c.processes !== null) s.appendChild(el('span', 'channel-depth', plural(c.processes, 'process', 'processes')));
  }

  private poolBody(c: PoolChannelInfo): HTMLElement[] {
    const p = facts('', [['held by', pidList(c.holders)], !!c.createdAt && ['created at', baseLoc(c.createdAt)]]);
    const links = el('p', 'channel-meta pool-links');
    for (const [label, id] of [
      ['tasks', c.tasks],
      ['results', c.results],
    ] as const) {
      if (!id) continue;
      if (links.childNodes.length) links.append(' · ');
      links.appendChild(el('span', 'fact-label', `${label} `));
      links.appendChild(this.channels.has(id) ? this.channelLink(id, id) : el('span', 'fact-value', id));
    }
    return links.childNodes.length ? [p, links] : [p];
  }
}

/** A socket's messages by direction: each sender pid's sends with the receives that took them. */
function socketDirections(recent: MessageInfo[]): Array<[string, MessageInfo[]]> {
  const byWriter = new Map<number, MessageInfo[]>();
  const sendIds = new Map<number, number>();
  for (const m of recent) {
    if (!m.write) continue;
    if (!byWriter.has(m.pid)) byWriter.set(m.pid, []);
    byWriter.get(m.pid)!.push(m);
    sendIds.set(m.id, m.pid);
  }
  const other: MessageInfo[] = [];
  for (const m of recent) {
    if (m.write) continue;
    const linked = m.link !== null ? sendIds.get(m.link) : undefined;
    const writer = linked ?? [...byWriter.keys()].find((p) => p !== m.pid);
    if (writer !== undefined) byWriter.get(writer)!.push(m);
    else other.push(m);
  }
  const out: Array<[string, MessageInfo[]]> = [];
  for (const [pid, msgs] of byWriter) {
    const readers = [...new Set(msgs.filter((m) => !m.write).map((m) => m.pid))];
    out.push([`pid ${pid} \u2192 ${readers.length ? pidList(readers) : '?'}`, msgs.sort((a, b) => a.ts - b.ts || a.id - b.id)]);
  }
  if (other.length) out.push(['received (sender not seen)', other]);
  return out;
}
