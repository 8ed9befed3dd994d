// The only place that reads `headroom.*` settings: the server's (readConfig) and the models' (readModelSettings).
import * as vscode from 'vscode';
import { expandHome } from '../common/expandHome';
import type { PlanWishes } from '../memory/planTypes';
import { splitArgs } from '../llama/serverArgs';
import { defaultDownloadFolder } from '../models/defaults';
import { isSet, restrictedValue, RESTRICTED_SETTINGS, wishesFrom } from './settingValues';

/** The server's settings as plain values. */
export interface HeadroomConfig {
  modelPath: string;
  llamaServerPath: string;
  extraServerArgs: string[];
  port: number;
  /** A server silent this long (no token, no /health answer) is restarted; 0 = never. */
  stallTimeoutSeconds: number;
  /** What the memory planner is asked for; an explicit setting is an override it honours. */
  wishes: PlanWishes;
}

/** Settings whose change only takes effect when llama-server restarts. */
export const RESTART_SETTINGS = [
  'modelPath', 'llamaServerPath', 'contextSize', 'extraServerArgs', 'port',
  'gpuLayers', 'kvCacheType', 'flashAttention', 'threads', 'gpuMargin', 'gpuMarginMiB', 'mmap',
] as const;

/**
 * A setting's value. A restricted one (RESTRICTED_SETTINGS) comes without an untrusted workspace's values;
 * `headroom.gpuMargin` falls back to its former name, `headroom.gpuMarginMiB`, when only that is set.
 */
function read<T>(c: vscode.WorkspaceConfiguration, key: string): T | undefined {
  if (RESTRICTED_SETTINGS.includes(key)) return restrictedValue(c.inspect<T>(key), vscode.workspace.isTrusted);
  if (key === 'gpuMargin' && !isSet(c.inspect(key)) && c.get('gpuMarginMiB') !== undefined) return c.get<T>('gpuMarginMiB');
  return c.get<T>(key);
}

export function readConfig(): HeadroomConfig {
  const c = vscode.workspace.getConfiguration('headroom');
  const extra = read<string[] | string>(c, 'extraServerArgs') ?? [];
  return {
    modelPath: expandHome(c.get<string>('modelPath', '').trim()),
    llamaServerPath: expandHome(String(read<string>(c, 'llamaServerPath') ?? '').trim()),
    extraServerArgs: Array.isArray(extra) ? extra.filter((a) => typeof a === 'string') : splitArgs(String(extra)),
    port: Math.max(0, Math.floor(c.get<number>('port', 0))),
    stallTimeoutSeconds: Math.max(0, Math.floor(c.get<number>('stallTimeoutSeconds', 60))),
    wishes: wishesFrom((key) => read(c, key)),
  };
}

/** What the model picker, the download command and the first-run path read. */
export interface ModelSettings {
  readonly modelFolders: string[];
  readonly downloadFolder: string;
  readonly huggingFaceBaseUrl?: string;
}

export function readModelSettings(): ModelSettings {
  const c = vscode.workspace.getConfiguration('headroom');
  const folders = read<unknown>(c, 'modelFolders') ?? [];
  return {
    modelFolders: Array.isArray(folders) ? folders.filter((f): f is string => typeof f === 'string' && f.trim() !== '').map((f) => expandHome(f.trim())) : [],
    downloadFolder: expandHome(c.get<string>('downloadFolder', '').trim()) || defaultDownloadFolder(),
    huggingFaceBaseUrl: c.get<string>('huggingFaceBaseUrl', '').trim() || undefined,
  };
}

/** What the chat reads for each request. */
export interface ChatSettings {
  /** Empty: no system message. */
  readonly systemPrompt: string;
}

export function readChatSettings(): ChatSettings {
  const prompt = vscode.workspace.getConfiguration('headroom').get<unknown>('systemPrompt', '');
  return { systemPrompt: typeof prompt === 'string' ? prompt.trim() : '' };
}

export function affectsRestart(event: vscode.ConfigurationChangeEvent): boolean {
  return RESTART_SETTINGS.some((key) => event.affectsConfiguration(`headroom.${key}`));
}
