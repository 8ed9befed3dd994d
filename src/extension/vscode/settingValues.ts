// How config.ts turns raw `headroom.*` values into plain ones. Kept free of 'vscode' so that unit tests run it
// under plain Node; config.ts is still the only code that asks VS Code for settings.
import type { PlanWishes } from '../memory/planTypes';

/** The parts of `WorkspaceConfiguration.inspect()` read here. */
export interface InspectedSetting<T> {
  readonly defaultValue?: T;
  readonly globalValue?: T;
  readonly workspaceValue?: T;
  readonly workspaceFolderValue?: T;
}

/**
 * Settings that would let a workspace run a program or read files of its choosing: package.json declares them
 * in `capabilities.untrustedWorkspaces.restrictedConfigurations`, and an untrusted workspace's values are ignored.
 */
export const RESTRICTED_SETTINGS: readonly string[] = ['llamaServerPath', 'extraServerArgs', 'modelFolders', 'rpcWorkers', 'endpointUrl'];

/**
 * A restricted setting's value: in an untrusted workspace only the user's own (or the default), whatever the
 * workspace's settings say. VS Code leaves those out too; this does not rely on it.
 */
export function restrictedValue<T>(inspected: InspectedSetting<T> | undefined, trusted: boolean): T | undefined {
  if (!inspected) return undefined;
  const user = inspected.globalValue ?? inspected.defaultValue;
  return trusted ? (inspected.workspaceFolderValue ?? inspected.workspaceValue ?? user) : user;
}

/** Whether the user (in any scope) set this setting. */
export function isSet(inspected: InspectedSetting<unknown> | undefined): boolean {
  return inspected !== undefined && [inspected.globalValue, inspected.workspaceValue, inspected.workspaceFolderValue].some((v) => v !== undefined);
}

/**
 * `headroom.gpuLayers`: 'auto' or a count. The Settings UI edits it as a string ("20"); settings written before
 * that hold a number (20), and -1 meant auto to some users: all are read. Anything else counts as auto.
 */
export function gpuLayersValue(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.floor(value);
  if (typeof value === 'string' && /^\s*[0-9]+\s*$/.test(value)) return Number(value.trim());
  return undefined;
}

/** Reads the planner settings; anything malformed counts as 'auto' rather than breaking a start. */
export function wishesFrom(get: <T>(key: string) => T | undefined): PlanWishes {
  const wishes: PlanWishes = {};
  const ctx = get<number>('contextSize');
  if (typeof ctx === 'number' && ctx > 0) wishes.contextSize = Math.floor(ctx);
  const ngl = gpuLayersValue(get<unknown>('gpuLayers'));
  if (ngl !== undefined) wishes.gpuLayers = ngl;
  const kv = get<string>('kvCacheType');
  if (kv === 'f16' || kv === 'q8_0' || kv === 'q4_0') {
    wishes.cacheTypeK = kv;
    wishes.cacheTypeV = kv;
  }
  const fa = get<string>('flashAttention');
  if (fa === 'on' || fa === 'off') wishes.flashAttn = fa;
  const threads = get<number>('threads');
  if (typeof threads === 'number' && threads > 0) wishes.threads = Math.floor(threads);
  const margin = get<number>('gpuMargin');
  if (typeof margin === 'number' && margin >= 0) wishes.marginMiB = margin;
  const mmap = get<string>('mmap');
  if (mmap === 'on' || mmap === 'off') wishes.mmap = mmap === 'on';
  return wishes;
}
