/** Both sides follow protocol/protocol.ts: every custom method is namespaced, unique and handled where it should be. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { LspMethods } from '../../protocol/protocol';
import { repoRoot } from './helpers';

const read = (...p: string[]) => fs.readFileSync(path.join(repoRoot, ...p), 'utf8');

test('custom LSP methods are namespaced and unique', () => {
  const values = Object.values(LspMethods);
  assert.equal(new Set(values).size, values.length);
  for (const v of values) assert.match(v, /^ipcScope\/[a-z][A-Za-z]+$/);
});

test('the server handles every client→server method and the extension every server→client one', () => {
  const server = read('server/src/lsp/server.ts');
  const extension = fs.readdirSync(path.join(repoRoot, 'extension/src')).map((f) => read('extension/src', f)).join('\n');
  const toServer = ['snapshot', 'watch', 'stopWatching', 'listProcesses', 'configure', 'setVisible', 'runtimeEnv', 'channelsSnapshot', 'osIpcSnapshot'] as const;
  const toClient = ['reset', 'delta', 'status', 'channels', 'osIpc'] as const;
  assert.deepEqual([...toServer, ...toClient].sort(), Object.keys(LspMethods).sort(), 'every method is classified here');
  for (const m of toServer) {
    assert.match(server, new RegExp(`on(Request|Notification)\\(LspMethods\\.${m}\\b`), `server handles ${m}`);
    assert.match(extension, new RegExp(`LspMethods\\.${m}\\b`), `extension uses ${m}`);
  }
  for (const m of toClient) {
    assert.match(server, new RegExp(`sendNotification\\(LspMethods\\.${m}\\b`), `server sends ${m}`);
    assert.match(extension, new RegExp(`onNotification\\(LspMethods\\.${m}\\b`), `extension handles ${m}`);
  }
});

test('no file declares an ipcScope/ method outside the protocol file', () => {
  const dirs = ['extension/src', 'server/src', 'webview/src'];
  for (const d of dirs) {
    const walk = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    if (!fs.existsSync(path.join(repoRoot, d))) continue;
    for (const f of walk(path.join(repoRoot, d))) assert.doesNotMatch(fs.readFileSync(f, 'utf8'), /['"`]ipcScope\/\w+/, f);
  }
});
