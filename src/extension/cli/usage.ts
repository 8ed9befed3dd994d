export const USAGE = `Usage: headroom <command> [options]

Commands:
  demo   [--model PATH] [--prompt TEXT]   start a model, stream one reply, stop (a generated demo model when no --model)
  chat   [--model PATH]                   chat in the terminal
  serve  [--model PATH] [--port N]        run the model until Ctrl+C and print its URL and key
  plan   MODEL [--ctx N] [--vram MiB[,MiB...]] [--json]  the memory plan: exact (llama.cpp dry run) or, with --vram, an estimate for simulated GPUs
  build  [--backend cpu|cuda|vulkan|metal] locate llama-server, or build it from the bundled llama.cpp source;
         with --backend, build for that backend (Ctrl+C cancels)
  models [--all] [--json] [--folder DIR]  list GGUF models on this machine (HF cache, LM Studio, llama.cpp, Ollama, folders)
  pull   hf:owner/repo[:QUANT|/FILE] | URL [--dir DIR]  download a model (resumable, checked); a bare repo lists its quants
  tune   MODEL [--budget SECONDS] [--goal generation|prompt] [--json]  measure llama.cpp's defaults and settings around
         the plan with llama-bench; the fastest is remembered and used at the next start (Ctrl+C cancels)

Common options: --ctx N (context size; default: up to 8192, fitted to memory), --ngl N, --cache-type f16|q8_0|q4_0,
  --margin MiB (kept free per GPU), --llama-server PATH, --max-tokens N,
  --stall-timeout S (restart a server silent this long; default 60, 0 = never)`;
