import { homedir } from 'node:os';
import { join } from 'node:path';

/** Headroom's cache folder outside any repository: HEADROOM_CACHE_DIR, else the platform's cache folder. */
export function headroomCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HEADROOM_CACHE_DIR) return env.HEADROOM_CACHE_DIR;
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'headroom');
  if (process.platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'headroom');
  return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'headroom');
}
