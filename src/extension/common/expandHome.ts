import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';

/**
 * `~`, `~/rest` or `~\rest` resolved against `home`; any other path unchanged. The home's own style
 * (a drive letter, a UNC share or a backslash) picks the separator, so a Windows home comes out the
 * same on any host.
 */
export function expandHome(path: string, home: string = homedir()): string {
  if (path === '~') return home;
  if (!path.startsWith('~/') && !path.startsWith('~\\')) return path;
  const style = /^[A-Za-z]:|\\/.test(home) ? win32 : posix;
  return style.join(home, path.slice(2));
}
