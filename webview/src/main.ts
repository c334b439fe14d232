/** Panel entry: wires messages from the extension to the model, the tree, the details and the header. */
import type { HostToWebview, ProcessInfo, Scope, WebviewToHost } from '../../protocol/protocol';
import { ChannelsView } from './channels';
import { renderDetails } from './details';
import { renderLegend } from './legend';
import { ClientModel } from './model';
import { PausedView } from './paused';
import { ProcessTree } from './tree';
import { RunRecordsView, isRunRecordMessage } from './runRecords';
import { OsIpcView } from './osIpc';
import { button, dropdown, registerToolkit, spinner, textField } from './toolkit';

interface VsCodeApi {
  postMessage(msg: WebviewToHost): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** What survives the panel being hidden (vscode.setState). */
interface UiState {
  selected: string | null;
  collapsed: string[];
  filter: string;
  scrollTop?: number;
  detailsHeight?: number;
}

const vscode = acquireVsCodeApi();
const loaded = vscode.getState() as Partial<UiState> | undefined;
const saved: UiState = {
  selected: typeof loaded?.selected === 'string' ? loaded.selected : null,
  collapsed: Array.isArray(loaded?.collapsed) ? loaded.collapsed.filter((k): k is string => typeof k === 'string') : [],
  filter: typeof loaded?.filter === 'string' ? loaded.filter : '',
  scrollTop: typeof loaded?.scrollTop === 'number' ? loaded.scrollTop : 0,
  detailsHeight: typeof loaded?.detailsHeight === 'number' ? loaded.detailsHeight : undefined,
};
const collapsed = new Set(saved.collapsed);
let filter = saved.filter;
let detailsHeight = saved.detailsHeight;
let received = false;
const model = new ClientModel();

registerToolkit();
const root = document.getElementById('ipc-scope-root')!;
const post = (m: WebviewToHost) => vscode.postMessage(m);

function div(cls: string, text?: string): HTMLDivElement {
  const d = document.createElement('div');
  d.className = cls;
  if (text !== undefined) d.textContent = text;
  return d;
}

// Header: what is watched and how it is doing.
const header = document.createElement('header');
header.className = 'status';
const titleRow = div('status-row');
const title = div('status-title');
const stopButton = button('Stop watching', () => post({ type: 'stopWatching' }), { secondary: true, title: 'Stop watching this program' });
stopButton.classList.add('status-stop');
titleRow.append(title, stopButton);
const counts = div('status-counts');
counts.setAttribute('role', 'status');
counts.setAttribute('aria-live', 'polite');
const programEnded = div('status-ended');
programEnded.hidden = true;
header.append(titleRow, counts, programEnded);

const toolbar = div('toolbar');
toolbar.setAttribute('role', 'toolbar');
toolbar.setAttribute('aria-label', 'Process tree actions');
const scopeDropdown = dropdown<Scope>(
  [
    { value: 'program', label: 'Program tree' },
    { value: 'system', label: 'Whole system' },
  ],
  'program',
  (scope) => {
    if (scope !== model.scope) post({ type: 'setScope', scope });
  },
  'What to show',
);
const filterField = textField('Filter: pid, name, command', (v) => {
  filter = v;
  saveState();
  refreshRows();
  tree.reveal();
}, 'Filter processes by pid, name or command line');
filterField.value = filter;
filterField.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && filterField.value) {
    e.preventDefault();
    filterField.value = '';
    filter = '';
    saveState();
    refreshRows();
    tree.reveal();
  } else if (e.key === 'ArrowDown') {
    e.preventDefault();
    tree.element.focus();
  }
});
toolbar.append(button('Refresh', () => post({ type: 'refresh' }), { secondary: true, title: 'Ask for a fresh snapshot' }), scopeDropdown, filterField);

const banner = div('banner');
banner.hidden = true;
banner.setAttribute('role', 'alert');

const loading = div('loading');
loading.append(spinner('Loading processes'), document.createTextNode('Waiting for the process list…'));

const empty = div('empty');
empty.hidden = true;
const emptyTitle = document.createElement('p');
emptyTitle.className = 'empty-title';
emptyTitle.textContent = 'No program watched';
const emptyText = document.createElement('p');
emptyText.className = 'muted';
emptyText.textContent = 'Run a Python file under IPC Scope, or pick a running process, to see its process tree live: STAT codes, zombies, orphans and the queues and pipes between processes.';
const emptyButtons = div('empty-buttons');
emptyButtons.append(
  button('Run Python File…', () => post({ type: 'runFile' }), { title: 'Run a Python file with IPC Scope' }),
  button('Watch Process…', () => post({ type: 'watchProcess' }), { secondary: true, title: 'Watch a running process and its children' }),
  button('Show whole system', () => post({ type: 'setScope', scope: 'system' }), { secondary: true, title: 'Show every process on this machine' }),
);
empty.append(emptyTitle, emptyText, emptyButtons);

const noMatch = div('no-match muted');
noMatch.hidden = true;

