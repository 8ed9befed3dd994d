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
  /** headroom.rpcWorkers as written ("host:port" or "host:port=MiB"); parsed at start, so a bad entry is a clear error there. */
  rpcWorkers: string[];
  /** Minutes the shared server keeps running after the last window using it closed; 0 = until stopped. */
  idleStopMinutes: number;
  /** Start (or attach to) the configured model when a window opens. */
  autoStart: boolean;
}

/** Settings whose change only takes effect when llama-server restarts. */
export const RESTART_SETTINGS = [
  'modelPath', 'llamaServerPath', 'contextSize', 'extraServerArgs', 'port',
  'gpuLayers', 'kvCacheType', 'flashAttention', 'threads', 'gpuMargin', 'gpuMarginMiB', 'mmap',
  'rpcWorkers',
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
    rpcWorkers: (read<unknown[]>(c, 'rpcWorkers') ?? []).filter((w): w is string => typeof w === 'string'),
    idleStopMinutes: Math.max(0, c.get<number>('idleStopMinutes', 10)),
    autoStart: c.get<boolean>('autoStart', false) === true,
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

/** `headroom.endpointUrl` / `headroom.endpointModel`: a running server to use instead of the local model (the key is in SecretStorage). */
export interface EndpointSetting {
  url: string;
  /** Empty: the first model the server lists. */
  model: string;
}

export const ENDPOINT_SETTINGS = ['headroom.endpointUrl', 'headroom.endpointModel'] as const;

/** Undefined when no endpoint is set: the local model is used. */
export function readEndpointSetting(): EndpointSetting | undefined {
  const c = vscode.workspace.getConfiguration('headroom');
  const url = String(read<string>(c, 'endpointUrl') ?? '').trim();
  return url ? { url, model: c.get<string>('endpointModel', '').trim() } : undefined;
}

/** Saves the endpoint to use (undefined: back to the local model), in the user's settings. */
export async function writeEndpointSetting(setting: EndpointSetting | undefined): Promise<void> {
  const c = vscode.workspace.getConfiguration('headroom');
  await c.update('endpointUrl', setting?.url ?? undefined, vscode.ConfigurationTarget.Global);
  await c.update('endpointModel', setting?.model || undefined, vscode.ConfigurationTarget.Global);
}

/** Code completion (`headroom.completion.*`); read on every change, none needs a restart. */
export interface CompletionSettings {
  readonly enabled: boolean;
  readonly debounceMs: number;
  readonly maxTokens: number;
  readonly maxPredictMs: number;
  readonly prefixLines: number;
  readonly suffixLines: number;
  /** A second, smaller model to complete with on its own server; '' = the chat model's server. */
  readonly modelPath: string;
}

export function readCompletionSettings(): CompletionSettings {
  const c = vscode.workspace.getConfiguration('headroom.completion');
  const int = (key: string, fallback: number, min: number): number => {
    const v = c.get<number>(key, fallback);
    return typeof v === 'number' && Number.isFinite(v) ? Math.max(min, Math.floor(v)) : fallback;
  };
  return {
    enabled: c.get<boolean>('enabled', true) !== false,
    debounceMs: int('debounceMs', 150, 0),
    maxTokens: int('maxTokens', 128, 1),
    maxPredictMs: int('maxPredictMs', 1000, 0),
    prefixLines: int('prefixLines', 256, 0),
    suffixLines: int('suffixLines', 64, 0),
    modelPath: (c.get<string>('modelPath', '') ?? '').trim(),
  };
}
