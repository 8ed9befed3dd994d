import { stat } from 'node:fs/promises';
import { HeadroomError } from '../common/errors';
import { readGgufHeader, type GgufHeader } from '../gguf/header';
import type { BuildBackend } from './buildBackend';
import { resolveServer, type LocatedServer } from './locateServer';
import { NodeProcessLauncher, type ProcessLauncher } from './processLauncher';
import type { ServerSharing } from './shared/serverSharing';
import { Supervisor, type SupervisorDeps } from './supervisor';

export interface SupervisorSetup {
  cacheRoot: string;
  /** Folder from which node-llama-cpp's llama.cpp source is looked up. */
  sourceFrom: string;
  llamaServerPath?: () => string | undefined;
  backend?: BuildBackend;
  launcher?: ProcessLauncher;
  onServerLine?: (line: string) => void;
  onBuildLine?: (line: string) => void;
  onLocated?: (server: LocatedServer) => void;
  stopGraceMs?: number;
  oomKillCount?: SupervisorDeps['oomKillCount'];
  stallTimeoutMs?: SupervisorDeps['stallTimeoutMs'];
  /** One server per model and settings for every window (the extension); without it servers are private (the CLI). */
  sharing?: ServerSharing;
}

/** The model's validated header; rejects with a precise message when `path` is missing or not a valid GGUF model. */
export async function readModelHeader(path: string): Promise<GgufHeader> {
  try {
    await stat(path);
  } catch (err) {
    throw new HeadroomError(
      `The model file ${path} does not exist.`,
      'Check the path (headroom.modelPath or "Headroom: Select Model..." in VS Code, --model in the CLI).',
      { cause: err },
    );
  }
  return readGgufHeader(path);
}

/** Rejects with a precise message when `path` is missing or not a valid GGUF model. */
export async function checkModelFile(path: string): Promise<void> {
  await readModelHeader(path);
}

/** The one way the CLI, the extension and the tests wire a Supervisor to real parts. */
export function createSupervisor(setup: SupervisorSetup): Supervisor {
  return new Supervisor({
    launcher: setup.launcher ?? new NodeProcessLauncher(),
    checkModel: checkModelFile,
    onServerLine: setup.onServerLine,
    stopGraceMs: setup.stopGraceMs,
    oomKillCount: setup.oomKillCount,
    stallTimeoutMs: setup.stallTimeoutMs,
    sharing: setup.sharing,
    async resolveBinary(onProgress, signal) {
      const located = await resolveServer({
        configuredPath: setup.llamaServerPath?.(),
        cacheRoot: setup.cacheRoot,
        sourceFrom: setup.sourceFrom,
        backend: setup.backend,
        onProgress,
        onLine: setup.onBuildLine,
        signal,
      });
      setup.onLocated?.(located);
      return { path: located.path, fitParams: located.fitParams, bench: located.bench, version: located.version };
    },
  });
}