const tree = new ProcessTree(model, {
  onSelect: () => {
    saveState();
    showDetails();
  },
  onToggle: (key, expanded) => {
    if (expanded) collapsed.delete(key);
    else collapsed.add(key);
    saveState();
    refreshRows();
  },
  rowIpc: (pid) => osIpcView.row(pid),
});
const osIpcView = new OsIpcView((pid) => {
  const p = [...model.byKey.values()].find((x) => x.pid === pid);
  if (p) tree.select(p.key);
});
tree.selected = saved.selected;

// A sash between the tree and the details: drag or use arrow keys to resize.
const sash = div('sash');
sash.setAttribute('role', 'separator');
sash.setAttribute('aria-orientation', 'horizontal');
sash.setAttribute('aria-label', 'Resize the details pane');
sash.tabIndex = 0;

const details = div('details');
details.id = 'details';
details.setAttribute('aria-label', 'Process details');
details.setAttribute('role', 'region');
details.tabIndex = -1;

const channels = document.createElement('section');
channels.id = 'channels';
channels.className = 'channels';
channels.setAttribute('aria-label', 'Channels');
const channelsView = new ChannelsView(channels);
channelsView.onOpenSource = (loc) => post({ type: 'openLocation', loc });

const pausedView = new PausedView((pid) => post({ type: 'continueProcess', pid }));

const endedBox = document.createElement('details');
endedBox.className = 'ended';
endedBox.hidden = true;
const endedSummary = document.createElement('summary');
const endedList = document.createElement('ul');
endedBox.append(endedSummary, endedList);

const runRecords = new RunRecordsView(root, (m) => apply(m), (m) => vscode.postMessage(m as WebviewToHost));
root.append(header, pausedView.element, runRecords.banner, toolbar, banner, osIpcView.element, loading, empty, noMatch, tree.element, sash, details, runRecords.section, channels, endedBox, renderLegend());

function applyDetailsHeight(): void {
  if (detailsHeight === undefined) details.style.removeProperty('height');
  else {
    const max = Math.max(80, root.clientHeight - 160);
    details.style.height = `${Math.round(Math.min(max, Math.max(60, detailsHeight)))}px`;
  }
}
sash.addEventListener('pointerdown', (e) => {
  e.preventDefault();
  sash.setPointerCapture(e.pointerId);
  const startY = e.clientY;
  const startH = details.getBoundingClientRect().height;
  const move = (ev: PointerEvent) => {
    detailsHeight = startH - (ev.clientY - startY);
    applyDetailsHeight();
  };
  const up = () => {
    sash.removeEventListener('pointermove', move);
    sash.removeEventListener('pointerup', up);
    saveState();
  };
  sash.addEventListener('pointermove', move);
  sash.addEventListener('pointerup', up);
});
sash.addEventListener('keydown', (e) => {
  const step = e.shiftKey ? 60 : 20;
  const h = details.getBoundingClientRect().height;
  if (e.key === 'ArrowUp') detailsHeight = h + step;
  else if (e.key === 'ArrowDown') detailsHeight = h - step;
  else if (e.key === 'Home' || e.key === 'Escape') detailsHeight = undefined;
  else return;
  e.preventDefault();
  applyDetailsHeight();
  saveState();
});
sash.addEventListener('dblclick', () => {
  detailsHeight = undefined;
  applyDetailsHeight();
  saveState();
});
applyDetailsHeight();

let saveTimer: ReturnType<typeof setTimeout> | undefined;
function saveState(): void {
  vscode.setState({ selected: tree.selected, collapsed: [...collapsed], filter, scrollTop: tree.element.scrollTop, detailsHeight } satisfies UiState);
}
tree.element.addEventListener('scroll', () => {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(saveState, 200);
});

let shownDetails: { p: ProcessInfo | null; ended: boolean; json: string } | undefined;
function showDetails(): void {
  const key = tree.selected;
  const p = key ? model.get(key) ?? null : null;
  const ended = !!key && !!p && !model.byKey.has(key);
  // A delta replaces every record; re-render only when something shown changed (keeps text selection).
  const held = p ? channelsView.heldBy(p.pid) : [];
  const json = p ? JSON.stringify(p) + held.map((c) => c.id).join(',') + osIpcView.signature(p.pid) : '';
  if (shownDetails && shownDetails.ended === ended && shownDetails.json === json) {
    shownDetails.p = p;
    return;
  }
  shownDetails = { p, ended, json };
  const scroll = details.scrollTop;
  renderDetails(details, p, { ended, now: Date.now(), channels: held, onChannel: (id) => channelsView.reveal(id), osIpc: p ? osIpcView.details(p.pid) : null });
  details.scrollTop = scroll;
}

