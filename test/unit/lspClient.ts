/** A real LSP client for tests: out/server.js started with --stdio, as any editor would start it. */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { ProtocolConnection, StreamMessageReader, StreamMessageWriter, createProtocolConnection } from 'vscode-languageserver-protocol/node';
import { repoRoot } from './helpers';

export interface LspServer {
  process: ChildProcess;
  conn: ProtocolConnection;
  stderr: () => string;
  stop: () => Promise<void>;
}

/** Starts the server, wired but not initialized (register handlers on `conn`, then initialize). */
export function startLspServer(): LspServer {
  const server = spawn(process.execPath, [path.join(repoRoot, 'out', 'server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  server.stderr!.on('data', (d) => (stderr += d));
  const conn = createProtocolConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
  return {
    process: server,
    conn,
    stderr: () => stderr,
    async stop() {
      try {
        await conn.sendRequest('shutdown');
        await conn.sendNotification('exit');
      } catch {
        /* already gone */
      }
      conn.dispose();
      server.kill();
    },
  };
}
