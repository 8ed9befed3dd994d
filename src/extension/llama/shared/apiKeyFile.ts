// The key of the shared servers. It is never in argv (world-readable) nor in a state file: it lives in one
// file that only its user can read (mode 0600 in a 0700 folder; on Windows the folder is under
// %LOCALAPPDATA%, whose ACL admits only that user), so every window of that user can attach, nobody else.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';

/** The key in `path`, made (exclusively, so two windows agree on one) when there is none. */
export async function sharedApiKey(path: string): Promise<string> {
  const existing = await readKey(path);
  if (existing) return existing;
  try {
    await writeFile(path, randomBytes(24).toString('base64url'), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const key = await readKey(path);
  if (!key) throw new Error(`The key file ${path} is empty.`);
  return key;
}

async function readKey(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim() || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
