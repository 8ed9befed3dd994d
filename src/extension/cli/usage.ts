export const USAGE = `Usage: headroom <command> [options]

Commands:
  demo   [--model PATH] [--prompt TEXT]   start a model, stream one reply, stop (a generated demo model when no --model)
  chat   [--model PATH]                   chat in the terminal
  serve  [--model PATH] [--port N]        run the model until Ctrl+C and print its URL and key
         [--completion-model PATH]  also run a second, smaller model for code completion, started first (one slot,
         4096 tokens); the chat plan keeps its memory free
  plan   MODEL [--ctx N] [--vram MiB[,MiB...]] [--json]  the memory plan: exact (llama.cpp dry run) or, with --vram, an estimate for simulated GPUs
         [--completion-model PATH]  plan a second, smaller model for code completion beside MODEL (estimate; it is planned first)
  build  [--backend cpu|cuda|vulkan|metal] locate llama-server, or build it from the bundled llama.cpp source;
         with --backend, build for that backend (Ctrl+C cancels)
  models [--all] [--json] [--folder DIR]  list GGUF models on this machine (HF cache, LM Studio, llama.cpp, Ollama, folders)
  pull   hf:owner/repo[:QUANT|/FILE] | URL [--dir DIR]  download a model (resumable, checked); a bare repo lists its quants
  worker [--port N] [--host H] [--backend cpu|vulkan]  run a llama.cpp RPC worker until Ctrl+C (127.0.0.1:50052 by default;
         another --host is reachable from the network, with no authentication: trusted networks only)
  chat   --endpoint URL [--api-key-env VAR] [--model NAME]  chat with a server that runs already (Ollama, LM Studio,
         llama-server, any OpenAI-compatible URL); the key is read from the variable VAR, never from the command line
  endpoints [--json] [--endpoint URL [--api-key-env VAR]]  servers listening at the usual places on this machine
         (Ollama 11434, LM Studio 1234, llama-server 8080) and their models; with --endpoint, that server too
  tune   MODEL [--budget SECONDS] [--goal generation|prompt] [--json]  measure llama.cpp's defaults and settings around
         the plan with llama-bench; the fastest is remembered and used at the next start (Ctrl+C cancels)

Common options: --ctx N (context size; default: up to 8192, fitted to memory), --ngl N, --cache-type f16|q8_0|q4_0,
  --margin MiB (kept free per GPU), --llama-server PATH, --max-tokens N,
  --stall-timeout S (restart a server silent this long; default 60, 0 = never),
  --rpc host:port[=MiB],... (plan, serve, chat: spread the model over RPC workers, each within its budget in MiB)`;
