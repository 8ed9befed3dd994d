// A loopback stand-in for Hugging Face: the tree API, resolve URLs that redirect to a "CDN" on
// another port (another origin, as in real life), range requests, and faults on demand: the ways
// servers lie (a short Content-Length, a close that looks like the end, an HTML page) and the ways
// they never finish (closing early every time, going silent).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedFile {
  readonly diskPath: string;
  /** Overrides what the listing says (a wrong size or hash upstream). */
  readonly listedSize?: number;
  readonly listedSha256?: string;
}

export interface Faults {
  /** Destroy the socket after this many body bytes of the next response for the file (once each). */
  cutAfter?: Map<string, number>;
  /** Answer Range requests with the whole file (200). */
  ignoreRange?: boolean;
  /** Trickle the body in chunks of this size with a pause, so a test can cancel mid-way. */
  slowChunk?: number;
  /** Every response for the file says `Content-Length: N` and sends the first N bytes, as if that were the file. */
  lyingLength?: Map<string, number>;
  /** Every response for the file: no Content-Length, and the connection closed cleanly after N bytes, so the end looks normal. */
  closeWithoutLength?: Map<string, number>;
  /** Every response for the file is an HTML page (200, text/html), as a login or error page would be. */
  htmlPage?: Set<string>;
  /** Every response for the file is cut after N body bytes (cutAfter does it once). */
  cutEvery?: Map<string, number>;
  /** At byte N of the file the body goes silent, the connection held open; `every` response, or once. */
  silentAfter?: Map<string, { readonly bytes: number; readonly every: boolean }>;
}

export const HTML_PAGE = '<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Sign in to continue.</body></html>\n';

export interface LoggedRequest {
  readonly server: 'hub' | 'cdn';
  readonly url: string;
  readonly range?: string;
  readonly authorization?: string;
}

