/** out/dap.js: the debug adapter over stdin/stdout (the same as `ipc-scope dap`). */
import { serveDebugAdapter } from './serve';

void serveDebugAdapter().then((code) => process.exit(code));
