import { join } from 'node:path';
import { headroomCacheDir } from '../common/cacheDir';

/** Where downloads go unless `headroom.downloadFolder` (or `--dir`) says otherwise. */
export function defaultDownloadFolder(env: NodeJS.ProcessEnv = process.env): string {
  return join(headroomCacheDir(env), 'models');
}

export function headerCacheFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(headroomCacheDir(env), 'model-headers.json');
}
