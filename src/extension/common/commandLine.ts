/**
 * A command line a person can paste into a terminal: POSIX shell quoting on Linux and macOS, PowerShell's
 * (VS Code's default terminal on Windows) on Windows, where single quotes keep C:\ paths whole.
 */
export type ShellFlavour = 'posix' | 'powershell';

export function shellFor(platform: NodeJS.Platform): ShellFlavour {
  return platform === 'win32' ? 'powershell' : 'posix';
}

/** Left bare by sh: nothing in these is special to it. */
const POSIX_BARE = /^[\w@%+=:,./-]+$/;

/**
 * Left bare by PowerShell: flags, whole numbers and plain words. Anything else is quoted, since a bare
 * `1,1` is an array, `1e3` a number, and `$`, `@`, `(`, `;`, `#` and backticks all mean something.
 */
const POWERSHELL_BARE = /^(?:-{1,2}[A-Za-z][\w-]*|\d+|[A-Za-z][\w-]*)$/;

/** `arg` as one word of `shell`. */
export function quoteArg(arg: string, shell: ShellFlavour): string {
  if (shell === 'posix') return POSIX_BARE.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
  // PowerShell reads the typographic single quotes as quotes too; inside '...' each is escaped by doubling.
  return POWERSHELL_BARE.test(arg) ? arg : `'${arg.replace(/['\u2018\u2019\u201a\u201b]/g, '$&$&')}'`;
}

/**
 * `argv` with `env` set for it. The values in `env` are placeholders the reader fills in ("<key>"), shown as
 * they are: `NAME=<key> program args` for sh, `$env:NAME='<key>'; & program args` for PowerShell.
 */
export function formatCommandLine(env: Readonly<Record<string, string>>, argv: readonly string[], platform: NodeJS.Platform = process.platform): string {
  const shell = shellFor(platform);
  const words = argv.map((a) => quoteArg(a, shell));
  const vars = Object.entries(env);
  if (shell === 'posix') return [...vars.map(([name, value]) => `${name}=${value}`), ...words].join(' ');
  const sets = vars.map(([name, value]) => `$env:${name}=${quoteArg(value, 'powershell')}; `).join('');
  return `${sets}& ${words.join(' ')}`;
}
