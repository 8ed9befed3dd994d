/** The supervisor's state, as every view sees it. */

export interface ReadyInfo {
  baseUrl: string;
  /** Model file name as shown to the user. */
  model: string;
  pid: number;
  contextSize: number;
  args: readonly string[];
}

export type ServerState =
  | { kind: 'stopped' }
  | { kind: 'locating' }
  /** Measuring the memory plan with llama.cpp's dry run. */
  | { kind: 'planning' }
  | { kind: 'building'; percent: number; message: string }
  | { kind: 'starting' }
  | { kind: 'loading'; percent: number | null }
  | ({ kind: 'ready' } & ReadyInfo)
  | { kind: 'crashed'; code: number | null; signal: string | null; /** Why, in plain words. */ reason: string; stderrTail: string[]; retryInMs: number }
  | { kind: 'failed'; error: string };

export type ServerStateKind = ServerState['kind'];
