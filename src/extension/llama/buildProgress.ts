/**
 * How far a `cmake --build` has got, read from its output lines. Each generator says it its own way:
 * Makefiles print "[ 42%]", Ninja "[123/456]", and MSBuild (Visual Studio's default) no total at all,
 * only a "name.vcxproj -> output" line as each project finishes.
 */

/** The percentage a Makefile ("[ 42%] Building ...") or Ninja ("[123/456] Building ...") line states. */
export function parseBuildPercent(line: string): number | undefined {
  const make = /^\[\s*(\d{1,3})%\]/.exec(line);
  if (make) return Number(make[1]);
  const ninja = /^\[(\d+)\/(\d+)\]/.exec(line);
  if (ninja) {
    const total = Number(ninja[2]);
    return total > 0 ? Math.min(100, (Number(ninja[1]) * 100) / total) : undefined;
  }
  return undefined;
}

/** The project a finished MSBuild project line names ("  ggml-base.vcxproj -> C:\...\ggml-base.lib"), if it is one. */
export function finishedMsbuildProject(line: string): string | undefined {
  return /^\s*(?:\d+>)?\s*([^\s\\/]+)\.vcxproj -> /.exec(line)?.[1];
}

/**
 * About how many projects MSBuild builds for Headroom's targets: ggml-base, ggml-cpu, ggml, ggml-rpc, a GPU
 * backend, llama, common, build_info, cpp-httplib, mtmd, and the four programs. An estimate: it only
 * shapes the bar, which stops short of the end until the build does end.
 */
const MSBUILD_PROJECTS = 14;
const MSBUILD_MOST = 95;

/** Reads a build's lines in order; each call returns the percentage the line shows, or undefined. */
export function buildProgressReader(): (line: string) => number | undefined {
  const finished = new Set<string>();
  return (line) => {
    const stated = parseBuildPercent(line);
    if (stated !== undefined) return stated;
    const project = finishedMsbuildProject(line);
    if (project === undefined) return undefined;
    finished.add(project);
    return Math.min(MSBUILD_MOST, (finished.size * 100) / MSBUILD_PROJECTS);
  };
}
