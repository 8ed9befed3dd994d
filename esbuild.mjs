// Bundles the extension host, the CLI and the webviews. Type checking is `tsc`'s job, not this one's.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
};

/** @type {esbuild.BuildOptions[]} */
const builds = [
  {
    ...common,
    entryPoints: { extension: 'src/extension/main.ts', cli: 'src/extension/cli/main.ts', reaper: 'src/extension/llama/shared/reaperMain.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // node-llama-cpp is ESM-only and ships native code: never bundled, loaded with import() where needed.
    external: ['vscode', 'node-llama-cpp'],
  },
  {
    ...common,
    entryPoints: { chat: 'src/webview/chat/main.ts', plan: 'src/webview/plan/main.ts' },
    outdir: 'dist/webview',
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
  },
];

// The chat view's icons: @vscode/codicons' stylesheet and font, next to the bundle (a webview resource root,
// so the CSP's style-src and font-src stay cspSource). The stylesheet finds the font by a relative URL.
mkdirSync('dist/webview', { recursive: true });
for (const file of ['codicon.css', 'codicon.ttf']) copyFileSync(`node_modules/@vscode/codicons/dist/${file}`, `dist/webview/${file}`);

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