function refreshRows(): void {
  tree.setRows(model.rows(collapsed, filter));
  const f = filter.trim();
  noMatch.hidden = !(f && tree.rowCount === 0 && model.size > 0);
  if (!noMatch.hidden) noMatch.textContent = `No process matches “${f}”.`;
  showDetails();
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function renderStatus(): void {
  const s = model.status;
  const watch = s?.watch ?? null;
  const label = model.scope === 'system' ? 'Whole system' : model.watchLabel ?? watch?.label ?? null;
  title.textContent = label ?? 'IPC Scope';
  title.title = watch ? `${label ?? ''} (root pid ${watch.pid}${watch.launched ? ', launched by IPC Scope' : ''})` : '';
  stopButton.hidden = !watch;
  // Counted from what the panel holds, so header and tree always agree.
  const { zombies, orphans } = model.counts();
  const parts = [plural(model.size, 'process', 'processes'), plural(zombies, 'zombie'), plural(orphans, 'orphan')];
  if (model.ghostCount) parts.push(`${model.ghostCount} ended`);
  counts.replaceChildren();
  parts.forEach((text, i) => {
    if (i) counts.appendChild(document.createTextNode(' · '));
    const span = document.createElement('span');
    span.textContent = text;
    if (i === 1 && zombies) span.className = 'count-zombies';
    if (i === 2 && orphans) span.className = 'count-orphans';
    counts.appendChild(span);
  });
  counts.classList.toggle('has-zombies', zombies > 0);
  const over = s?.programEnded && model.scope === 'program' ? s.programEnded : null;
  programEnded.hidden = !over;
  programEnded.textContent = over ? `Program ${over.description}` : '';
  const nothing = received && model.scope === 'program' && !model.watchLabel && !watch && model.size === 0 && model.ghostCount === 0;
  loading.hidden = received;
  empty.hidden = !nothing;
  tree.element.hidden = nothing || !received;
  counts.hidden = nothing || !received;
  toolbar.hidden = nothing;
  titleRow.hidden = nothing;
  details.hidden = nothing;
  sash.hidden = nothing || !received;
  if (scopeDropdown.value !== model.scope) scopeDropdown.value = model.scope;
}

function renderEnded(): void {
  const recent = model.ended.slice(-50).reverse();
  endedBox.hidden = recent.length === 0;
  endedSummary.textContent = `Recently ended (${model.ended.length})`;
  endedList.replaceChildren(
    ...recent.map((p) => {
      const li = document.createElement('li');
      li.className = 'ended-item';
      const pid = document.createElement('span');
      pid.className = 'pid';
      pid.textContent = String(p.pid);
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = p.name;
      const how = document.createElement('span');
      how.className = 'badge-ended';
      how.textContent = p.ended?.description ?? 'ended';
      li.append(pid, name, how);
      li.tabIndex = 0;
      li.setAttribute('role', 'button');
      li.setAttribute('aria-label', `pid ${p.pid} ${p.name}: ${p.ended?.description ?? 'ended'}`);
      const pick = () => {
        tree.select(p.key);
        showDetails();
      };
      li.addEventListener('click', pick);
      li.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          pick();
        }
      });
      return li;
    }),
  );
}

/** Applies one message synchronously, DOM included (the benchmark times this). */
function apply(msg: HostToWebview): void {
  switch (msg.type) {
    case 'reset': {
      const firstData = !received;
      received = true;
      model.reset(msg.snapshot);
      // Forget collapsed processes that are gone, so the saved state does not grow forever.
      for (const k of [...collapsed]) if (!model.get(k)) collapsed.delete(k);
      banner.hidden = true;
      shownDetails = undefined;
      renderStatus();
      refreshRows();
      renderEnded();
      if (firstData && saved.scrollTop) tree.element.scrollTop = saved.scrollTop;
      break;
    }
    case 'delta':
      if (!model.apply(msg.delta)) {
        post({ type: 'refresh' });
        return;
      }
      refreshRows();
      if (msg.delta.ended.length) renderEnded();
      renderStatus();
      break;
    case 'status':
      received = true;
      model.status = msg.status;
      if (msg.status.watch) model.watchLabel = msg.status.watch.label;
      else model.watchLabel = null;
      if (msg.status.scope !== model.scope && model.size === 0) model.scope = msg.status.scope;
      renderStatus();
      break;
    case 'channels':
      channelsView.apply(msg.update);
      showDetails(); // the selected process may hold new channels
      root.classList.toggle('has-channels', !channels.hidden);
      break;
    case 'paused':
      pausedView.update(msg.paused);
      break;
    case 'osIpc':
      osIpcView.apply(msg.update);
      tree.invalidate();
      showDetails();
      break;
    case 'error':
      banner.textContent = msg.message;
      banner.hidden = false;
      break;
    case 'revealChannel':
      channelsView.reveal(msg.id);
      break;
  }
}

(window as unknown as { __ipcScopeApply: (m: HostToWebview) => void }).__ipcScopeApply = apply;
window.addEventListener('message', (e: MessageEvent<HostToWebview>) => {
  if (isRunRecordMessage(e.data)) runRecords.handle(e.data);
  else if (e.data && typeof e.data === 'object' && 'type' in e.data) apply(e.data);
});
let relayoutTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  applyDetailsHeight();
  clearTimeout(relayoutTimer);
  relayoutTimer = setTimeout(() => channelsView.relayout(), 100);
});
renderStatus();
showDetails();
post({ type: 'ready' });
