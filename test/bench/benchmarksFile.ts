// Each benchmark owns one or more sections of BENCHMARKS.md, between `<!-- bench:NAME -->` markers.
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

/** Replaces (or appends) one section of BENCHMARKS.md. */
export function writeSection(name: string, body: string): void {
  const before = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '# Benchmarks\n';
  writeFileSync(FILE, rewriteSection(before, name, body));
}

/**
 * Runs one benchmark program: `produce` returns its section's body, or several sections by name (a program
 * that pays for one expensive set-up, such as a ~1B model, for several tables); each is written and printed,
 * and a failure exits 1.
 */
export function runBench(name: string, produce: () => Promise<string | Readonly<Record<string, string>>>): void {
  produce().then(
    (result) => {
      const sections = typeof result === 'string' ? { [name]: result } : result;
      for (const [section, body] of Object.entries(sections)) {
        writeSection(section, body);
        console.log(body);
      }
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