export class FakeHub {
  readonly repos = new Map<string, Map<string, ServedFile>>();
  readonly privateRepos = new Map<string, string>();
  readonly faults: Faults = {};
  readonly log: LoggedRequest[] = [];
  /** Bytes of file bodies sent by the CDN. */
  bodyBytes = 0;
  pageSize = 1000;
  private hub?: Server;
  private cdn?: Server;
  private readonly shaCache = new Map<string, string>();

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.hub?.address() as AddressInfo).port}`;
  }

  get cdnUrl(): string {
    return `http://127.0.0.1:${(this.cdn?.address() as AddressInfo).port}`;
  }

  addFile(repo: string, path: string, file: ServedFile): void {
    if (!this.repos.has(repo)) this.repos.set(repo, new Map());
    this.repos.get(repo)?.set(path, file);
  }

  async start(): Promise<void> {
    const listen = (handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<Server> =>
      new Promise((resolve) => {
        const server = createServer((req, res) => void handler(req, res).catch((err: unknown) => {
          if (!res.headersSent) res.writeHead(500);
          res.end(String(err));
        }));
        server.listen(0, '127.0.0.1', () => resolve(server));
      });
    this.hub = await listen((req, res) => this.onHub(req, res));
    this.cdn = await listen((req, res) => this.onCdn(req, res));
  }

  async stop(): Promise<void> {
    for (const s of [this.hub, this.cdn]) {
      s?.closeAllConnections();
      await new Promise((r) => s?.close(r));
    }
  }

  async sha256(diskPath: string): Promise<string> {
    const cached = this.shaCache.get(diskPath);
    if (cached) return cached;
    const sha = createHash('sha256').update(await readFile(diskPath)).digest('hex');
    this.shaCache.set(diskPath, sha);
    return sha;
  }

  private authorized(repo: string, req: IncomingMessage): boolean {
    const token = this.privateRepos.get(repo);
    return !token || req.headers.authorization === `Bearer ${token}`;
  }

  private async onHub(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    this.log.push({ server: 'hub', url: url.pathname + url.search, range: req.headers.range, authorization: req.headers.authorization });
    const treeRepo = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/main$/.exec(url.pathname)?.[1];
    if (treeRepo !== undefined) {
      const files = this.repos.get(treeRepo);
      if (!files) return void res.writeHead(404).end('{"error":"Repository not found"}');
      if (!this.authorized(treeRepo, req)) return void res.writeHead(401).end('{"error":"Invalid credentials"}');
      const entries = [{ type: 'directory', path: 'docs', oid: 'x', size: 0 }, { type: 'file', path: 'README.md', oid: 'y', size: 12 }];
      for (const [path, f] of files) {
        const size = (await stat(f.diskPath)).size;
        entries.push({ type: 'file', path, oid: 'z', size: 134, lfs: { oid: f.listedSha256 ?? (await this.sha256(f.diskPath)), size: f.listedSize ?? size, pointerSize: 134 } } as never);
      }
      const cursor = Number(url.searchParams.get('cursor') ?? 0);
      const page = entries.slice(cursor, cursor + this.pageSize);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (cursor + this.pageSize < entries.length) headers.link = `<${this.baseUrl}${url.pathname}?recursive=true&cursor=${cursor + this.pageSize}>; rel="next"`;
      return void res.writeHead(200, headers).end(JSON.stringify(page));
    }
    const [, repo, encoded] = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(url.pathname) ?? [];
    if (repo !== undefined && encoded !== undefined) {
      const path = decodeURIComponent(encoded);
      const f = this.repos.get(repo)?.get(path);
      if (!f) return void res.writeHead(404).end('Entry not found');
      if (!this.authorized(repo, req)) return void res.writeHead(401).end('Unauthorized');
      const size = (await stat(f.diskPath)).size;
      return void res.writeHead(302, {
        location: `${this.cdnUrl}/blobs/${encodeURIComponent(repo)}/${encoded}?signature=abc`,
        'x-linked-etag': `"${f.listedSha256 ?? (await this.sha256(f.diskPath))}"`,
        'x-linked-size': String(f.listedSize ?? size),
      }).end();
    }
    res.writeHead(404).end();
  }

  private async onCdn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.cdnUrl);
    this.log.push({ server: 'cdn', url: url.pathname, range: req.headers.range, authorization: req.headers.authorization });
    const [, blobRepo, blobPath, plainPath] = /^\/(?:blobs\/([^/]+)\/(.+)|plain\/(.+))$/.exec(url.pathname) ?? [];
    const encodedPath = blobPath ?? plainPath;
    if (encodedPath === undefined) return void res.writeHead(404).end();
    const repo = blobRepo === undefined ? 'plain' : decodeURIComponent(blobRepo);
    const path = decodeURIComponent(encodedPath);
    const f = this.repos.get(repo)?.get(path);
    if (!f) return void res.writeHead(404).end();
    if (await this.misbehave(path, f, req, res)) return;
    const size = (await stat(f.diskPath)).size;
    let start = 0;
    let end = size - 1;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range && !this.faults.ignoreRange) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size) return void res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': String(end - start + 1), 'accept-ranges': 'bytes' });
    } else {
      res.writeHead(200, { 'content-length': String(size), 'accept-ranges': 'bytes' });
    }
    if (req.method === 'HEAD') return void res.end();
    const once = this.faults.cutAfter?.get(path);
    if (once !== undefined) this.faults.cutAfter?.delete(path);
    const cut = once ?? this.faults.cutEvery?.get(path);
    const silent = this.faults.silentAfter?.get(path);
    if (silent && !silent.every) this.faults.silentAfter?.delete(path);
    let sent = 0;
    for await (const chunk of createReadStream(f.diskPath, { start, end, highWaterMark: this.faults.slowChunk ?? 64 * 1024 })) {
      const buf = chunk as Buffer;
      if (cut !== undefined && sent + buf.length > cut) {
        const part = buf.subarray(0, cut - sent);
        this.bodyBytes += part.length;
        await new Promise<void>((r) => res.write(part, () => r()));
        res.socket?.destroy();
        return;
      }
      if (silent && start + sent + buf.length > silent.bytes) {
        const part = buf.subarray(0, Math.max(0, silent.bytes - start - sent));
        this.bodyBytes += part.length;
        res.write(part);
        await new Promise((r) => res.once('close', r)); // until the client gives up on it
        return;
      }
      sent += buf.length;
      this.bodyBytes += buf.length;
      if (!res.write(buf)) await new Promise((r) => res.once('drain', r));
      if (this.faults.slowChunk) await new Promise((r) => setTimeout(r, 5));
      if (res.destroyed) return;
    }
    res.end();
  }

  /** The faults that replace the whole answer; true when one did. */
  private async misbehave(path: string, f: ServedFile, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (this.faults.htmlPage?.has(path)) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(HTML_PAGE)) }).end(HTML_PAGE);
      this.bodyBytes += Buffer.byteLength(HTML_PAGE);
      return true;
    }
    const lying = this.faults.lyingLength?.get(path);
    if (lying !== undefined) {
      const head = (await readFile(f.diskPath)).subarray(0, lying);
      res.writeHead(200, { 'content-length': String(head.length) }).end(head);
      this.bodyBytes += head.length;
      return true;
    }
    const closeAt = this.faults.closeWithoutLength?.get(path);
    if (closeAt !== undefined) {
      // Written by hand: Node's server would send chunked encoding, whose missing last chunk the client notices.
      const head = (await readFile(f.diskPath)).subarray(0, closeAt);
      req.socket.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\nconnection: close\r\n\r\n'), head]));
      this.bodyBytes += head.length;
      return true;
    }
    return false;
  }
}
