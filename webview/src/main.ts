/** Panel entry: wires messages from the extension to the model, the tree, the details and the header. */
import type { HostToWebview, ProcessInfo, Scope, StatusInfo, WebviewToHost } from '../../protocol/protocol';
import { renderDetails } from './details';
import { renderLegend } from './legend';
import { ClientModel } from './model';
import { ProcessTree } from './tree';
import { button, dropdown, registerToolkit, textField } from './toolkit';

interface VsCodeApi {
  postMessage(msg: WebviewToHost): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

interface UiState {
  selected: string | null;
  collapsed: string[];
  filter: string;
}

const vscode = acquireVsCodeApi();
const saved = (vscode.getState() as UiState | undefined) ?? { selected: null, collapsed: [], filter: '' };
const collapsed = new Set(saved.collapsed);
let filter = saved.filter;
const model = new ClientModel();

registerToolkit();
const root = document.getElementById('ipc-scope-root')!;
const post = (m: WebviewToHost) => vscode.postMessage(m);

// Header: what is watched and how it is doing.
const header = document.createElement('header');
header.className = 'status';
const title = document.createElement('div');
title.className = 'status-title';
const counts = document.createElement('div');
counts.className = 'status-counts';
counts.setAttribute('role', 'status');
counts.setAttribute('aria-live', 'polite');
header.append(title, counts);

const toolbar = document.createElement('div');
toolbar.className = 'toolbar';
const scopeDropdown = dropdown<Scope>(
  [
    { value: 'program', label: 'Program tree' },
    { value: 'system', label: 'Whole system' },
  ],
  'program',
  (scope) => post({ type: 'setScope', scope }),
  'What to show',
);
const filterField = textField('Filter: pid, name, command', (v) => {
  filter = v;
  saveState();
  refreshRows();
}, 'Filter processes');
filterField.value = filter;
toolbar.append(
  button('Run Python File…', () => post({ type: 'runFile' }), { title: 'Run a Python file with IPC Scope' }),
  button('Watch…', () => post({ type: 'watchProcess' }), { secondary: true, title: 'Watch a running process' }),
  button('Refresh', () => post({ type: 'refresh' }), { secondary: true }),
  scopeDropdown,
  filterField,
);

const banner = document.createElement('div');
banner.className = 'banner';
banner.hidden = true;
banner.setAttribute('role', 'alert');

const empty = document.createElement('div');
empty.className = 'empty';
const emptyText = document.createElement('p');
emptyText.textContent = 'No program watched. Run a Python file with IPC Scope, or watch a running process.';
empty.append(
  emptyText,
  button('Run Python File…', () => post({ type: 'runFile' })),
  button('Watch Process…', () => post({ type: 'watchProcess' }), { secondary: true }),
  button('Show whole system', () => post({ type: 'setScope', scope: 'system' }), { secondary: true }),
);

const tree = new ProcessTree(model, {
  onSelect: (key) => {
    saveState();
    showDetails();
    void key;
  },
  onToggle: (key, expanded) => {
    if (expanded) collapsed.delete(key);
    else collapsed.add(key);
    saveState();
    refreshRows();
  },
});
tree.selected = saved.selected;

const details = document.createElement('div');
details.id = 'details';
details.className = 'details';
details.setAttribute('aria-label', 'Process details');
details.setAttribute('role', 'region');

const endedBox = document.createElement('details');
endedBox.className = 'ended';
const endedSummary = document.createElement('summary');
const endedList = document.createElement('ul');
endedBox.append(endedSummary, endedList);

root.append(header, toolbar, banner, empty, tree.element, details, endedBox, renderLegend());

function saveState(): void {
  vscode.setState({ selected: tree.selected, collapsed: [...collapsed], filter } satisfies UiState);
}

let shownDetails: ProcessInfo | null | undefined;
function showDetails(): void {
  const p = tree.selected ? model.byKey.get(tree.selected) ?? model.ended.find((e) => e.key === tree.selected) ?? null : null;
  if (p === shownDetails) return;
  shownDetails = p;
  renderDetails(details, p, Date.now());
}

function refreshRows(): void {
  tree.setRows(model.rows(collapsed, filter));
  showDetails();
}

function renderStatus(s: StatusInfo | null): void {
  const watching = model.scope === 'system' ? 'All processes' : model.watchLabel ?? s?.watch?.label ?? null;
  title.textContent = watching ? `${watching}${s?.programEnded && model.scope === 'program' ? ` — program ${s.programEnded.description}` : ''}` : 'IPC Scope';
  // Counted from what the panel holds, so header and tree always agree.
  let z = 0;
  let o = 0;
  for (const p of model.byKey.values()) {
    if (p.zombie) z++;
    if (p.orphan) o++;
  }
  counts.textContent = `${model.size} process${model.size === 1 ? '' : 'es'} · ${z} zombie${z === 1 ? '' : 's'} · ${o} orphan${o === 1 ? '' : 's'}`;
  counts.classList.toggle('has-zombies', z > 0);
  const nothing = model.scope === 'program' && !model.watchLabel && !s?.watch;
  empty.hidden = !nothing;
  tree.element.hidden = nothing;
  (scopeDropdown as HTMLElement & { value: string }).value = model.scope;
}

function renderEnded(): void {
  const recent = model.ended.slice(-50).reverse();
  endedBox.hidden = recent.length === 0;
  endedSummary.textContent = `Recently ended (${model.ended.length})`;
  endedList.replaceChildren(
    ...recent.map((p) => {
      const li = document.createElement('li');
      li.className = 'badge-ended';
      li.textContent = `${p.pid} ${p.name}: ${p.ended?.description ?? 'ended'}`;
      li.tabIndex = 0;
      li.addEventListener('click', () => tree.select(p.key));
      return li;
    }),
  );
}

/** Applies one message synchronously, DOM included (the benchmark times this). */
function apply(msg: HostToWebview): void {
  switch (msg.type) {
    case 'reset':
      model.reset(msg.snapshot);
      banner.hidden = true;
      shownDetails = undefined;
      refreshRows();
      renderEnded();
      renderStatus(model.status);
      break;
    case 'delta':
      if (!model.apply(msg.delta)) {
        post({ type: 'refresh' });
        return;
      }
      shownDetails = shownDetails && model.byKey.get(shownDetails.key) === shownDetails ? shownDetails : undefined;
      refreshRows();
      if (msg.delta.ended.length) renderEnded();
      renderStatus(model.status);
      break;
    case 'status':
      model.status = msg.status;
      if (msg.status.watch?.label !== undefined) model.watchLabel = msg.status.watch.label;
      if (!msg.status.watch) model.watchLabel = null;
      renderStatus(msg.status);
      break;
    case 'error':
      banner.textContent = msg.message;
      banner.hidden = false;
      break;
  }
}

(window as unknown as { __ipcScopeApply: (m: HostToWebview) => void }).__ipcScopeApply = apply;
window.addEventListener('message', (e: MessageEvent<HostToWebview>) => {
  if (e.data && typeof e.data === 'object' && 'type' in e.data) apply(e.data);
});
renderStatus(null);
showDetails();
post({ type: 'ready' });
