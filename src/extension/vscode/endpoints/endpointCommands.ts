import type * as vscode from 'vscode';
import { writeEndpointSetting } from '../config';
import { command, type CommandDeps } from '../server/commands';
import type { EndpointTarget } from './endpointTarget';
import { useRunningServer } from './useRunningServer';

/** "Use a Running Server..." and "Use the Local Model". */
export function registerEndpointCommands(deps: CommandDeps & { endpoint: EndpointTarget; secrets: vscode.SecretStorage }): vscode.Disposable[] {
  return [
    command(deps, 'headroom.useRunningServer', () => useRunningServer(deps.endpoint, deps.secrets)),
    command(deps, 'headroom.useLocalModel', async () => {
      await writeEndpointSetting(undefined);
      await deps.endpoint.refresh();
    }),
  ];
}
