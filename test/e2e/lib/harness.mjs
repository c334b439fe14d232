// Shared pieces of the real-VS-Code tests: start code-server with the built .vsix, drive it
// with Chromium through playwright-core, find the panel's webview, run palette commands, take
// screenshots. Each test/e2e/*.mjs file starts its own code-server with this.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumPath, ensureCodeServer, startCodeServer } from '../../../scripts/code-server.mjs';

export const root = new URL('../../..', import.meta.url).pathname;
export const shots = join(root, 'test-results', 'e2e');
mkdirSync(shots, { recursive: true });

export function findVsix() {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const vsix = join(root, `ipc-scope-${version}.vsix`);
  assert.ok(existsSync(vsix), `${vsix} is missing: run "npm run package" first`);
  return vsix;
}

/** Starts code-server on `folder` with the .vsix installed, and a Chromium page on it. */
export async function openVsCode({ folder = join(root, 'examples'), settings = {} } = {}) {
  await ensureCodeServer();
  const server = await startCodeServer({
    folder,
    vsix: findVsix(),
    settings: { 'ipcScope.refreshIntervalMs': 500, 'git.openRepositoryInParentFolders': 'never', 'git.enabled': false, ...settings },
  });
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  page.setDefaultNavigationTimeout(120_000); // a loaded machine takes its time to load the workbench
  return {
    server,
    browser,
    page,
    shot: (name) => page.screenshot({ path: join(shots, name), fullPage: true }),
    panelFrame: (timeout) => panelFrame(page, timeout),
    runCommand: (title) => runCommand(page, title),
    openFile: (name) => openFile(page, name),
    async close() {
      await browser.close().catch(() => {});
      await server.stop();
    },
  };
}

/** The panel's frame: two iframes deep, the one holding #ipc-scope-root. */
export async function panelFrame(page, timeout = 30_000) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    for (const f of page.frames()) {
      try {
        if (await f.$('#ipc-scope-root')) return f;
      } catch {
        /* frame navigating */
      }
    }
    await page.waitForTimeout(250);
  }
  throw new Error('the IPC Scope panel did not appear');
}

export async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
}

/** Quick-opens a file of the workspace and waits for its tab. */
export async function openFile(page, name) {
  await page.keyboard.press('Control+P');
  const quick = page.locator('.quick-input-widget input');
  await quick.waitFor({ state: 'visible' });
  await quick.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.tab.active', { hasText: name }).waitFor({ timeout: 20_000 });
}
