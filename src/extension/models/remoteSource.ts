// A ByteSource over HTTP range requests, so readGgufHeaderFrom() reads a remote model's header
// (a few MB) to judge it before a 20 GB download.
import { HeadroomError } from '../common/errors';
import type { ByteSource } from '../gguf/byteReader';
import { type FetchFn, headersFor, httpGet, statusError } from './http';

export interface HttpSourceOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  readonly fetchImpl?: FetchFn;
}

const MIN_REQUEST_BYTES = 1 << 20;

/** Content-Range `bytes 0-1023/4096` -> { start: 0, end: 1023, total: 4096 }. */
export function parseContentRange(value: string | null): { start: number; end: number; total?: number } | undefined {
  const m = value ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value.trim()) : null;
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

async function readBody(response: Response, max: number): Promise<Buffer> {
  const reader = response.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let have = 0;
  while (have < max) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(Buffer.from(value));
    have += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, max);
}

export async function openHttpSource(url: string, options: HttpSourceOptions = {}): Promise<ByteSource> {
  const origin = new URL(url).origin;
  let target = url;
  let block: { start: number; data: Buffer } = { start: 0, data: Buffer.alloc(0) };
  const fetchRange = async (start: number, length: number): Promise<{ data: Buffer; total?: number }> => {
    const result = await httpGet(target, {
      headers: { ...headersFor(target, origin, options.headers ?? {}), range: `bytes=${start}-${start + length - 1}` },
      signal: options.signal,
      fetchImpl: options.fetchImpl,
    });
    target = result.url;
    const { response } = result;
    if (response.status === 206) {
      const range = parseContentRange(response.headers.get('content-range'));
      if (!range || range.start !== start) throw new HeadroomError(`${url}: the server answered a range request with the wrong range (${response.headers.get('content-range')}).`);
      return { data: await readBody(response, length), total: range.total };
    }
    if (response.status === 200 && start === 0) {
      // No range support: fine for a small file, read from the start; refuse a large one.
      const total = Number(response.headers.get('content-length') ?? NaN);
      if (Number.isFinite(total) && total <= 4 * length) return { data: await readBody(response, total), total };
      await response.body?.cancel();
      throw new HeadroomError(`${url}: the server does not support range requests, so the header can't be read before downloading.`);
    }
    await response.body?.cancel();
    if (response.status === 416) return { data: Buffer.alloc(0) };
    throw statusError(response.status, `Reading the header of ${url}`);
  };
  const first = await fetchRange(0, MIN_REQUEST_BYTES);
  if (first.total === undefined) throw new HeadroomError(`${url}: the server did not say how large the file is.`);
  const size = first.total;
  block = { start: 0, data: first.data };
  return {
    size,
    async read(targetBuf, targetOffset, length, position) {
      const inBlock = position >= block.start && position < block.start + block.data.length;
      if (!inBlock) {
        const want = Math.min(Math.max(length, MIN_REQUEST_BYTES), size - position);
        if (want <= 0) return 0;
        block = { start: position, data: (await fetchRange(position, want)).data };
      }
      const from = position - block.start;
      return block.data.copy(targetBuf, targetOffset, from, Math.min(block.data.length, from + length));
    },
    close: async () => undefined,
  };
}
