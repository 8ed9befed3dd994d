// "Headroom: Show Memory Plan": one WebviewPanel, revealed when already open, that draws the plan of the
// running (or last) start, or plans the configured model on request. The logic is PlanPanelController's.
import * as vscode from 'vscode';
import { createNonce, webviewHtml } from '../../present/webviewHtml';
import { PlanPanelController, type PlanPanelPort, type PlanSource } from '../../present/planPanelController';

export interface PlanPanelDeps {
  extensionUri: vscode.Uri;
  /** The ServerController: `plan`, `onDidChangePlan`, `computePlan()`. */
  controller: PlanSource;
  log: vscode.LogOutputChannel;
}

export const SHOW_PLAN_COMMAND = 'headroom.showPlan';

export class PlanPanel implements vscode.Disposable {
  static readonly viewType = 'headroom.plan';

  private readonly controller: PlanPanelController;
  private panel: vscode.WebviewPanel | undefined;
  private panelDisposables: vscode.Disposable[] = [];

  constructor(private readonly deps: PlanPanelDeps) {
    this.controller = new PlanPanelController(deps.controller, {
      copyToClipboard: async (text) => {
        await vscode.env.clipboard.writeText(text);
      },
      warn: (message, ...args) => deps.log.warn(message, ...args),
    });
  }

  /** Opens the panel, or reveals it; with no plan to show yet, the panel offers to plan the configured model. */
  show(): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const { extensionUri, log } = this.deps;
    const scriptRoot = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    const mediaRoot = vscode.Uri.joinPath(extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel(PlanPanel.viewType, 'Headroom: Memory Plan', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [scriptRoot, mediaRoot],
    });
    this.panel = panel;
    const webview = panel.webview;
    webview.html = webviewHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(scriptRoot, 'plan.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(mediaRoot, 'plan.css')).toString(),
      nonce: createNonce(),
      title: 'Headroom: Memory Plan',
    });
    const port: PlanPanelPort = {
      post: (message) => {
        webview.postMessage(message).then(
          (delivered) => {
            if (!delivered) log.debug(`Plan panel: '${message.type}' was not delivered`);
          },
          (err: unknown) => log.warn(`Plan panel: posting '${message.type}' failed`, err),
        );
      },
    };
    this.controller.attach(port);
    this.panelDisposables.push(
      { dispose: () => this.controller.detach(port) },
      webview.onDidReceiveMessage((message: unknown) => this.controller.receive(message)),
      // A hidden panel's webview is torn down (no retainContextWhenHidden); it sends `ready` again when shown.
      panel.onDidDispose(() => this.releasePanel()),
    );
  }

  dispose(): void {
    this.panel?.dispose();
    this.releasePanel();
    this.controller.dispose();
  }

  private releasePanel(): void {
    this.panel = undefined;
    for (const d of this.panelDisposables.splice(0)) d.dispose();
  }
}

/** The panel and its command; main.ts pushes these onto the extension context's subscriptions. */
export function registerPlanPanel(deps: PlanPanelDeps): vscode.Disposable[] {
  const panel = new PlanPanel(deps);
  return [panel, vscode.commands.registerCommand(SHOW_PLAN_COMMAND, () => panel.show())];
}
