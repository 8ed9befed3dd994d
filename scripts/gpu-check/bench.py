#!/usr/bin/env python3
"""GPU check, measuring part (standard library only; run.sh builds and then calls this).

For each (model, emulated card) case: recreate the sparse stub (header + truncate), hold back VRAM
with the ballast so the GPU looks like a card of that size, then start llama-server
  (a) headroom: with Headroom's plan args (computed by prepare.mjs, carried as JSON), and
  (b) fit:      with llama.cpp's defaults (no -ngl: its own --fit), same --ctx-size,
wait for /health, run a warm-up and one measured completion (n_predict tokens, ignore_eos), and
record tokens/s, VRAM, out-of-memory failures and llama.cpp's own memory breakdown.
Writes results.json and results.md to --out and prints the table.
"""
import argparse
import gzip
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
OOM_PATTERNS = [
    r"out of memory", r"failed to allocate", r"cudaMalloc failed", r"unable to allocate",
    r"failed to fit params", r"CUDA error", r"failed to mmap", r"GGML_ASSERT", r"failed to load model",
    r"failed to create context",
]
OOM_RE = re.compile("|".join(OOM_PATTERNS), re.IGNORECASE)
MEMORY_RE = re.compile(r"out of memory|failed to allocate|cudaMalloc failed|unable to allocate|failed to fit params", re.IGNORECASE)
# common_memory_breakdown_print / llama_memory_breakdown_print rows (same shapes as src/extension/llama/dryRun.ts).
GPU_ROW = re.compile(r"\|\s+-\s+(\S+)\s+\((.*)\)\s+\|\s+(\d+)\s+=\s+(\d+)\s+\+\s+\(\s*(\d+)\s+=\s+(\d+)\s+\+\s+(\d+)\s+\+\s+(\d+)\s*\)\s+\+\s+(-?\d+)\s+\|")
OTHER_ROW = re.compile(r"\|\s+-\s+(\S+)\s+\|\s+(\d+)\s+=\s+(\d+)\s+\+\s+(\d+)\s+\+\s+(\d+)\s+\|")
OFFLOADED_RE = re.compile(r"offloaded (\d+)/(\d+) layers to GPU")
NCTX_RE = re.compile(r"llama_context: n_ctx\s*=\s*(\d+)")
PROMPT_WORDS = (
    "The quick brown fox jumps over the lazy dog while the memory planner decides how many layers "
    "fit on the graphics card and how much of the key value cache stays in system memory. "
)


def now():
    return time.monotonic()


