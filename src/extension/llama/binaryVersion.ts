import { run } from '../common/run';
import { cleanEnv } from './childEnv';

export interface BinaryVersion {
  /** e.g. "0.4.0-dev (build 1, commit 80fb11a)" */
  text: string;
  commit?: string;
}

/** Runs `<binary> --version` and reads llama.cpp's version line; undefined when it is not llama.cpp. */
export async function readBinaryVersion(binary: string): Promise<BinaryVersion | undefined> {
  let output: string;
  try {
    const result = await run(binary, ['--version'], { timeoutMs: 15_000, env: cleanEnv(process.env) });
    if (result.code !== 0) return undefined;
    output = result.stdout + result.stderr;
  } catch {
    return undefined;
  }
  const version = /^version:\s*(.+)$/m.exec(output)?.[1];
  if (version === undefined) return undefined;
  const commit = /commit ([0-9a-f]{6,40})/.exec(version)?.[1];
  return { text: version.trim(), commit };
}
