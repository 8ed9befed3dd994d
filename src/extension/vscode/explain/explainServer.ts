import * as vscode from 'vscode';
import type { ReadyServer } from '../../llama/supervisor';
import type { ChatConnection } from '../../chat/chatConnection';
import type { ChatTarget } from '../server/chatTarget';
import type { ServerController } from '../server/serverController';

const BUSY = new Set(['locating', 'planning', 'building', 'starting', 'loading', 'crashed']);

/** Resolves with the server once ready, or undefined when it stops or fails first. */
function whenReady(controller: ServerController, signal: AbortSignal): Promise<ReadyServer | undefined> {
  return new Promise((resolve) => {
    const done = (server: ReadyServer | undefined): void => {
      sub.dispose();
      signal.removeEventListener('abort', onAbort);
      resolve(server);
    };
    const onAbort = (): void => done(undefined);
    const sub = controller.supervisor.onDidChangeState((state) => {
      if (state.kind === 'ready') done(controller.server);
      else if (state.kind === 'stopped' || state.kind === 'failed') done(undefined);
    });
    signal.addEventListener('abort', onAbort);
  });
}

/**
 * The running server; while one is starting, waits for it; with none, offers to start the configured
 * model (through the "Start Local Model" command, so its own errors and first-run choices apply) and
 * continues once it is ready. Undefined when the user declines or the start fails.
 */
export async function ensureServer(controller: ServerController, signal: AbortSignal, onWait: (message: string) => void): Promise<ReadyServer | undefined> {
  if (controller.server) return controller.server;
  if (BUSY.has(controller.supervisor.state.kind)) {
    onWait('Waiting for the model to finish starting...');
    const server = await whenReady(controller, signal);
    // The look for a shared server as the window opened ends in stopped when none runs: then offer to start.
    if (server || signal.aborted || controller.supervisor.state.kind !== 'stopped') return server;
  }
  const start = 'Start Local Model';
  const choice = await vscode.window.showInformationMessage('Headroom: no model is running. Start the configured model to explain this code?', start);
  if (choice !== start || signal.aborted) return undefined;
  onWait('Starting the model...');
  await vscode.commands.executeCommand('headroom.start');
  if (controller.server) return controller.server;
  return BUSY.has(controller.supervisor.state.kind) ? whenReady(controller, signal) : undefined;
}

/**
 * What to explain with: the running server set as endpoint (its description's error when it failed), or the
 * local model through ensureServer. Undefined when the user declines to start one or the start fails.
 */
export async function ensureConnection(target: ChatTarget, signal: AbortSignal, onWait: (message: string) => void): Promise<ChatConnection | undefined> {
  if (target.usesEndpoint) return target.endpoint.ready();
  const server = await ensureServer(target.controller, signal, onWait);
  return server ? target.controller.connection() : undefined;
}
