// Where other tools keep GGUF files. Every path comes from `home` and `env`, so tests lay out a
// temporary home folder and nothing here looks at the real one.
import { join } from 'node:path';
import { expandHome } from '../common/expandHome';

export type ModelSourceKind = 'folder' | 'huggingface' | 'lmstudio' | 'llamacpp' | 'ollama';

export interface ModelLocation {
  readonly source: ModelSourceKind;
  readonly root: string;
}

export const SOURCE_LABELS: Readonly<Record<ModelSourceKind, string>> = {
  folder: 'Model folders',
  huggingface: 'Hugging Face cache',
  lmstudio: 'LM Studio',
  llamacpp: 'llama.cpp cache',
  ollama: 'Ollama',
};

export interface LocationOptions {
  readonly home: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly platform?: NodeJS.Platform;
  /** `headroom.modelFolders` (and the download folder), searched first. */
  readonly modelFolders?: readonly string[];
  /** Also look in system-wide folders (a Linux Ollama service keeps its models in /usr/share/ollama). Default true. */
  readonly systemFolders?: boolean;
}

function userCache(home: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string {
  if (platform === 'darwin') return join(home, 'Library', 'Caches');
  if (platform === 'win32') return env.LOCALAPPDATA ?? join(home, 'AppData', 'Local');
  return env.XDG_CACHE_HOME ?? join(home, '.cache');
}

export function modelLocations(options: LocationOptions): ModelLocation[] {
  const { home } = options;
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const out: ModelLocation[] = [];
  const add = (source: ModelSourceKind, root: string | undefined): void => {
    if (root && !out.some((l) => l.root === root)) out.push({ source, root });
  };
  for (const folder of options.modelFolders ?? []) if (folder.trim()) add('folder', expandHome(folder.trim(), home));
  // huggingface_hub: HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub (~/.cache on every OS).
  const hfHome = env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(home, '.cache'), 'huggingface');
  add('huggingface', env.HF_HUB_CACHE ?? join(hfHome, 'hub'));
  add('lmstudio', join(home, '.lmstudio', 'models'));
  add('lmstudio', join(home, '.cache', 'lm-studio', 'models'));
  // llama.cpp's -hf downloads: LLAMA_CACHE, else <user cache>/llama.cpp.
  add('llamacpp', env.LLAMA_CACHE ?? join(userCache(home, env, platform), 'llama.cpp'));
  add('ollama', env.OLLAMA_MODELS ?? join(home, '.ollama', 'models'));
  if ((options.systemFolders ?? true) && platform === 'linux' && !env.OLLAMA_MODELS) add('ollama', '/usr/share/ollama/.ollama/models');
  return out;
}
