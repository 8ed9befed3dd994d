import { headroomCacheDir } from '../../common/cacheDir';
import { MissingPrerequisitesError } from '../../llama/backendPrerequisites';
import { BuildCancelledError } from '../../llama/llamaBuild';
import { buildServer, resolveServer, type ResolveOptions } from '../../llama/locateServer';
import { EXIT, type ExitCode } from '../exitCodes';
import type { CliOptions } from '../options';
import { CliProgress } from '../progress';
import { echoServerLines, say } from '../say';

/**
 * `headroom build`: locate llama-server, or build it from the bundled llama.cpp source for the backend this
 * machine can build. `--backend B` builds for B (or finds that cached build), refusing at once what the
 * machine lacks for it. Ctrl+C cancels the build.
 */
export async function runBuild(options: CliOptions): Promise<ExitCode> {
  const progress = new CliProgress();
  const started = Date.now();
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  const resolve: ResolveOptions = {
    configuredPath: options.llamaServer,
    cacheRoot: headroomCacheDir(),
    sourceFrom: __dirname,
    backend: options.backend,
    onProgress: (p, m) => progress.update(p, m),
    onLine: echoServerLines(),
    onChoice: (choice) => say(`Building for ${choice.backend}: ${choice.reason}`),
    signal: abort.signal,
  };
  try {
    const located = options.backend && !options.llamaServer ? await buildServer(resolve) : await resolveServer(resolve);
    progress.done();
    say(`llama-server: ${located.path} (${located.source}, version ${located.version}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return EXIT.ok;
  } catch (err) {
    progress.done();
    if (err instanceof BuildCancelledError) {
      say(`headroom build: ${err.message}`);
      return EXIT.interrupted;
    }
    if (err instanceof MissingPrerequisitesError) {
      say(`headroom build: ${err.message}\nThe CPU build works meanwhile: headroom build --backend cpu`);
      return EXIT.failed;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
