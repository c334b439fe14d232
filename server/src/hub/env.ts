/** Where the bundled Python runtime is, and the environment that turns it on in a program. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RuntimeEnv, runtimePythonPath } from '../../../protocol/runtime';
import type { Hub } from './hub';

/** runtime/ next to out/ (bundled server and CLI) or at the repository root (tests). */
export function findRuntimeDir(): string {
  for (const dir of [path.resolve(__dirname, '..', 'runtime'), path.resolve(__dirname, '..', '..', 'runtime'), path.resolve(__dirname, '..', '..', '..', 'runtime')]) {
    if (fs.existsSync(path.join(dir, 'ipcscope', '__init__.py'))) return dir;
  }
  throw new Error('the IPC Scope Python runtime (runtime/ipcscope) was not found next to the CLI');
}

/** Environment that turns the runtime on in every Python process of the program. */
export function runtimeEnv(hub: Hub | { path: string; token: string }, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const runtime = findRuntimeDir();
  const pythonPath = runtimePythonPath(runtime, base.PYTHONPATH, true, path.delimiter);
  const hubEnv = 'env' in hub ? hub.env() : { [RuntimeEnv.hub]: hub.path, [RuntimeEnv.token]: hub.token };
  return { ...base, ...hubEnv, PYTHONPATH: pythonPath, [RuntimeEnv.runtimeDir]: runtime };
}