def log(msg):
    print(f"[gpu-check {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def physical_cores():
    try:
        pairs = set()
        with open("/proc/cpuinfo") as f:
            for block in f.read().split("\n\n"):
                phys = re.search(r"^physical id\s*:\s*(\d+)", block, re.M)
                core = re.search(r"^core id\s*:\s*(\d+)", block, re.M)
                if phys and core:
                    pairs.add((phys.group(1), core.group(1)))
        if pairs:
            return len(pairs)
    except OSError:
        pass
    return os.cpu_count() or 1


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def have_nvidia_smi():
    try:
        subprocess.run(["nvidia-smi", "-L"], capture_output=True, timeout=20, check=True)
        return True
    except (OSError, subprocess.SubprocessError):
        return False


def gpu_memory():
    """(used MiB, free MiB, total MiB) of GPU 0, or None."""
    try:
        r = subprocess.run(["nvidia-smi", "--query-gpu=memory.used,memory.free,memory.total", "--format=csv,noheader,nounits", "-i", "0"],
                           capture_output=True, text=True, timeout=10)
        used, free, total = [int(float(x)) for x in r.stdout.strip().split("\n")[0].split(",")]
        return used, free, total
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def app_memory(pid):
    """MiB that nvidia-smi reports for this pid (None when the pid is not listed, e.g. another pid namespace)."""
    try:
        r = subprocess.run(["nvidia-smi", "--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"],
                           capture_output=True, text=True, timeout=10)
        for line in r.stdout.strip().split("\n"):
            parts = [p.strip() for p in line.split(",")]
            if len(parts) == 2 and parts[0] == str(pid):
                return int(float(parts[1]))
    except (OSError, subprocess.SubprocessError, ValueError):
        pass
    return None


def recreate_stub(model, cases_dir, models_dir):
    """Header bytes + truncate to the logical size: the tensor data is a hole that reads as zeros."""
    path = os.path.join(models_dir, model["id"] + ".gguf")
    if os.path.exists(path) and os.path.getsize(path) == model["fileSize"]:
        return path
    with gzip.open(os.path.join(cases_dir, model["header"]), "rb") as f:
        header = f.read()
    if len(header) != model["headerBytes"] or hashlib.sha256(header).hexdigest() != model["headerSha256"]:
        raise RuntimeError(f"{model['id']}: header.bin.gz does not match model.json (size or sha256)")
    with open(path, "wb") as f:
        f.write(header)
    subprocess.run(["truncate", "-s", str(model["fileSize"]), path], check=True)
    return path


class Ballast:
    def __init__(self, binary):
        self.binary = binary
        self.proc = None
        self.card = None
        self.info = None

    def hold(self, card_mib):
        if self.card == card_mib and self.proc and self.proc.poll() is None:
            return self.info
        self.release()
        self.proc = subprocess.Popen([self.binary, str(card_mib)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("ready"):
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            self.release()
            raise RuntimeError(f"ballast for {card_mib} MiB did not start: {line} {err}".strip())
        self.card = card_mib
        self.info = dict(kv.split("=") for kv in line.split()[1:])
        self.info = {k: int(v) for k, v in self.info.items()}
        time.sleep(0.5)
        return self.info

    def release(self):
        if self.proc:
            stop(self.proc, 10)
        self.proc = None
        self.card = None
        self.info = None


def stop(proc, grace):
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def http_json(url, body=None, timeout=60):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, json.loads(r.read().decode() or "null")


def parse_breakdown(text):
    devices, host, extras = [], None, []
    for line in text.split("\n"):
        if "memory_breakdown_print" not in line:
            continue
        if "memory breakdown [MiB]" in line:  # a new table (fit prints one at start, the server one at exit): keep the last
            devices, host, extras = [], None, []
            continue
        g = GPU_ROW.search(line)
        if g:
            devices.append({"name": g.group(1), "description": g.group(2), "totalMiB": int(g.group(3)), "freeMiB": int(g.group(4)),
                            "modelMiB": int(g.group(6)), "contextMiB": int(g.group(7)), "computeMiB": int(g.group(8))})
            continue
        o = OTHER_ROW.search(line)
        if o:
            row = {"name": o.group(1), "modelMiB": int(o.group(3)), "contextMiB": int(o.group(4)), "computeMiB": int(o.group(5))}
            if row["name"] == "Host":
                host = row
            else:
                extras.append(row)
    if not devices and not host:
        return None
    return {"devices": devices, "host": host, "hostExtras": extras}


def server_args(config, plan, threads):
    """Arguments after --model/--host/--port for one configuration."""
    if config == "headroom":
        args = list(plan["args"])
        # The plan's threads are the preparing machine's physical cores; Headroom picks this machine's.
        if "-t" in args:
            i = args.index("-t")
            args[i + 1] = str(threads)
        else:
            args += ["-t", str(threads)]
        return args
    if config == "fit":
        return ["--ctx-size", str(plan["contextSize"])]
    if config == "bare":
        return []
    raise ValueError(config)


def run_one(ctx, model, model_path, card, config, plan, deadline):
    rec = {"model": model["id"], "cardMiB": card, "config": config, "status": "error"}
    args = server_args(config, plan, ctx.threads)
    port = free_port()
    # -lv 4: llama.cpp logs the offload, n_ctx, fit decisions and its memory breakdown at exit.
    cmd = [ctx.server, "--model", model_path, "--host", "127.0.0.1", "--port", str(port), "--no-webui", "-lv", "4"] + args
    rec["args"] = args
    log_path = os.path.join(ctx.logs_dir, f"{model['id']}-{card}-{config}.log")
    rec["log"] = "logs/" + os.path.basename(log_path)  # inside logs.tar.gz
    before = gpu_memory() if ctx.nvidia else None
    if before:
        rec["gpuUsedBeforeMiB"], rec["gpuFreeBeforeMiB"] = before[0], before[1]
    started = now()
    logf = open(log_path, "w")
    logf.write("$ " + " ".join(cmd) + "\n")
    logf.flush()
    proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT)
    peak = {"used": 0, "app": 0}
    sampling = threading.Event()

    def sample():
        while not sampling.is_set():
            m = gpu_memory()
            if m:
                peak["used"] = max(peak["used"], m[0])
            a = app_memory(proc.pid)
            if a:
                peak["app"] = max(peak["app"], a)
            sampling.wait(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    if ctx.nvidia:
        sampler.start()
    base = f"http://127.0.0.1:{port}"
    try:
        # Load: /health answers 503 while loading, 200 when ready.
        load_limit = min(started + ctx.load_timeout, deadline)
        healthy = False
        while now() < load_limit:
            if proc.poll() is not None:
                break
            try:
                status, _ = http_json(base + "/health", timeout=5)
                if status == 200:
                    healthy = True
                    break
            except (urllib.error.URLError, ConnectionError, OSError, ValueError):
                pass
            time.sleep(0.25)
        rec["loadSeconds"] = round(now() - started, 2)
        if not healthy:
            if proc.poll() is not None:
                rec["status"] = "exited-at-load"
            else:
                rec["status"] = "cut-by-time-box" if now() >= deadline else "load-timeout"
            if proc.poll() is not None:
                rec["exitCode"] = proc.returncode
            return rec
        try:
            _, props = http_json(base + "/props", timeout=10)
            rec["nCtx"] = (props.get("default_generation_settings") or {}).get("n_ctx")
        except Exception:  # noqa: BLE001 - informational only
            pass
        prompt = PROMPT_WORDS * ctx.prompt_repeats
        body = {"prompt": prompt, "n_predict": 8, "ignore_eos": True, "cache_prompt": False, "temperature": 0}
        gen_limit = max(5, deadline - now())
        try:
            http_json(base + "/completion", body, timeout=min(ctx.gen_timeout, gen_limit))  # warm-up
            body["n_predict"] = ctx.n_predict
            t0 = now()
            _, res = http_json(base + "/completion", body, timeout=max(5, min(ctx.gen_timeout, deadline - now())))
            rec["completionSeconds"] = round(now() - t0, 2)
        except Exception as e:  # noqa: BLE001 - a crash mid-generation is a result
            if proc.poll() is not None:
                rec["status"] = "failed-generating"
            else:
                rec["status"] = "cut-by-time-box" if now() >= deadline - 1 else "generation-error"
            rec["error"] = f"{type(e).__name__}: {e}"[:300]
            if proc.poll() is not None:
                rec["exitCode"] = proc.returncode
            return rec
        t = res.get("timings") or {}
        rec.update({
            "status": "ok",
            "promptTokens": t.get("prompt_n"),
            "promptPerSecond": round(t["prompt_per_second"], 1) if t.get("prompt_per_second") else None,
            "predictedTokens": t.get("predicted_n"),
            "predictedPerSecond": round(t["predicted_per_second"], 2) if t.get("predicted_per_second") else None,
        })
        if ctx.nvidia:
            time.sleep(0.3)
        return rec
    finally:
        sampling.set()
        if ctx.nvidia:
            sampler.join(timeout=15)
        stop(proc, 15)
        logf.close()
        if ctx.nvidia:
            rec["vramPeakMiB"] = peak["app"] or None
            if before and peak["used"]:
                rec["vramPeakDeltaMiB"] = peak["used"] - before[0]
        with open(log_path, errors="replace") as f:
            text = f.read()
        m = OFFLOADED_RE.findall(text)
        if m:
            rec["gpuLayers"] = f"{m[-1][0]}/{m[-1][1]}"
        if "nCtx" not in rec or rec.get("nCtx") is None:
            n = NCTX_RE.findall(text)
            if n:
                rec["nCtx"] = int(n[-1])
        bd = parse_breakdown(text)
        if bd:
            rec["breakdown"] = bd
        fit_lines = [l.strip() for l in text.split("\n") if "common_params_fit" in l or "common_fit_params" in l or "llama_params_fit" in l]
        if fit_lines:
            rec["fitLog"] = fit_lines[-10:]
        errors = [l.strip() for l in text.split("\n") if OOM_RE.search(l)]
        if errors:
            rec["errorLines"] = errors[:8]
        rec["outOfMemory"] = any(MEMORY_RE.search(l) for l in errors) and rec["status"] != "ok"
        if rec["status"] != "ok":
            rec["logTail"] = text.strip().split("\n")[-15:]


def fmt(v, suffix=""):
    return "–" if v is None else f"{v}{suffix}"


def markdown(results, meta):
    lines = []
    lines.append(f"GPU check: {meta['device']}; llama.cpp {meta.get('llamaVersion') or '?'}; build {fmt(meta.get('buildSeconds'))} s; "
                 f"{meta['nPredict']} tokens generated per run; threads {meta['threads']}; total {meta['totalSeconds']} s.")
    if meta.get("dry"):
        lines.append("DRY RUN (GPU_CHECK_DRY=1): CPU llama-server, no ballast: the numbers only prove the script.")
    lines.append("")
    lines.append("| model | card | config | status | GPU layers | ctx | KV | load s | prompt t/s | gen t/s | VRAM peak MiB | plan GPU MiB (est.) | llama.cpp GPU MiB |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        if r["status"] == "skipped":
            lines.append(f"| {r['model']} | {r['cardMiB'] // 1024} GB | {r['config']} | skipped ({r.get('reason', '')}) | | | | | | | | | |")
            continue
        args = r.get("args", [])
        kv = "f16"
        if "-ctk" in args:
            kv = args[args.index("-ctk") + 1]
        elif "--cache-type-k" in args:
            kv = args[args.index("--cache-type-k") + 1]
        plan_gpu = r.get("planGpuMiB") if r["config"] == "headroom" else None
        bd = r.get("breakdown") or {}
        actual = None
        if bd.get("devices"):
            d = bd["devices"][0]
            actual = d["modelMiB"] + d["contextMiB"] + d["computeMiB"]
        status = r["status"] + (" (OOM)" if r.get("outOfMemory") else "")
        vram = r.get("vramPeakMiB") or r.get("vramPeakDeltaMiB")
        lines.append(f"| {r['model']} | {r['cardMiB'] // 1024} GB | {r['config']} | {status} | {fmt(r.get('gpuLayers'))} | {fmt(r.get('nCtx'))} | {kv} | "
                     f"{fmt(r.get('loadSeconds'))} | {fmt(r.get('promptPerSecond'))} | {fmt(r.get('predictedPerSecond'))} | {fmt(vram)} | "
                     f"{fmt(plan_gpu)} | {fmt(actual)} |")
    # Headroom vs llama.cpp's fit, per case where both ran.
    pairs = {}
    for r in results:
        pairs.setdefault((r["model"], r["cardMiB"]), {})[r["config"]] = r
    summary = []
    for (model, card), by in pairs.items():
        h, f = by.get("headroom"), by.get("fit")
        if not h or not f or "skipped" in (h["status"], f["status"]):
            continue
        if h["status"] == "ok" and f["status"] == "ok" and h.get("predictedPerSecond") and f.get("predictedPerSecond"):
            summary.append(f"- {model} on {card // 1024} GB: generation {h['predictedPerSecond'] / f['predictedPerSecond']:.2f}x of --fit "
                           f"({h['predictedPerSecond']} vs {f['predictedPerSecond']} t/s), prompt "
                           f"{(h.get('promptPerSecond') or 0) / (f.get('promptPerSecond') or 1):.2f}x.")
        else:
            summary.append(f"- {model} on {card // 1024} GB: headroom {h['status']}{' (OOM)' if h.get('outOfMemory') else ''}, "
                           f"fit {f['status']}{' (OOM)' if f.get('outOfMemory') else ''}.")
    for r in results:
        bd = (r.get("breakdown") or {}).get("devices")
        if r["config"] == "headroom" and bd and r.get("planGpu"):
            d, e = bd[0], r["planGpu"]
            parts = []
            for k, label in (("modelMiB", "model"), ("contextMiB", "context"), ("computeMiB", "compute")):
                err = (e[k] - d[k]) / d[k] * 100 if d[k] else 0.0
                parts.append(f"{label} {d[k]} / {round(e[k])} ({err:+.1f}%)")
            summary.append(f"- estimator vs llama.cpp on the GPU, {r['model']} on {r['cardMiB'] // 1024} GB (MiB, measured / estimate): {', '.join(parts)}.")
    if summary:
        lines.append("")
        lines.extend(summary)
    lines.append("")
    lines.append("config: headroom = Headroom's plan args (estimator, `headroom plan --vram`); fit = llama.cpp defaults (its --fit) with the same --ctx-size. "
                 "card = free VRAM left by the ballast. VRAM peak = nvidia-smi per process (or the rise of GPU used). "
                 "plan GPU MiB = estimator's model+context+compute for the GPU; llama.cpp GPU MiB = the same from llama-server's memory breakdown at exit.")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--ballast", help="ballast binary; omitted: no ballast (dry run)")
    ap.add_argument("--cases-dir", default=os.path.join(HERE, "cases"))
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--deadline", type=float, required=True, help="seconds from now after which no case starts and running ones stop")
    ap.add_argument("--cases", default="", help="comma list of MODEL@CARD (default: the built-in order)")
    ap.add_argument("--configs", default="headroom,fit")
    ap.add_argument("--n-predict", type=int, default=128)
    ap.add_argument("--prompt-repeats", type=int, default=12)
    ap.add_argument("--load-timeout", type=float, default=120)
    ap.add_argument("--gen-timeout", type=float, default=90)
    ap.add_argument("--min-case-seconds", type=float, default=40, help="do not start a case pair with less time left")
    ap.add_argument("--build-seconds", type=float)
    ap.add_argument("--dry", action="store_true")
    a = ap.parse_args()

    t_start = now()
    deadline = t_start + a.deadline
    with open(os.path.join(a.cases_dir, "index.json")) as f:
        index = json.load(f)
    models = {m["id"]: m for m in index["models"]}
    if a.cases:
        order = [c.split("@") for c in a.cases.split(",") if c]
        order = [(m, int(c)) for m, c in order]
    else:
        # Most informative first: partial offload and MoE on small cards, then the rest.
        order = [
            ("llama3-8b-Q8_0", 8192), ("qwen3-30b-a3b-Q4_K_M", 8192), ("mixtral-8x7b-Q4_K_M", 12288),
            ("llama3-8b-Q4_K_M", 8192), ("qwen3-30b-a3b-Q4_K_M", 12288), ("mixtral-8x7b-Q4_K_M", 24576),
            ("qwen3-30b-a3b-Q4_K_M", 24576), ("mixtral-8x7b-Q4_K_M", 8192), ("llama3-8b-Q8_0", 12288),
            ("llama3-8b-Q4_K_M", 12288), ("llama3-8b-Q8_0", 24576), ("llama3-8b-Q4_K_M", 24576),
            ("llama3-70b-Q4_K_M", 24576), ("llama3-70b-Q4_K_M", 12288), ("llama3-70b-Q4_K_M", 8192),
        ]
        order = [(m, c) for m, c in order if m in models]
    configs = [c for c in a.configs.split(",") if c]

    os.makedirs(a.out, exist_ok=True)
    models_dir = os.path.join(a.work, "models")
    os.makedirs(models_dir, exist_ok=True)

    class Ctx:
        pass
    ctx = Ctx()
    ctx.server = a.server
    ctx.out = a.out
    ctx.logs_dir = os.path.join(a.work, "logs")
    os.makedirs(ctx.logs_dir, exist_ok=True)
    ctx.threads = physical_cores()
    ctx.nvidia = have_nvidia_smi()
    ctx.n_predict = a.n_predict
    ctx.prompt_repeats = a.prompt_repeats
    ctx.load_timeout = a.load_timeout
    ctx.gen_timeout = a.gen_timeout

    version = None
    try:
        v = subprocess.run([a.server, "--version"], capture_output=True, text=True, timeout=30)
        version = (v.stdout + v.stderr).strip().split("\n")[-2:]
        version = " ".join(x.strip() for x in version)
    except (OSError, subprocess.SubprocessError):
        pass
    device = "CPU only (dry run)"
    if ctx.nvidia:
        r = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader", "-i", "0"], capture_output=True, text=True)
        device = r.stdout.strip()
    log(f"device: {device}; threads {ctx.threads}; llama-server: {version}; {len(order)} cases x {len(configs)} configs; "
        f"deadline in {a.deadline:.0f} s")

    ballast = Ballast(a.ballast) if a.ballast else None
    results = []
    meta = {"device": device, "llamaVersion": version, "buildSeconds": a.build_seconds, "nPredict": a.n_predict, "threads": ctx.threads,
            "dry": a.dry, "configs": configs, "preparedAt": index.get("preparedAt"), "headroomCommit": index.get("headroomCommit"),
            "planNote": index.get("note"), "preparedOn": index.get("preparedOn"), "ballast": {}}
    try:
        for model_id, card in order:
            if model_id not in models:
                raise SystemExit(f"unknown model {model_id}; have {', '.join(models)}")
            model = models[model_id]
            with open(os.path.join(a.cases_dir, model["plans"][str(card)])) as f:
                plan = json.load(f)
            left = deadline - now()
            if left < a.min_case_seconds:
                for config in configs:
                    results.append({"model": model_id, "cardMiB": card, "config": config, "status": "skipped", "reason": "time box"})
                log(f"skip {model_id} @ {card} MiB: {left:.0f} s left")
                continue
            path = recreate_stub(model, a.cases_dir, models_dir)
            if ballast:
                try:
                    info = ballast.hold(card)
                    meta["ballast"][str(card)] = info
                except RuntimeError as e:
                    log(str(e))
                    for config in configs:
                        results.append({"model": model_id, "cardMiB": card, "config": config, "status": "error", "error": str(e)})
                    continue
            for config in configs:
                if deadline - now() < 5:
                    results.append({"model": model_id, "cardMiB": card, "config": config, "status": "skipped", "reason": "time box"})
                    continue
                log(f"{model_id} @ {card} MiB, {config} ...")
                rec = run_one(ctx, model, path, card, config, plan, deadline)
                rec["planGpuLayers"] = f"{plan['gpuLayers']['onGpu']}/{plan['gpuLayers']['total']}"
                rec["planCpuMoeLayers"] = plan.get("cpuMoeLayers")
                rec["planContext"] = plan.get("contextSize")
                rec["planFits"] = plan.get("fits")
                if plan.get("devices"):
                    d = plan["devices"][0]
                    rec["planGpuMiB"] = round(d["modelMiB"] + d["contextMiB"] + d["computeMiB"])
                    rec["planGpu"] = {k: d[k] for k in ("modelMiB", "contextMiB", "computeMiB")}
                results.append(rec)
                log(f"  -> {rec['status']}{' OOM' if rec.get('outOfMemory') else ''}: layers {rec.get('gpuLayers')}, ctx {rec.get('nCtx')}, "
                    f"load {rec.get('loadSeconds')} s, prompt {rec.get('promptPerSecond')} t/s, gen {rec.get('predictedPerSecond')} t/s, "
                    f"VRAM {rec.get('vramPeakMiB') or rec.get('vramPeakDeltaMiB')} MiB")
            # Delete the stub after each case: its page cache (zero pages, or tmpfs pages) goes with it.
            try:
                os.remove(path)
            except OSError:
                pass
    finally:
        if ballast:
            ballast.release()
        meta["totalSeconds"] = round(now() - t_start, 1)
        skipped = sum(1 for r in results if r["status"] == "skipped")
        meta["skippedForTime"] = skipped
        with open(os.path.join(a.out, "results.json"), "w") as f:
            json.dump({"meta": meta, "results": results}, f, indent=2)
        md = markdown(results, meta)
        if skipped:
            md += f"\n{skipped} runs skipped: the time box ({a.deadline:.0f} s) ran out.\n"
        with open(os.path.join(a.out, "results.md"), "w") as f:
            f.write(md)
        print()
        print(md)


if __name__ == "__main__":
    main()
