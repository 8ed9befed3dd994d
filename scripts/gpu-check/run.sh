#!/usr/bin/env bash
# GPU check for issue 3: build llama-server with CUDA from the bundled llama.cpp source, emulate
# 8/12/24 GB cards with a VRAM ballast, and measure Headroom's plans against llama.cpp's --fit.
# See scripts/gpu-check/README.md. Needs: git, cmake, a C++ compiler, nvcc, nvidia-smi, python3.
#
#   bash scripts/gpu-check/run.sh                 # on the GPU machine ($OUT receives the results)
#   GPU_CHECK_DRY=1 bash scripts/gpu-check/run.sh # here: CPU llama-server, no build, no ballast, one small case
#
# Environment:
#   OUT                   where results go (default $GPU_CHECK_WORK/out)
#   GPU_CHECK_WORK        scratch (default /tmp/headroom-gpu-check): source, build, stubs, logs
#   GPU_CHECK_BUDGET_S    whole-script time box in seconds (default 480); cases that would start later are skipped
#   GPU_CHECK_CASES       MODEL@CARD,... (default: all, most informative first; dry: llama3-8b-Q4_K_M@12288)
#   GPU_CHECK_CONFIGS     headroom,fit (add "bare" for llama.cpp with no arguments at all)
#   GPU_CHECK_N_PREDICT   tokens per measured completion (default 128; dry 8)
#   GPU_CHECK_LLAMA_SERVER  use this llama-server instead of building (dry default: Headroom's cached CPU build)
#   GPU_CHECK_BUNDLE      llama.cpp git bundle (default node_modules/node-llama-cpp/llama/gitRelease.bundle)
set -uo pipefail
T0=$(date +%s)
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# Scratch on a disk, not tmpfs: pages of a sparse stub read on tmpfs would take RAM (and tmpfs space).
if [ -z "${GPU_CHECK_WORK:-}" ] && [ "$(stat -f -c %T /tmp 2>/dev/null)" = "tmpfs" ]; then GPU_CHECK_WORK="$HOME/.cache/headroom-gpu-check"; fi
WORK="${GPU_CHECK_WORK:-/tmp/headroom-gpu-check}"
OUT="${OUT:-$WORK/out}"
BUDGET="${GPU_CHECK_BUDGET_S:-480}"
DRY="${GPU_CHECK_DRY:-0}"
JOBS="${GPU_CHECK_JOBS:-$(nproc)}"
BUNDLE="${GPU_CHECK_BUNDLE:-$ROOT/node_modules/node-llama-cpp/llama/gitRelease.bundle}"
mkdir -p "$WORK" "$OUT"
rm -rf "$WORK/logs"
say() { echo "[gpu-check $(date +%H:%M:%S) +$(( $(date +%s) - T0 ))s] $*"; }
elapsed() { echo $(( $(date +%s) - T0 )); }
# A failure before measuring still leaves results.json / results.md saying why.
fail_result() {
  local why="$1" log="${2:-}"
  say "$why"
  [ -n "$log" ] && [ -f "$log" ] && tail -60 "$log" >"$OUT/build-tail.log" && tail -25 "$log"
  printf '{"meta": {"error": "%s", "elapsedSeconds": %s, "buildProgress": "%s"}, "results": []}\n' "$why" "$(elapsed)" \
    "$( [ -n "$log" ] && [ -f "$log" ] && grep -o '^\[ *[0-9]*%\]' "$log" | tail -1)" >"$OUT/results.json"
  echo "GPU check: $why (after $(elapsed) s); see build-tail.log" | tee "$OUT/results.md"
  exit 1
}

# Leave nothing running: our own children only.
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done; }
trap cleanup EXIT

BUILD_SECONDS=""
BALLAST_ARGS=()
if [ "$DRY" = "1" ]; then
  SERVER="${GPU_CHECK_LLAMA_SERVER:-$(ls -d "$HOME"/.cache/headroom/llama.cpp/*-cpu/build/bin/llama-server 2>/dev/null | head -1)}"
  [ -x "$SERVER" ] || { say "dry run: no CPU llama-server (set GPU_CHECK_LLAMA_SERVER)"; exit 2; }
  CASES="${GPU_CHECK_CASES:-llama3-8b-Q4_K_M@12288}"
  N_PREDICT="${GPU_CHECK_N_PREDICT:-8}"
  PROMPT_REPEATS="${GPU_CHECK_PROMPT_REPEATS:-2}"
  say "dry run: $SERVER, cases $CASES"
