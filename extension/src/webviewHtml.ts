/**
 * The panel's HTML, with a strict Content-Security-Policy: no inline script or style without the
 * per-load nonce, nothing remote. No `vscode` import, so benchmarks can build the same page.
 * The toolkit (FAST) reads the nonce from <meta property="csp-nonce"> for the style probe it inserts.
 */
import { randomBytes } from 'node:crypto';

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[+/=]/g, '');
}

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function renderWebviewHtml(opts: { scriptUri: string; styleUri: string; cspSource: string; nonce: string }): string {
  const { scriptUri, styleUri, cspSource, nonce } = opts;
  const csp = [
    "default-src 'none'",
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta property="csp-nonce" content="${nonce}">
<link rel="stylesheet" href="${attr(styleUri)}" nonce="${nonce}">
<title>IPC Scope</title>
</head>
<body>
<div id="ipc-scope-root"></div>
<script nonce="${nonce}" src="${attr(scriptUri)}"></script>
</body>
</html>`;
}
