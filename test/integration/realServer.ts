// Shared set-up for integration tests: the real llama-server (located or built once into the cache)
// and generated models in a temporary folder.
import { after, before } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headroomCacheDir } from '../../src/extension/common/cacheDir';
import { resolveServer, type LocatedServer } from '../../src/extension/llama/locateServer';
import { NodeProcessLauncher, type LaunchOptions, type ManagedProcess, type ProcessLauncher } from '../../src/extension/llama/processLauncher';
import { Supervisor, type SupervisorDeps } from '../../src/extension/llama/supervisor';
import { checkModelFile } from '../../src/extension/llama/createSupervisor';
import { writeModel, type TinyPreset } from '../../src/extension/gguf/writer/models';
import type { FixtureType } from '../../src/extension/gguf/writer/quantize';

export { isAlive, llamaServersWith } from '../fixtures/processes';

const REPO = join(__dirname, '..', '..', '..');

let located: Promise<LocatedServer> | undefined;

/** The llama-server every integration test uses: found in the cache, or built there once. */
export function realServer(): Promise<LocatedServer> {
  located ??= resolveServer({
    cacheRoot: headroomCacheDir(),
    sourceFrom: REPO,
    onProgress: (p, m) => process.stderr.write(`# ${Math.floor(p)}% ${m}\n`),
  });
  return located;
}

export function tempDir(prefix: string): { path: string; dispose(): void } {
  const path = mkdtempSync(join(tmpdir(), `headroom-${prefix}-`));
  // Retries: a process that just ended (a window, a reaper) may still be closing files in it.
  return { path, dispose: () => rmSync(path, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }) };
}

/** What a suite of real-server tests shares: a temp folder, the real llama-server and the tiny model in it. */
export interface TinyModelFixture {
  readonly dir: string;
  readonly binary: string;
  readonly model: string;
}

/** Registers before/after hooks on the current suite (or file) that set up and remove a TinyModelFixture. */
export function withTinyModel(prefix: string): TinyModelFixture {
  const dir = tempDir(prefix);
  const fixture = { dir: dir.path, binary: '', model: '' };
  before(async () => {
    fixture.binary = (await realServer()).path;
    fixture.model = await tinyModel(dir.path);
  });
  after(() => dir.dispose());
  return fixture;
}

export async function tinyModel(dir: string, preset: TinyPreset = 'tiny-dense', type: FixtureType = 'Q8_0'): Promise<string> {
  const path = join(dir, `${preset}-${type}.gguf`);
  await writeModel(path, preset, { type, seed: 1 });
  return path;
}

/** A real launcher that remembers every process it started, so tests can prove none is left. */
export class RecordingLauncher implements ProcessLauncher {
  readonly started: ManagedProcess[] = [];
  private readonly real = new NodeProcessLauncher();

  async launch(command: string, args: readonly string[], options: LaunchOptions): Promise<ManagedProcess> {
    const proc = await this.real.launch(command, args, options);
    this.started.push(proc);
    return proc;
  }
}

export function supervisorFor(
  binary: string,
  launcher: ProcessLauncher = new RecordingLauncher(),
  lines?: string[],
  deps: Partial<SupervisorDeps> = {},
): Supervisor {
  return new Supervisor({
    launcher,
    resolveBinary: async () => ({ path: binary }),
    checkModel: checkModelFile,
    onServerLine: lines ? (l) => lines.push(l) : undefined,
    stopGraceMs: 3_000,
    ...deps,
  });
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
