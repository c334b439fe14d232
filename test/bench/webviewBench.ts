/**
 * Times the panel applying updates in Chromium: the real out/webview.js under the real HTML and CSP,
 * fed a reset of N processes and then deltas that change all N (CPU, RSS, STAT). Timing is taken
 * inside the page around the synchronous apply plus a forced layout (offsetHeight).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { makeNonce, renderWebviewHtml } from '../../extension/src/webviewHtml';
import { PROTOCOL_VERSION, ProcessDelta, ProcessInfo, Snapshot } from '../../protocol/protocol';

// Bundled into out/bench.js and out/test/*.test.js: the panel's files sit in out/.
const outDir = fs.existsSync(path.join(__dirname, 'webview.js')) ? __dirname : path.resolve(__dirname, '..');

/** Start of the synthetic program: 20 minutes ago. */
const T0 = Date.now() - 20 * 60_000;

/**
 * A realistic multiprocessing program of n processes: a launcher (subreaper), the main script, then a
 * bushy tree (each process i ≥ 1 is a child of 1000 + ⌊(i-1)/6⌋, so a few levels deep) of pool
 * workers, shells and tools with long command lines; every 97th is a zombie, every 151st an orphan
 * adopted by the launcher, a few are running, stopped or in disk sleep.
 */
export function syntheticProcesses(n: number): ProcessInfo[] {
  const list: ProcessInfo[] = [];
  for (let i = 0; i < n; i++) {
    const pid = 1000 + i;
    const parentIndex = i === 0 ? -1 : Math.floor((i - 1) / 6);
    const zombie = i % 97 === 5;
    const orphan = !zombie && i % 151 === 40;
    const ppid = i === 0 ? 1 : orphan ? 1000 : 1000 + parentIndex;
    const kind = i === 0 ? 'launcher' : i === 1 ? 'main' : zombie ? 'zombie' : ['worker', 'worker', 'sh', 'gzip', 'worker', 'sleep'][i % 6];
    let name = 'python3';
    let argv: string[] = [];
    if (kind === 'launcher') argv = ['python3', '-m', 'ipcscope.launcher', '--subreaper', '--', 'python3', '/home/dev/project/pipeline.py'];
    else if (kind === 'main') argv = ['python3', '/home/dev/project/pipeline.py', '--workers', '8', '--input', '/home/dev/project/data/2026-01-15/', '--queue-size', '64'];
    else if (kind === 'worker') {
      name = i % 3 === 0 ? 'worker (pool)' : 'python3';
      argv = ['/usr/bin/python3', '-c', 'from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=6, pipe_handle=11)', '--multiprocessing-fork'];
    } else if (kind === 'sh') {
      name = 'sh';
      argv = ['/bin/sh', '-c', `gzip -dc /home/dev/project/data/2026-01-15/shard-${String(i).padStart(5, '0')}.jsonl.gz | jq -c '.events[]'`];
    } else if (kind === 'gzip') {
      name = 'gzip';
      argv = ['gzip', '-dc', `/home/dev/project/data/2026-01-15/shard-${String(i).padStart(5, '0')}.jsonl.gz`];
    } else if (kind === 'sleep') {
      name = 'sleep';
      argv = ['sleep', '3600'];
    }
    const state = zombie ? 'Z' : i % 41 === 3 ? 'R' : i % 233 === 17 ? 'D' : i % 311 === 29 ? 'T' : 'S';
    const flags = state === 'Z' ? '' : kind === 'launcher' ? 's' : kind === 'main' || kind === 'worker' ? 'l' : '';
    const stat = `${state}${flags}${i < 2 || kind === 'sh' ? '+' : ''}`;
    const parentName = i === 0 ? 'bash' : i === 1 ? 'python3' : 'python3';
    list.push({
      key: `${pid}@${5000 + i}`,
      pid,
      ppid,
      pgid: 1000,
      sid: 990,
      tty: 'pts/0',
      tpgid: 1000,
      state,
      stat,
      nice: 0,
      threads: flags === 'l' ? 3 + (i % 5) : 1,
      rssKb: zombie ? 0 : kind === 'sleep' ? 1_024 : 18_000 + ((i * 7919) % 90_000),
      vszKb: zombie ? 0 : 40_000 + ((i * 104_729) % 400_000),
      cpuPercent: zombie ? 0 : state === 'R' ? 97.5 : (i % 13) / 2,
      cpuTimeMs: zombie ? 30 : i * 37,
      startTicks: 5000 + i,
      startedAt: T0 + i * 10,
      uid: 1000,
      user: 'dev',
      name: zombie ? 'python3' : name,
      argv,
      command: zombie ? '[python3] <defunct>' : argv.join(' '),
      wchan: state === 'S' ? (kind === 'worker' ? 'pipe_read' : kind === 'main' || kind === 'launcher' ? 'do_wait' : 'hrtimer_nanosleep') : state === 'D' ? 'io_schedule' : '',
      blockedOn:
        state === 'S'
          ? kind === 'worker'
            ? 'reading from a pipe (Queue.get, Connection.recv)'
            : kind === 'main' || kind === 'launcher'
              ? 'waiting for a child to exit (wait/waitpid/join)'
              : 'sleeping (time.sleep, a timer)'
          : state === 'D'
            ? 'disk I/O'
            : '',
      restricted: i % 499 === 77,
      restrictedReason: i % 499 === 77 ? 'owned by another user: environment and open files are not readable' : null,
      inProgram: true,
      zombie: zombie
        ? {
            parentPid: ppid,
            parentName,
            explanation: `pid ${pid} exited with code 7 12 s ago, but its parent pid ${ppid} (${parentName}) has not called wait() to collect its exit status.`,
            fix: `In pid ${ppid}: call os.wait()/os.waitpid() (or Process.join()/Popen.wait()) for each child, or set signal.signal(SIGCHLD, SIG_IGN) if it never needs exit statuses.`,
          }
        : null,
      orphan: orphan
        ? {
            originalPpid: 1000 + parentIndex,
            originalParentName: 'python3',
            adoptedBy: 1000,
            adopterKind: 'subreaper',
            inferred: false,
            explanation: `Its parent pid ${1000 + parentIndex} exited without waiting for it; the IPC Scope launcher (a subreaper) adopted it.`,
            fix: 'Join or terminate child processes before the parent exits (Process.join(), Pool.close() + Pool.join(), a context manager).',
          }
        : null,
      ended: null,
    });
  }
  return list;
}

