/**
 * Which URLs the chat may offer to open. Shared by the webview (to decide what becomes a link) and the
 * host (which checks again before opening anything): only absolute http and https URLs, never
 * javascript:, data:, file:, command: or vscode: ones, and nothing relative.
 */

export const MAX_URL_LENGTH = 8192;

/** The normalized URL when it may be opened, else undefined. */
export function openableUrl(raw: string): string | undefined {
  if (raw.length > MAX_URL_LENGTH) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.hostname === '') return undefined;
  return url.href;
}

/** Where an image would have been fetched from, in words for its placeholder. */
export function imageSource(raw: string): string {
  const trimmed = raw.trim();
  if (/^data:/i.test(trimmed)) return 'inline data';
  try {
    const url = new URL(trimmed);
    return url.host || url.protocol.replace(/:$/, '');
  } catch {
    return trimmed === '' ? 'nowhere' : 'a relative path';
  }
}
