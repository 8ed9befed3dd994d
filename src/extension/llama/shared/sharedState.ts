// The state file of one shared llama-server: what another window needs to find it, check it and attach.
// It never holds the API key, only its hash (the key lives in the user-only key file, see apiKeyFile.ts).
import { createHash } from 'node:crypto';
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRecord } from '../../common/isRecord';
import { renameWithRetry } from '../../common/renameWithRetry';

export const STATE_VERSION = 1;

export interface SharedServerRecord {
  version: typeof STATE_VERSION;
  /** The identity (model, settings, binary) it was started for; the file name is its hash. */
  identity: string;
  pid: number;
  port: number;
  /** sha256 of the API key, to tell that the key file still holds this server's key. */
  keyHash: string;
  /** New at each launch: a reaper or a window that knew an older launch sees it was replaced. */
  token: string;
  modelPath: string;
  binary: string;
  args: readonly string[];
  /** The wait after the last window leaves before the reaper stops the server; 0 = keep it running. */
  idleStopMs: number;
  startedAt: string;
}

/** The files of the server for one identity (model, settings, binary) in the servers folder. */
export interface SharedPaths {
  readonly dir: string;
  readonly id: string;
  readonly state: string;
  readonly lock: string;
  readonly leases: string;
  readonly log: string;
  readonly key: string;
}

/** A short name for an identity: the same model, settings and binary share one server, anything else gets its own. */
export function identityId(identity: string): string {
  return createHash('sha256').update(identity).digest('hex').slice(0, 16);
}

export function sharedPaths(dir: string, id: string): SharedPaths {
  return {
    dir,
    id,
    state: join(dir, `${id}.json`),
    lock: join(dir, `${id}.lock`),
    leases: join(dir, `${id}.leases`),
    log: join(dir, `${id}.log`),
    key: join(dir, 'api-key'),
  };
}

export function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The servers folder, readable by its user only. */
export async function ensureServersDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/** The record, or undefined when there is none or it is not one (an unreadable record is no server to attach to). */
export async function readSharedState(path: string): Promise<SharedServerRecord | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isSharedRecord(data) ? data : undefined;
}

function isSharedRecord(d: unknown): d is SharedServerRecord {
  return (
    isRecord(d) &&
    d.version === STATE_VERSION &&
    typeof d.identity === 'string' &&
    typeof d.pid === 'number' &&
    typeof d.port === 'number' &&
    typeof d.keyHash === 'string' &&
    typeof d.token === 'string' &&
    typeof d.modelPath === 'string' &&
    typeof d.binary === 'string' &&
    Array.isArray(d.args) &&
    d.args.every((a) => typeof a === 'string') &&
    typeof d.idleStopMs === 'number' &&
    typeof d.startedAt === 'string'
  );
}

/** Written whole (temporary file, then rename), so a reader never sees half a record. */
export async function writeSharedState(path: string, record: SharedServerRecord): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(record, null, 2), { mode: 0o600 });
  await renameWithRetry(tmp, path);
}

export async function removeSharedState(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}
