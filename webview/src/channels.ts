/** The Channels section: each queue and pipe, who holds it, its depth and its newest messages. */
import type { ChannelInfo, ChannelsUpdate } from '../../protocol/protocol';
import { visible } from './format';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

const base = (loc: string) => loc.split('/').pop() ?? loc;

function channelBlock(c: ChannelInfo): HTMLElement {
  const box = el('details', `channel channel-${c.kind}`);
  box.open = true;
  box.dataset.channel = c.id;
  const summary = el('summary');
  summary.appendChild(el('span', 'channel-type', c.type));
  summary.appendChild(el('span', 'channel-id', c.id));
  if (c.kind === 'queue') {
    const depth = c.depth === null ? '?' : String(c.depth);
    summary.appendChild(el('span', 'channel-depth', `depth ${depth}${c.maxsize !== null ? ` / ${c.maxsize}` : ''}`));
  }
  summary.appendChild(el('span', 'channel-counts', `${c.written} ${c.kind === 'queue' ? 'put' : 'sent'} · ${c.read} ${c.kind === 'queue' ? 'got' : 'received'} · ${c.rate}/s`));
  box.appendChild(summary);
  const meta = el('p', 'channel-meta muted', `held by ${c.holders.map((p) => `pid ${p}`).join(', ') || '—'}${c.createdAt ? ` · created at ${base(c.createdAt)}` : ''}`);
  box.appendChild(meta);
  const list = el('ol', 'channel-messages');
  list.setAttribute('aria-label', `newest messages on ${c.id}`);
  for (const m of c.recent) {
    const li = el('li', `message message-${m.op}`);
    li.appendChild(el('span', 'message-op', m.op));
    li.appendChild(el('span', 'message-pid', `pid ${m.pid}`));
    li.appendChild(el('span', 'message-preview', visible(m.preview) + (m.truncated ? ` … (${m.size} bytes)` : '')));
    if (m.loc) li.title = m.loc;
    list.appendChild(li);
  }
  box.appendChild(list);
  return box;
}

export function renderChannels(host: HTMLElement, update: ChannelsUpdate | null): void {
  host.replaceChildren();
  if (!update || update.channels.length === 0) {
    host.hidden = true;
    return;
  }
  host.hidden = false;
  const head = el('h3', 'channels-title', `Channels (${update.channels.length})`);
  host.appendChild(head);
  if (update.dropped || update.protocolErrors) {
    host.appendChild(el('p', 'channels-warning', `${update.dropped} events dropped, ${update.protocolErrors} protocol errors (of ${update.received} received)`));
  }
  for (const c of update.channels) host.appendChild(channelBlock(c));
}
