import * as vscode from 'vscode';
import { splitArgs } from '../llama/serverArgs';

/** Settings as plain values: the only place that reads `headroom.*`. */
export interface HeadroomConfig {
  modelPath: string;
  llamaServerPath: string;
  contextSize: number;
  extraServerArgs: string[];
  port: number;
}

/** Settings whose change only takes effect when llama-server restarts. */
export const RESTART_SETTINGS = ['modelPath', 'llamaServerPath', 'contextSize', 'extraServerArgs', 'port'] as const;

function expandHome(path: string): string {
  return path.startsWith('~/') ? `${process.env.HOME ?? ''}${path.slice(1)}` : path;
}

export function readConfig(): HeadroomConfig {
  const c = vscode.workspace.getConfiguration('headroom');
  const extra = c.get<string[] | string>('extraServerArgs', []);
  return {
    modelPath: expandHome(c.get<string>('modelPath', '').trim()),
    llamaServerPath: expandHome(c.get<string>('llamaServerPath', '').trim()),
    contextSize: Math.max(0, Math.floor(c.get<number>('contextSize', 8192))),
    extraServerArgs: Array.isArray(extra) ? extra.filter((a) => typeof a === 'string') : splitArgs(String(extra)),
    port: Math.max(0, Math.floor(c.get<number>('port', 0))),
  };
}

export function affectsRestart(event: vscode.ConfigurationChangeEvent): boolean {
  return RESTART_SETTINGS.some((key) => event.affectsConfiguration(`headroom.${key}`));
}
