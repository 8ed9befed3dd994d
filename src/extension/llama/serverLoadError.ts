import { HeadroomError } from '../common/errors';
import type { Failure } from './logClassifier';

/**
 * llama-server exited before it was ready; `failure` says why in a form the recovery ladder reads. When the
 * classifier found no known cause, llama.cpp's own last error lines are the hint, so the user sees them.
 */
export class ServerLoadError extends HeadroomError {
  constructor(
    message: string,
    readonly failure: Failure,
    readonly stderrTail: string[],
  ) {
    super(message, failure.kind === 'unknown' ? lastErrorLines(stderrTail) : undefined, { cause: new Error(stderrTail.join('\n')) });
    this.name = 'ServerLoadError';
  }
}

/** llama.cpp's last error lines ("0.00.004.588 E llama_model_load: ..."), timestamps off; else its last lines. */
function lastErrorLines(tail: readonly string[], count = 3): string {
  const strip = (line: string): string => line.replace(/^\d+\.\d+\.\d+\.\d+ [A-Z] /, '').trim();
  const errors = tail.filter((line) => /^\d+\.\d+\.\d+\.\d+ E /.test(line));
  const chosen = (errors.length > 0 ? errors : tail.filter((line) => line.trim() !== '')).slice(-count).map(strip);
  return chosen.length > 0 ? `llama-server said: ${chosen.join(' | ')}` : 'llama-server printed nothing; see "Headroom: Show Server Log".';
}
