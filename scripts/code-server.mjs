// A real VS Code for tests and the demo: code-server 4.100.3 (VS Code 1.100.3, runs on Node 20),
// from the npm registry, with its native modules built from source (its install scripts would
// download prebuilt binaries, which cannot be reached here). Recipe: see README "Testing".
// Cached outside the clone (CI clones afresh): ~/.cache/ipc-scope/code-server-4.100.3.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync, copyFileSync, symlinkSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export const CODE_SERVER_VERSION = '4.100.3';
const cacheRoot = () => process.env.IPC_SCOPE_CACHE || join(homedir(), '.cache', 'ipc-scope');
const MARKER = '.ipc-scope-complete';

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal}) in ${opts.cwd ?? process.cwd()}`);
}

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** Debian packages the build and the browser need; installed only when something is missing. */
export function ensureSystemPackages(log = console.log) {
  const missing = [];
  if (!existsSync('/usr/bin/chromium')) missing.push('chromium');
  if (!has('rg')) missing.push('ripgrep');
  if (!existsSync('/usr/include/gssapi/gssapi.h') && !existsSync('/usr/include/krb5.h')) missing.push('libkrb5-dev');
  if (!missing.length) return;
  if (process.getuid?.() !== 0 && !has('sudo')) throw new Error(`Please install: ${missing.join(' ')} (apt-get install -y ${missing.join(' ')})`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'update', '-q'], { env });
  run(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'install', '-y', '-q', '--no-install-recommends', ...missing], { env });
}

export function chromiumPath() {
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  throw new Error('Chromium is missing: apt-get install -y chromium');
}

export async function ensureCodeServer({ log = console.log } = {}) {
  ensureSystemPackages(log);
  const final = join(cacheRoot(), `code-server-${CODE_SERVER_VERSION}`);
  if (existsSync(join(final, MARKER))) return final;
  mkdirSync(cacheRoot(), { recursive: true });
  const work = mkdtempSync(join(cacheRoot(), `building-${CODE_SERVER_VERSION}-`));
  const t0 = Date.now();
  log(`building code-server ${CODE_SERVER_VERSION} in ${work} (a few minutes, once)`);
  try {
    const npmEnv = { ...process.env, npm_config_yes: 'true' };
    run('npm', ['pack', `code-server@${CODE_SERVER_VERSION}`, '--silent'], { cwd: work, env: npmEnv });
    run('tar', ['xzf', `code-server-${CODE_SERVER_VERSION}.tgz`], { cwd: work });
    const pkg = join(work, 'package');
    for (const dir of [pkg, join(pkg, 'lib/vscode'), join(pkg, 'lib/vscode/extensions')]) {
      run('npm', ['install', '--unsafe-perm', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, env: npmEnv });
    }
    const nodeGyp = ['--yes', 'node-gyp', 'rebuild', '--nodedir=/usr'];
    for (const mod of ['kerberos', '@parcel/watcher', '@vscode/spdlog', 'native-watchdog', 'node-pty', '@vscode/deviceid']) {
      const dir = join(pkg, 'lib/vscode/node_modules', mod);
      if (existsSync(dir)) run('npx', nodeGyp, { cwd: dir, env: npmEnv });
    }
    const argon2 = join(pkg, 'node_modules/argon2');
    if (existsSync(argon2)) {
      run('npx', [...nodeGyp, '--module_name=argon2', '--module_path=./lib/binding/napi-v3', '--napi_build_version=3'], { cwd: argon2, env: npmEnv });
      mkdirSync(join(argon2, 'lib/binding/napi-v3'), { recursive: true });
      copyFileSync(join(argon2, 'build/lib/binding/napi-v3/argon2.node'), join(argon2, 'lib/binding/napi-v3/argon2.node'));
    }
    const rgDir = join(pkg, 'lib/vscode/node_modules/@vscode/ripgrep/bin');
    mkdirSync(rgDir, { recursive: true });
    copyFileSync(execFileSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' }).trim(), join(rgDir, 'rg'));
    if (!existsSync(join(pkg, 'lib/vscode/node_modules.asar'))) symlinkSync('node_modules', join(pkg, 'lib/vscode/node_modules.asar'));
    // Check it starts before calling it complete.
    const v = spawnSync(process.execPath, [join(pkg, 'out/node/entry.js'), '--version'], { encoding: 'utf8', env: isolatedEnv(mkdtempSync(join(tmpdir(), 'cs-ver-'))) });
    if (v.status !== 0 || !v.stdout.includes(CODE_SERVER_VERSION)) throw new Error(`code-server --version failed: ${v.stdout} ${v.stderr}`);
    writeFileSync(join(pkg, MARKER), `${new Date().toISOString()}\n`);
    rmSync(final, { recursive: true, force: true });
    renameSync(pkg, final);
    log(`code-server ready in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${final}`);
    return final;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function isolatedEnv(home) {
  return { ...process.env, XDG_CONFIG_HOME: join(home, 'config'), XDG_DATA_HOME: join(home, 'data'), XDG_CACHE_HOME: join(home, 'cache') };
}

export function freePort(preferred = 0) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(freePort(0)));
    srv.listen(preferred, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts code-server on `folder` with the .vsix installed, in fresh throwaway profile dirs. */
export async function startCodeServer({ folder, vsix, port, settings = {}, log = console.log }) {
  const dir = await ensureCodeServer({ log });
  const home = mkdtempSync(join(tmpdir(), 'ipc-scope-vscode-'));
  const userData = join(home, 'user-data');
  const extensions = join(home, 'extensions');
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(
    join(userData, 'User', 'settings.json'),
    JSON.stringify({ 'security.workspace.trust.enabled': false, 'workbench.startupEditor': 'none', 'python.terminal.activateEnvironment': false, 'workbench.tips.enabled': false, ...settings }, null, 2),
  );
  const env = isolatedEnv(home);
  const entry = join(dir, 'out/node/entry.js');
  if (vsix) run(process.execPath, [entry, '--user-data-dir', userData, '--extensions-dir', extensions, '--install-extension', vsix], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const p = await freePort(port ?? 0);
  const child = spawn(process.execPath, [entry, '--auth', 'none', '--bind-addr', `127.0.0.1:${p}`, '--user-data-dir', userData, '--extensions-dir', extensions, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', folder], {
    env,
    detached: true, // its own process group, so stop() ends the extension hosts too
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const base = `http://127.0.0.1:${p}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`code-server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const stop = async () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
    const end = Date.now() + 10_000;
    while (Date.now() < end && groupAlive(child.pid)) await new Promise((r) => setTimeout(r, 200));
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    rmSync(home, { recursive: true, force: true });
  };
  return { url: `${base}/?folder=${encodeURIComponent(folder)}`, base, userDataDir: userData, stop, output: () => output };
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export function extensionHostLogs(userDataDir) {
  const out = [];
  const walk = (d) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/exthost|IPC Scope|remoteexthost/i.test(p)) out.push(p);
    }
  };
  walk(join(userDataDir, 'logs'));
  return out;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const dir = await ensureCodeServer();
  console.log(dir);
}
