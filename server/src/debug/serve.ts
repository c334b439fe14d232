/** The debug adapter over stdin/stdout, for out/dap.js and `ipc-scope dap`. */
import { IpcScopeDebugSession } from './adapter';

/** Serves DAP on stdin/stdout until the client goes. */
export function serveDebugAdapter(): Promise<number> {
  const session = new IpcScopeDebugSession();
  session.start(process.stdin, process.stdout);
  return new Promise((resolve) => {
    const done = () => {
      session.shutdown();
      resolve(0);
    };
    process.stdin.on('end', done);
    process.stdin.on('close', done);
  });
}