function endedSample(processes: ProcessInfo[], now: number): ProcessInfo[] {
  return processes.slice(2, 5).map((p, i) => ({
    ...p,
    key: `${90_000 + i}@${9_000 + i}`,
    pid: 90_000 + i,
    ppid: 1001,
    ended: {
      at: now - 2_000 * (i + 1),
      exitCode: i === 1 ? null : i,
      signal: i === 1 ? 9 : null,
      signalName: i === 1 ? 'SIGKILL' : null,
      coreDumped: false,
      description: i === 1 ? 'killed by SIGKILL' : `exited with code ${i}`,
    },
  }));
}

/** Serves the real panel (out/webview.js, out/webview.css) under the real HTML and CSP on 127.0.0.1. */
export async function servePanel(): Promise<{ url: string; close: () => void }> {
  const holder = { html: '' };
  const server = http.createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(holder.html);
      return;
    }
    const file = req.url === '/webview.js' ? 'webview.js' : req.url === '/webview.css' ? 'webview.css' : null;
    if (!file) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'text/css' });
    res.end(fs.readFileSync(path.join(outDir, file)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The CSP names the server's own origin, known only once it listens.
  holder.html = renderWebviewHtml({ scriptUri: `${url}/webview.js`, styleUri: `${url}/webview.css`, cspSource: url, nonce: makeNonce() });
  return { url, close: () => server.close() };
}

/**
 * Some of VS Code's Dark Modern theme colours, set on <html> as the webview host does, so
 * screenshots look like the real sidebar (the host injects every --vscode-* variable).
 */
export const DARK_MODERN: Record<string, string> = {
  'font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif',
  'font-size': '13px',
  'font-weight': 'normal',
  'editor-font-family': '"DejaVu Sans Mono", "Droid Sans Mono", monospace',
  foreground: '#cccccc',
  descriptionForeground: '#9d9d9d',
  errorForeground: '#f85149',
  'editorWarning-foreground': '#cca700',
  focusBorder: '#0078d4',
  'list-activeSelectionBackground': '#04395e',
  'list-activeSelectionForeground': '#ffffff',
  'list-inactiveSelectionBackground': '#37373d',
  'list-hoverBackground': '#2a2d2e',
  'list-focusOutline': '#0078d4',
  'badge-background': '#616161',
  'badge-foreground': '#f8f8f8',
  'tree-indentGuidesStroke': '#585858',
  'sideBar-background': '#181818',
  'editor-background': '#1f1f1f',
  'panel-border': '#2b2b2b',
  'widget-border': '#313131',
  'icon-foreground': '#cccccc',
  'charts-green': '#89d185',
  'charts-blue': '#3794ff',
  'textBlockQuote-background': '#2b2b2b',
  'textCodeBlock-background': '#2b2b2b',
  'inputValidation-errorBackground': '#5a1d1d',
  'inputValidation-errorBorder': '#be1100',
  'button-background': '#0078d4',
  'button-foreground': '#ffffff',
  'button-hoverBackground': '#026ec1',
  'button-secondaryBackground': '#313131',
  'button-secondaryForeground': '#cccccc',
  'button-secondaryHoverBackground': '#3c3c3c',
  'button-border': '#ffffff12',
  'dropdown-background': '#313131',
  'dropdown-border': '#3c3c3c',
  'dropdown-foreground': '#cccccc',
  'dropdown-listBackground': '#1f1f1f',
  'input-background': '#313131',
  'input-border': '#3c3c3c',
  'input-foreground': '#cccccc',
  'input-placeholderForeground': '#989898',
  'sash-hoverBorder': '#0078d4',
  'progressBar-background': '#0078d4',
  'scrollbarSlider-background': '#79797966',
};

/** Page set-up shared by the benchmark and the panel tests: a stub VS Code API, optionally a theme. */
export function initScript(theme: Record<string, string> | null): string {
  return `(() => {
  const theme = ${JSON.stringify(theme)};
  window.__posted = window.__posted || [];
  let state;
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => { window.__posted.push(m); if (window.__onPost) window.__onPost(m); },
    getState: () => state,
    setState: (s) => { state = s; },
  });
  document.addEventListener('securitypolicyviolation', (e) => {
    const t = e.target && e.target.nodeName ? e.target.nodeName + (e.target.className ? '.' + e.target.className : '') : '';
    console.log('Content Security Policy violation: ' + e.violatedDirective + ' ' + (e.sourceFile || '') + ':' + e.lineNumber + ' ' + t + ' ' + (e.sample || ''));
  });
  if (!theme) return;
  const paint = () => {
    const html = document.documentElement;
    if (!html) return false;
    for (const [k, v] of Object.entries(theme)) html.style.setProperty('--vscode-' + k, v);
    html.style.setProperty('background', theme['sideBar-background']);
    return true;
  };
  if (!paint()) new MutationObserver((_, o) => { if (paint()) o.disconnect(); }).observe(document, { childList: true });
  document.addEventListener('DOMContentLoaded', () => { document.body.classList.add('vscode-dark'); document.body.dataset.vscodeThemeKind = 'vscode-dark'; });
})();`;
}

export interface WebviewBenchResult {
  medianMs: number;
  maxMs: number;
  resetMs: number;
  /** A delta that adds and removes 1% of the processes (the tree is laid out again). */
  structuralMedianMs: number;
  cspViolations: string[];
}

export async function benchWebviewApply(opts: { processes: number; repeats: number; screenshot?: string }): Promise<WebviewBenchResult> {
  if (!fs.existsSync('/usr/bin/chromium')) throw new Error('/usr/bin/chromium is missing (apt-get install chromium)');
  const started = await servePanel();
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    // A wide sidebar, as a user looking at the tree would have it.
    const page = await browser.newPage({ viewport: { width: 560, height: 940 }, deviceScaleFactor: 1 });
    const cspViolations: string[] = [];
    const errors: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript(initScript(DARK_MODERN));
    await page.goto(started.url);
    await page.waitForFunction(() => typeof (window as unknown as { __ipcScopeApply?: unknown }).__ipcScopeApply === 'function');
    const now = Date.now();
    const processes = syntheticProcesses(opts.processes);
    const snapshot: Snapshot = {
      version: PROTOCOL_VERSION,
      seq: 1,
      takenAt: now,
      scope: 'program',
      watch: { pid: 1000, key: processes[0].key, label: 'pipeline.py', launched: true },
      processes,
      ended: endedSample(processes, now),
      stats: { processes: processes.length, zombies: processes.filter((p) => p.zombie).length, orphans: processes.filter((p) => p.orphan).length, restricted: 0, scanMs: 0 },
    };
    const timeApply = (msg: unknown) =>
      page.evaluate((m) => {
        const t = performance.now();
        (window as unknown as { __ipcScopeApply: (x: unknown) => void }).__ipcScopeApply(m);
        void document.body.offsetHeight; // force style and layout
        return performance.now() - t;
      }, msg);
    await page.evaluate(
      (status) => (window as unknown as { __ipcScopeApply: (x: unknown) => void }).__ipcScopeApply({ type: 'status', status }),
      { watch: snapshot.watch, scope: 'program', processes: processes.length, zombies: snapshot.stats.zombies, orphans: snapshot.stats.orphans, programEnded: null },
    );
    const resetMs = await timeApply({ type: 'reset', snapshot });
    let seq = 1;
    const fieldDelta = (r: number): ProcessDelta => {
      const changed = processes.map((p, i) => (p.state === 'Z' ? { ...p, cpuTimeMs: p.cpuTimeMs } : { ...p, cpuPercent: ((i + r) % 17) / 3, rssKb: p.rssKb + r * 4, cpuTimeMs: p.cpuTimeMs + r * 10, stat: (i + r) % 7 === 0 ? `R${p.stat.slice(1)}` : p.stat, state: (i + r) % 7 === 0 ? 'R' : p.state }));
      const d: ProcessDelta = { version: PROTOCOL_VERSION, baseSeq: seq, seq: seq + 1, takenAt: now + r * 1000, added: [], changed, removed: [], ended: [], stats: snapshot.stats };
      seq++;
      return d;
    };
    // Two warm-up deltas (JIT), then the timed ones.
    for (let r = 0; r < 2; r++) await timeApply({ type: 'delta', delta: fieldDelta(r) });
    const times: number[] = [];
    for (let r = 2; r < opts.repeats + 2; r++) times.push(await timeApply({ type: 'delta', delta: fieldDelta(r) }));

    // Structural: 1% of the leaves go away and as many new ones appear.
    const structural: number[] = [];
    let extra = processes.slice();
    for (let r = 0; r < Math.max(3, Math.floor(opts.repeats / 3)); r++) {
      const k = Math.max(1, Math.floor(opts.processes / 100));
      const gone = extra.slice(-k);
      const added = gone.map((p, i) => ({ ...p, key: `${200_000 + r * 1000 + i}@${r}`, pid: 200_000 + r * 1000 + i }));
      extra = extra.slice(0, -k).concat(added);
      const d: ProcessDelta = { version: PROTOCOL_VERSION, baseSeq: seq, seq: seq + 1, takenAt: now + (opts.repeats + 2 + r) * 1000, added, changed: [], removed: gone.map((p) => p.key), ended: [], stats: snapshot.stats };
      seq++;
      structural.push(await timeApply({ type: 'delta', delta: d }));
    }

    if (opts.screenshot) {
      fs.mkdirSync(path.dirname(opts.screenshot), { recursive: true });
      // Back to the first state, then select a zombie and bring it into view.
      await page.evaluate((s) => (window as unknown as { __ipcScopeApply: (x: unknown) => void }).__ipcScopeApply({ type: 'reset', snapshot: s }), { ...snapshot, seq: 1000 });
      await page.locator('[role="tree"]').focus();
      await page.keyboard.press('Home');
      // Walk down with the keyboard until the selected row is a zombie (rows are virtualized).
      for (let i = 0; i < 3 * opts.processes; i++) {
        if (await page.locator('[role="treeitem"][aria-selected="true"] .badge-zombie').count()) break;
        await page.keyboard.press('ArrowDown');
      }
      // A few rows of context above it.
      await page.locator('[role="tree"]').evaluate((t) => {
        const row = t.querySelector<HTMLElement>('[aria-selected="true"]');
        const y = row ? new DOMMatrix(getComputedStyle(row).transform).m42 : 0;
        t.scrollTop = Math.max(0, y - 5 * row!.offsetHeight);
      });
      await page.locator('#details .zombie-explanation').waitFor({ timeout: 5000 });
      await page.mouse.move(0, 0);
      await page.screenshot({ path: opts.screenshot });
    }
    if (errors.length) throw new Error(`page errors: ${errors.join(' | ')}`);
    const sorted = [...times].sort((a, b) => a - b);
    const sortedS = [...structural].sort((a, b) => a - b);
    return { medianMs: sorted[Math.floor(sorted.length / 2)], maxMs: sorted[sorted.length - 1], resetMs, structuralMedianMs: sortedS[Math.floor(sortedS.length / 2)], cspViolations };
  } finally {
    await browser.close();
    started.close();
  }
}
