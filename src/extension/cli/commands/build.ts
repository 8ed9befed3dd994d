import { headroomCacheDir } from '../../common/cacheDir';
import { resolveServer } from '../../llama/locateServer';
import { EXIT, type ExitCode } from '../exitCodes';
import type { CliOptions } from '../options';
import { CliProgress } from '../progress';
import { echoServerLines, say } from '../say';

/** `headroom build [--backend B]`: locate llama-server, or build it from the bundled llama.cpp source. */
export async function runBuild(options: CliOptions): Promise<ExitCode> {
  const progress = new CliProgress();
  const started = Date.now();
  const located = await resolveServer({
    configuredPath: options.llamaServer,
    cacheRoot: headroomCacheDir(),
    sourceFrom: __dirname,
    backend: options.backend,
    onProgress: (p, m) => progress.update(p, m),
    onLine: echoServerLines(),
  }).finally(() => progress.done());
  say(`llama-server: ${located.path} (${located.source}, version ${located.version}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return EXIT.ok;
}
