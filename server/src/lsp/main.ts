/**
 * Entry point of the language server bundle (out/server.js).
 * Transport is chosen from argv like every vscode-languageserver: --stdio, --node-ipc or --socket=N,
 * so editors other than VS Code can start it with `node out/server.js --stdio`.
 */
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { startServer } from './server';

startServer(createConnection(ProposedFeatures.all));
