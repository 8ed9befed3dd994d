// The only place that reads `headroom.*` settings: the server's (readConfig) and the models' (readModelSettings).
import * as vscode from 'vscode';
import { expandHome } from '../common/expandHome';
import type { PlanWishes } from '../memory/planTypes';
import { splitArgs } from '../llama/serverArgs';
import { defaultDownloadFolder } from '../models/defaults';

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
  'gpuLayers', 'kvCacheType', 'flashAttention', 'threads', 'gpuMarginMiB', 'mmap',
  'rpcWorkers',
] as const;

/** Reads the planner settings; anything malformed counts as 'auto' rather than breaking a start. */
export function wishesFrom(get: <T>(key: string) => T | undefined): PlanWishes {
  const wishes: PlanWishes = {};
  const ctx = get<number>('contextSize');
  if (typeof ctx === 'number' && ctx > 0) wishes.contextSize = Math.floor(ctx);
  const ngl = get<number | string>('gpuLayers'); // a number or 'auto'
  if (typeof ngl === 'number' && ngl >= 0) wishes.gpuLayers = Math.floor(ngl);
  const kv = get<string>('kvCacheType');
  if (kv === 'f16' || kv === 'q8_0' || kv === 'q4_0') {
    wishes.cacheTypeK = kv;
    wishes.cacheTypeV = kv;
  }
  const fa = get<string>('flashAttention');
  if (fa === 'on' || fa === 'off') wishes.flashAttn = fa;
  const threads = get<number>('threads');
  if (typeof threads === 'number' && threads > 0) wishes.threads = Math.floor(threads);
  const margin = get<number>('gpuMarginMiB');
  if (typeof margin === 'number' && margin >= 0) wishes.marginMiB = margin;
  const mmap = get<string>('mmap');
  if (mmap === 'on' || mmap === 'off') wishes.mmap = mmap === 'on';
  return wishes;
}

export function readConfig(): HeadroomConfig {
  const c = vscode.workspace.getConfiguration('headroom');
  const extra = c.get<string[] | string>('extraServerArgs', []);
  return {
    modelPath: expandHome(c.get<string>('modelPath', '').trim()),
    llamaServerPath: expandHome(c.get<string>('llamaServerPath', '').trim()),
    extraServerArgs: Array.isArray(extra) ? extra.filter((a) => typeof a === 'string') : splitArgs(String(extra)),
    port: Math.max(0, Math.floor(c.get<number>('port', 0))),
    stallTimeoutSeconds: Math.max(0, Math.floor(c.get<number>('stallTimeoutSeconds', 60))),
    wishes: wishesFrom((key) => c.get(key)),
    rpcWorkers: c.get<unknown[]>('rpcWorkers', []).filter((w): w is string => typeof w === 'string'),
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
  const folders = c.get<unknown>('modelFolders', []);
  return {
    modelFolders: Array.isArray(folders) ? folders.filter((f): f is string => typeof f === 'string' && f.trim() !== '').map((f) => expandHome(f.trim())) : [],
    downloadFolder: expandHome(c.get<string>('downloadFolder', '').trim()) || defaultDownloadFolder(),
    huggingFaceBaseUrl: c.get<string>('huggingFaceBaseUrl', '').trim() || undefined,
  };
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
  const url = c.get<string>('endpointUrl', '').trim();
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
