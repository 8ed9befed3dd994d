// Each benchmark owns one section of BENCHMARKS.md, between `<!-- bench:NAME -->` markers.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FILE = join(__dirname, '..', '..', '..', 'BENCHMARKS.md');

export function rewriteSection(markdown: string, name: string, body: string): string {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const i = markdown.indexOf(start);
  const j = markdown.indexOf(end);
  if (i >= 0 && j > i) return markdown.slice(0, i) + block + markdown.slice(j + end.length);
  return `${markdown.trimEnd()}${markdown.trim() ? '\n\n' : ''}${block}\n`;
}

/** Replaces (or appends) this benchmark's section of BENCHMARKS.md. */
export function writeSection(name: string, body: string): void {
  const before = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '# Benchmarks\n';
  writeFileSync(FILE, rewriteSection(before, name, body));
}

/** Runs one benchmark program: its section of BENCHMARKS.md is what `produce` returns, also printed; a failure exits 1. */
export function runBench(name: string, produce: () => Promise<string>): void {
  produce().then(
    (body) => {
      writeSection(name, body);
      console.log(body);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