else
  CASES="${GPU_CHECK_CASES:-}"
  N_PREDICT="${GPU_CHECK_N_PREDICT:-128}"
  PROMPT_REPEATS="${GPU_CHECK_PROMPT_REPEATS:-12}"
  nvidia-smi --query-gpu=name,memory.total,memory.used,memory.free,driver_version --format=csv 2>&1 | tee "$OUT/device.txt"
  command -v nvcc >/dev/null || for d in /usr/local/cuda/bin /usr/local/cuda-*/bin; do [ -x "$d/nvcc" ] && export PATH="$d:$PATH" && break; done
  command -v nvcc >/dev/null || fail_result "no nvcc on PATH or in /usr/local/cuda*/bin"
  export CUDACXX="${CUDACXX:-$(command -v nvcc)}"
  nvcc --version | tail -1 | tee -a "$OUT/device.txt"

  # Ballast: compiled while llama.cpp builds.
  ( nvcc -O2 -o "$WORK/ballast" "$HERE/ballast.cu" >"$WORK/ballast-build.log" 2>&1 ) &
  BALLAST_BUILD=$!
  PIDS+=("$BALLAST_BUILD")

  if [ -n "${GPU_CHECK_LLAMA_SERVER:-}" ]; then
    SERVER="$GPU_CHECK_LLAMA_SERVER"
  else
    SRC="$WORK/llama.cpp"
    BUILD="$WORK/build-cuda"
    if [ ! -f "$SRC/CMakeLists.txt" ]; then
      [ -f "$BUNDLE" ] || fail_result "no llama.cpp bundle at $BUNDLE: the run must carry node_modules/node-llama-cpp/llama/gitRelease.bundle"
      say "cloning llama.cpp from $BUNDLE"
      rm -rf "$SRC" && git -c advice.detachedHead=false clone --quiet "$BUNDLE" "$SRC" || fail_result "git clone of the llama.cpp bundle failed"
    fi
    say "llama.cpp $(git -C "$SRC" rev-parse --short HEAD): configuring (CUDA, sm_90)"
    B0=$(date +%s)
    cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
      -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DBUILD_SHARED_LIBS=OFF \
      -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
      -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DGGML_CCACHE=OFF >"$WORK/build.log" 2>&1 \
      || fail_result "cmake configure failed" "$WORK/build.log"
    say "building llama-server, llama-fit-params (-j$JOBS)"
    # The build may use the whole time box but no more: a timed-out build still leaves results.
    BUILD_LIMIT=$(( BUDGET - $(elapsed) - 15 ))
    timeout "$BUILD_LIMIT" cmake --build "$BUILD" --config Release -j "$JOBS" --target llama-server llama-fit-params >>"$WORK/build.log" 2>&1
    BRC=$?
    if [ $BRC -ne 0 ]; then
      WHY="build failed (exit $BRC)"; [ $BRC -eq 124 ] && WHY="build still running after ${BUILD_LIMIT}s (time box)"
      fail_result "$WHY" "$WORK/build.log"
    fi
    BUILD_SECONDS=$(( $(date +%s) - B0 ))
    SERVER="$BUILD/bin/llama-server"
    say "built in ${BUILD_SECONDS}s"
    tail -3 "$WORK/build.log"
  fi
  wait "$BALLAST_BUILD" || fail_result "ballast build failed (nvcc)" "$WORK/ballast-build.log"
  BALLAST_ARGS=(--ballast "$WORK/ballast")
fi

LEFT=$(( BUDGET - $(elapsed) ))
say "measuring, $LEFT s left in the time box"
EXTRA=()
[ "$DRY" = "1" ] && EXTRA+=(--dry)
[ -n "$BUILD_SECONDS" ] && EXTRA+=(--build-seconds "$BUILD_SECONDS")
python3 "$HERE/bench.py" --server "$SERVER" "${BALLAST_ARGS[@]}" --work "$WORK" --out "$OUT" \
  --deadline "$LEFT" --cases "$CASES" --configs "${GPU_CHECK_CONFIGS:-headroom,fit}" \
  --n-predict "$N_PREDICT" --prompt-repeats "$PROMPT_REPEATS" "${EXTRA[@]}" &
PIDS+=($!)
wait $!
RC=$?
# All server logs in one file (the run tool returns at most 8 files).
tar -czf "$OUT/logs.tar.gz" -C "$WORK" logs 2>/dev/null
[ -f "$WORK/build.log" ] && tail -20 "$WORK/build.log" >"$OUT/build-tail.log"
rm -rf "$WORK/models"
say "done (bench exit $RC); results in $OUT: $(ls "$OUT" | tr '\n' ' ')"
exit $RC
