import { stat } from 'node:fs/promises';
import { HeadroomError } from '../common/errors';
import { readGgufHeader } from '../memory/ggufHeader';
import type { BuildBackend } from './buildBackend';
import { resolveServer, type LocatedServer } from './locateServer';
import { NodeProcessLauncher, type ProcessLauncher } from './processLauncher';
import { Supervisor, type SupervisorDeps } from './supervisor';

export interface SupervisorSetup {
  cacheRoot: string;
  /** Folder from which node-llama-cpp's llama.cpp source is looked up. */
  sourceFrom: string;
  llamaServerPath?: () => string | undefined;
  backend?: BuildBackend;
  launcher?: ProcessLauncher;
  onServerLine?(line: string): void;
  onBuildLine?(line: string): void;
  onLocated?(server: LocatedServer): void;
  stopGraceMs?: number;
  adjustAfterCrash?: SupervisorDeps['adjustAfterCrash'];
  oomKillCount?: SupervisorDeps['oomKillCount'];
}

/** Rejects with a precise message when `path` is missing or not a valid GGUF model. */
export async function checkModelFile(path: string): Promise<void> {
  try {
    await stat(path);
  } catch (err) {
    throw new HeadroomError(`The model file ${path} does not exist.`, 'Check headroom.modelPath, or pick one with "Headroom: Select Model...".', { cause: err });
  }
  await readGgufHeader(path);
}

/** The one way the CLI, the extension and the tests wire a Supervisor to real parts. */
export function createSupervisor(setup: SupervisorSetup): Supervisor {
  return new Supervisor({
    launcher: setup.launcher ?? new NodeProcessLauncher(),
    checkModel: checkModelFile,
    onServerLine: setup.onServerLine,
    stopGraceMs: setup.stopGraceMs,
    adjustAfterCrash: setup.adjustAfterCrash,
    oomKillCount: setup.oomKillCount,
    async resolveBinary(onProgress) {
      const located = await resolveServer({
        configuredPath: setup.llamaServerPath?.(),
        cacheRoot: setup.cacheRoot,
        sourceFrom: setup.sourceFrom,
        backend: setup.backend,
        onProgress,
        onLine: setup.onBuildLine,
      });
      setup.onLocated?.(located);
      return { path: located.path, fitParams: located.fitParams };
    },
  });
}
