// npm test: everything, from a fresh clone. Builds, type-checks, runs the Python runtime's tests on
// every Python 3.10+ present, the unit/LSP/CLI tests, then packages the .vsix and runs the
// real-VS-Code end-to-end test. Ends with one line "tests: N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ensureSystemPackages } from './code-server.mjs';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);
mkdirSync('test-results', { recursive: true });
let passed = 0;
let failed = 0;
const problems = [];

function step(title, cmd, args, opts = {}) {
  console.log(`\n=== ${title}: ${cmd} ${args.join(' ')}`);
  const t = Date.now();
  const r = spawnSync(cmd, args, { stdio: opts.capture ? ['ignore', 'pipe', 'pipe'] : 'inherit', encoding: 'utf8', env: { ...process.env, ...opts.env } });
  if (opts.capture) {
    process.stdout.write(r.stdout ?? '');
    process.stderr.write(r.stderr ?? '');
  }
  console.log(`=== ${title}: exit ${r.status ?? r.signal} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return r;
}

function must(title, cmd, args, opts) {
  const r = step(title, cmd, args, opts);
  if (r.status !== 0) {
    failed++;
    problems.push(title);
  }
  return r;
}

/** node --test, counting from a TAP copy of the report. */
function nodeTests(title, files) {
  const tap = join('test-results', `${title.replace(/\W+/g, '-')}.tap`);
  const r = step(title, process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files]);
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  const p = Number(/^# pass (\d+)/m.exec(text)?.[1] ?? 0);
  const f = Number(/^# fail (\d+)/m.exec(text)?.[1] ?? 0) + Number(/^# cancelled (\d+)/m.exec(text)?.[1] ?? 0);
  passed += p;
  failed += f;
  if (r.status !== 0 && f === 0) {
    failed++;
    problems.push(`${title} (exit ${r.status})`);
  } else if (f) problems.push(`${title} (${f} failed)`);
}

function pythons() {
  const found = new Map();
  const add = (exe) => {
    const r = spawnSync(exe, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
    const v = r.stdout?.trim();
    if (r.status === 0 && v && Number(v.split('.')[1]) >= 10 && v.startsWith('3.') && !found.has(v)) found.set(v, exe);
  };
  const pyenv = join(homedir(), '.pyenv', 'versions');
  if (existsSync(pyenv)) for (const d of readdirSync(pyenv).sort()) if (existsSync(join(pyenv, d, 'bin', 'python3'))) add(join(pyenv, d, 'bin', 'python3'));
  add('python3');
  return [...found.entries()];
}

must('build', process.execPath, ['scripts/build.mjs']);
must('typecheck (tsc --strict)', process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.', '--noEmit']);

for (const [version, exe] of pythons()) {
  const r = step(`python ${version} runtime tests`, exe, ['-m', 'unittest', 'discover', '-s', 'runtime/tests', '-t', 'runtime', '-v'], { capture: true, env: { PYTHONPATH: join(root, 'runtime'), IPC_SCOPE_TEST_PYTHON: exe } });
  const out = (r.stdout ?? '') + (r.stderr ?? '');
  const ran = Number(/^Ran (\d+) tests?/m.exec(out)?.[1] ?? 0);
  const bad = /^FAILED \((.*)\)/m.exec(out);
  const nBad = bad ? bad[1].split(',').filter((x) => /failures|errors/.test(x)).reduce((s, x) => s + Number(x.split('=')[1]), 0) : 0;
  passed += ran - nBad;
  failed += nBad;
  if (r.status !== 0) {
    if (!nBad) failed++;
    problems.push(`python ${version}`);
  }
}

// Chromium for the panel tests and the e2e test (and build headers for code-server), from Debian.
try {
  ensureSystemPackages();
} catch (e) {
  console.log(`could not install system packages: ${e.message}`);
}
const unit = readdirSync('out/test').filter((f) => f.endsWith('.test.js')).map((f) => join('out/test', f));
nodeTests('unit, LSP and CLI tests', unit);

if (process.env.IPC_SCOPE_SKIP_E2E) console.log('\n=== e2e skipped (IPC_SCOPE_SKIP_E2E is set)');
else {
  must('package .vsix', process.execPath, ['scripts/package.mjs']);
  // Every test/e2e/*.mjs file is a real-VS-Code test (each starts its own code-server).
  const e2e = readdirSync('test/e2e').filter((f) => f.endsWith('.mjs')).sort().map((f) => join('test/e2e', f));
  nodeTests('real VS Code end-to-end', e2e);
}

if (problems.length) console.log(`\nproblems: ${problems.join('; ')}`);
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
