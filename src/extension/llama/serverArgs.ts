import { HeadroomError } from '../common/errors';
import { ALLOWED_FLAG_GROUPS, REFUSAL_ADVICE, type AllowedServerFlag } from './allowedServerFlags';

const ALLOW_LIST_HINT = 'Remove it from your settings; the flags allowed there are listed under "Allowed server arguments" in the README.';

export interface ServerArgsInput {
  modelPath: string;
  port: number;
  /** 0 lets llama.cpp choose (the model's trained context, fitted to memory). */
  contextSize: number;
  /** Arguments chosen by the memory planner (-ngl, cache types, threads...). */
  planArgs?: readonly string[];
  /** The user's own extra arguments, already checked with checkExtraArgs. */
  extraArgs?: readonly string[];
}

const ALLOWED: ReadonlyMap<string, AllowedServerFlag> = new Map(
  ALLOWED_FLAG_GROUPS.flatMap((g) => g.flags.flatMap((f) => f.names.map((n): [string, AllowedServerFlag] => [n, f]))),
);

/** llama-server reads `--top_k` as `--top-k`: in a long flag an underscore is a dash. */
function canonicalFlag(flag: string): string {
  return flag.startsWith('--') ? flag.replace(/_/g, '-') : flag;
}

function refused(flag: string, why: string): HeadroomError {
  return new HeadroomError(`headroom.extraServerArgs may not contain ${flag}: ${why}.`, ALLOW_LIST_HINT);
}

/**
 * Checks the user's extra arguments against the allow-list and returns them as llama-server reads
 * them: `--flag=value` becomes `--flag value` (llama-server has no `=` form), `--top_k` is `--top-k`.
 */
export function checkExtraArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!; // i < args.length
    const eq = arg.startsWith('-') ? arg.indexOf('=') : -1;
    const flag = canonicalFlag(eq > 0 ? arg.slice(0, eq) : arg);
    const allowed = ALLOWED.get(flag);
    if (!allowed) {
      const why = REFUSAL_ADVICE.get(flag) ?? (flag.startsWith('-') ? 'it is not one of the flags that only tune inference' : 'it is not a flag, and a value follows its flag');
      throw refused(flag, why);
    }
    if (!allowed.takesValue) {
      if (eq > 0) throw refused(arg, `${flag} takes no value`);
      out.push(flag);
      continue;
    }
    if (eq > 0) {
      out.push(flag, arg.slice(eq + 1));
      continue;
    }
    const value = args[++i];
    if (value === undefined) {
      throw new HeadroomError(`headroom.extraServerArgs ends with ${flag}, which needs a value.`, `Add its value after it, e.g. "${flag}", "<value>".`);
    }
    out.push(flag, value);
  }
  return out;
}

/**
 * Splits a settings string like `--temp 0.2 --alias "my model"` into argv (quotes group, no shell). Inside
 * double quotes a backslash escapes only a double quote, so Windows paths (`"C:\models\a b.gguf"`) stay whole.
 */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push(m[1] !== undefined ? m[1].replace(/\\"/g, '"') : (m[2] ?? m[3] ?? ''));
  }
  return out;
}

export function buildServerArgs(input: ServerArgsInput): string[] {
  const args = [
    '--model', input.modelPath,
    '--host', '127.0.0.1',
    '--port', String(input.port),
    '--ctx-size', String(input.contextSize),
    '--no-webui',
    ...(input.planArgs ?? []),
    ...(input.extraArgs ?? []),
  ];
  return args;
}
