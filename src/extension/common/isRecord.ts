/** A plain JSON object (not null, not an array): what the host's readers of untrusted JSON check first. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
