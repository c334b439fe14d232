/**
 * Hosts the panel (webview/) in the sidebar. Holds no process state: on `ready` and on `refresh`
 * it asks the server for a snapshot; deltas from the server are forwarded as they arrive.
 */
import * as vscode from 'vscode';
import type { HostToWebview, RunRecordToWebview, WebviewToHost } from '../../protocol/protocol';
import { makeNonce, renderWebviewHtml } from './webviewHtml';

export interface ViewActions {
  onMessage(msg: WebviewToHost): void;
  onVisibility(visible: boolean): void;
}

export class ProcessTreeView implements vscode.WebviewViewProvider {
  static readonly viewId = 'ipcScope.processTree';
  private view: vscode.WebviewView | undefined;

  constructor(private readonly extensionUri: vscode.Uri, private readonly actions: ViewActions) {}

  get visible(): boolean {
    return !!this.view?.visible;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const outDir = vscode.Uri.joinPath(this.extensionUri, 'out');
    view.webview.options = { enableScripts: true, localResourceRoots: [outDir] };
    view.webview.html = renderWebviewHtml({
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(outDir, 'webview.js')).toString(),
      styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(outDir, 'webview.css')).toString(),
      cspSource: view.webview.cspSource,
      nonce: makeNonce(),
    });
    view.webview.onDidReceiveMessage((m: WebviewToHost) => this.actions.onMessage(m));
    view.onDidChangeVisibility(() => this.actions.onVisibility(view.visible));
    view.onDidDispose(() => {
      this.view = undefined;
      this.actions.onVisibility(false);
    });
    this.actions.onVisibility(view.visible);
  }

  /** False while a saved run is on screen: live updates are held back (errors still pass). */
  live = true;

  post(msg: HostToWebview): void {
    if (!this.live && msg.type !== 'error') return;
    void this.view?.webview.postMessage(msg);
  }

  postRecord(msg: RunRecordToWebview): void {
    void this.view?.webview.postMessage(msg);
  }
}
