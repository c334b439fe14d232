/**
 * Shared memory: a Value's value, an Array's elements, and the bytes (hex + ASCII rows) of any
 * shared object, the bytes changed in its last update marked `.byte-changed`.
 */
import type { SharedChannelInfo } from '../../protocol/protocol';
import { baseLoc, el, facts, pidList } from './dom';
import { visible } from './format';

/** Rows of the hex view shown before "Show all". */
const ROWS_FOLDED = 16;

export function sharedTitle(c: SharedChannelInfo): string {
  if (/Value$/.test(c.type)) return c.typecode ? `${c.type}('${c.typecode}')` : c.type;
  if (/Array$/.test(c.type)) return c.typecode ? `${c.type}('${c.typecode}', ${c.length})` : `${c.type}(${c.length})`;
  if (c.type === 'ShareableList' && c.values) return `ShareableList(${c.values.length})`;
  return c.type;
}

export function formatBytes(n: number): string {
  if (n < 0) return '? bytes';
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KB`;
  return `${n} ${n === 1 ? 'byte' : 'bytes'}`;
}

/** A short text of the value for the summary line: "= 42", "[1, 2, 3, …]". */
export function sharedGist(c: SharedChannelInfo): string {
  if (!c.values || c.values.length === 0) return '';
  if (/Value$/.test(c.type)) return `= ${visible(c.values[0])}`;
  const shown = c.values.slice(0, 6).map(visible).join(', ');
  return `[${shown}${c.values.length > 6 || c.length > c.values.length ? ', …' : ''}]`;
}

function hexBytes(image: string): Uint8Array {
  const n = Math.floor(image.length / 2);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = parseInt(image.substr(i * 2, 2), 16);
    out[i] = Number.isNaN(v) ? 0 : v;
  }
  return out;
}

export interface SharedViewState {
  /** Every row of the hex view, not only the first ROWS_FOLDED. */
  expanded: boolean;
}

export function renderSharedBody(c: SharedChannelInfo, perRow: number, state: SharedViewState, onToggle: () => void): HTMLElement[] {
  const out: HTMLElement[] = [];
  const changed = new Set(c.changed);
  out.push(
    facts('shared-meta', [
      ['held by', pidList(c.holders)],
      ['size', formatBytes(c.size)],
      c.lock && ['', 'with lock'],
      ['writes', String(c.writes)],
      c.lastWriter !== null && ['last write', `pid ${c.lastWriter}${c.lastLoc ? ` at ${baseLoc(c.lastLoc)}` : ''}`],
      !!c.createdAt && ['created at', baseLoc(c.createdAt)],
    ]),
  );

  // Typed view.
  if (c.values && c.values.length) {
    if (/Value$/.test(c.type)) {
      const v = el('div', 'shared-value');
      v.appendChild(el('span', 'shared-value-label', 'value'));
      const val = el('span', 'shared-value-text', visible(c.values[0]));
      if (c.changed.length) val.classList.add('value-changed');
      v.appendChild(val);
      out.push(v);
    } else {
      const grid = el('ol', 'shared-array');
      grid.setAttribute('aria-label', `${c.values.length} of ${c.length} elements`);
      const changedValues = new Set(c.changedValues);
      c.values.forEach((text, i) => {
        const li = el('li', 'shared-elem');
        li.appendChild(el('span', 'elem-index', `[${i}]`));
        li.appendChild(el('span', 'elem-value', visible(text)));
        if (changedValues.has(i)) li.classList.add('value-changed');
        li.title = visible(text);
        grid.appendChild(li);
      });
      out.push(grid);
      if (c.type !== 'ShareableList' && c.length > c.values.length) out.push(el('p', 'muted shared-note', `first ${c.values.length} of ${c.length} elements`));
    }
  }

  // Bytes: hex and ASCII rows.
  const bytes = hexBytes(c.image);
  if (bytes.length) {
    const rows = Math.ceil(bytes.length / perRow);
    const shownRows = state.expanded ? rows : Math.min(rows, ROWS_FOLDED);
    const table = el('div', 'hex-view');
    table.setAttribute('role', 'table');
    table.setAttribute('aria-label', `bytes of ${c.id}${c.changed.length ? `, ${c.changed.length} changed in the last update` : ''}`);
    for (let r = 0; r < shownRows; r++) {
      const start = r * perRow;
      const row = el('div', 'hex-row');
      row.setAttribute('role', 'row');
      row.appendChild(el('span', 'hex-offset', start.toString(16).padStart(4, '0')));
      const hex = el('span', 'hex-bytes');
      const ascii = el('span', 'hex-ascii');
      for (let i = start; i < Math.min(start + perRow, bytes.length); i++) {
        const b = bytes[i];
        const h = el('span', 'byte', b.toString(16).padStart(2, '0'));
        const a = el('span', 'byte', b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.');
        if (changed.has(i)) {
          h.classList.add('byte-changed');
          a.classList.add('byte-changed');
        }
        hex.appendChild(h);
        ascii.appendChild(a);
      }
      row.append(hex, ascii);
      table.appendChild(row);
    }
    out.push(table);
    const notes: string[] = [];
    if (c.size > c.imageKnown) notes.push(`showing ${formatBytes(c.imageKnown)} of ${formatBytes(c.size)}`);
    if (c.changed.length) notes.push(`${c.changed.length} ${c.changed.length === 1 ? 'byte' : 'bytes'} changed`);
    const foot = el('p', 'muted shared-note', notes.join(' · '));
    if (rows > ROWS_FOLDED) {
      const more = el('button', 'link-button', state.expanded ? 'Show fewer rows' : `Show all ${rows} rows`);
      more.type = 'button';
      more.addEventListener('click', onToggle);
      foot.append(notes.length ? ' · ' : '', more);
    }
    if (foot.childNodes.length) out.push(foot);
  } else if (!c.values?.length) out.push(el('p', 'muted shared-note', 'Contents not seen yet.'));

  if (c.recent.length) {
    const log = el('ol', 'channel-messages shared-writes');
    log.setAttribute('aria-label', `newest writes to ${c.id}`);
    for (const w of c.recent) {
      const li = el('li', 'message message-write');
      li.appendChild(el('span', 'message-op', 'write'));
      li.appendChild(el('span', 'message-pid', `pid ${w.pid}`));
      li.appendChild(el('span', 'message-preview', `${w.index !== null ? `[${w.index}] = ` : w.offset >= 0 ? `@${w.offset} ` : ''}${visible(w.value)}`));
      if (w.loc) li.title = w.loc;
      log.appendChild(li);
    }
    out.push(log);
  }
  return out;
}
