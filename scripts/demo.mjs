// npm run demo: builds the .vsix and opens a real VS Code with IPC Scope installed and examples/
// open. Uses your `code` command when there is one; otherwise a local code-server (VS Code in the
// browser) whose address is printed. `--check` starts it, checks it answers, and stops.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCodeServer } from './code-server.mjs';

const root = new URL('..', import.meta.url).pathname;
const check = process.argv.includes('--check');
const examples = join(root, 'examples');

const pkg = spawnSync(process.execPath, [join(root, 'scripts/package.mjs')], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
if (pkg.status !== 0) process.exit(pkg.status ?? 1);
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const vsix = join(root, `ipc-scope-${version}.vsix`);

const code = spawnSync('sh', ['-c', 'command -v code'], { encoding: 'utf8' }).stdout.trim();
const isDesktopCode = code && !/code-server/.test(spawnSync(code, ['--version'], { encoding: 'utf8' }).stdout ?? '');
if (isDesktopCode && !check && !process.env.IPC_SCOPE_DEMO_CODE_SERVER) {
  spawnSync(code, ['--install-extension', vsix, '--force'], { stdio: 'inherit' });
  spawnSync(code, [examples], { stdio: 'inherit' });
  console.log(`IPC Scope ${version} is installed in VS Code, with ${examples} open.`);
  console.log('Open examples/zombie.py (process tree) or examples/queue_producer_consumer.py (live channels) and run "IPC Scope: Run Python File with IPC Scope" from the command palette. examples/README.md lists them all.');
  process.exit(0);
}

const port = Number(process.env.PORT || 8080);
const server = await startCodeServer({ folder: examples, vsix, port, settings: { 'git.openRepositoryInParentFolders': 'never' } });
const res = await fetch(server.url);
if (!res.ok) {
  console.error(`code-server answered ${res.status}`);
  await server.stop();
  process.exit(1);
}
console.log(`\nIPC Scope ${version} is running in VS Code (code-server) at ${server.url}`);
if (check) {
  await server.stop();
  process.exit(0);
}
console.log('Open it in a browser, open examples/zombie.py (process tree) or examples/queue_producer_consumer.py (live channels), and run "IPC Scope: Run Python File with IPC Scope" (F1). examples/README.md lists them all. Ctrl+C to stop.');
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
setInterval(() => {}, 1 << 30);
