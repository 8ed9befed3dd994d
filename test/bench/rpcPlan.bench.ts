// RPC plan benchmark: the plan across llama.cpp RPC workers (llama.cpp's fit within each worker's budget, then its dry
// run) against what llama-server printed when it really loaded the same arguments: per device, the weights, KV cache and
// compute buffers, the same quantities on both sides (the dry run's memory breakdown; the load's "buffer size" lines).
import { join } from 'node:path';
import { parseRpcWorkers } from '../../src/extension/endpoints/rpcWorkers';
import { writeSparseModel } from '../../src/extension/gguf/writer/models';
import { SMALL_SHAPES, type SmallPreset } from '../../src/extension/gguf/writer/shapes';
import type { SparseQuant } from '../../src/extension/gguf/writer/layout';
import { findFreePort } from '../../src/extension/llama/ports';
import { startRpcWorker } from '../../src/extension/llama/rpcWorker';
import { SystemHardwareProbe } from '../../src/extension/memory/hardware';
import type { MemoryParts } from '../../src/extension/memory/planTypes';
import { ModelRunner } from '../../src/extension/runner/modelRunner';
import { RecordingLauncher, realServer, tempDir } from '../integration/realServer';
import { runBench } from './benchmarksFile';

interface Case {
  model: SmallPreset;
  quant: SparseQuant;
  ctx: number;
  /** MiB per worker; undefined: the worker's free memory less the margin. */
  budgets: [number | undefined, number | undefined];
}

const CASES: readonly Case[] = [
  { model: 'small-llama', quant: 'Q8_0', ctx: 4096, budgets: [undefined, undefined] },
  { model: 'small-llama', quant: 'Q8_0', ctx: 4096, budgets: [400, 250] },
  { model: 'small-qwen2', quant: 'Q4_K_M', ctx: 8192, budgets: [300, 300] },
  { model: 'small-gemma3', quant: 'Q8_0', ctx: 4096, budgets: [500, 200] },
];

const BUFFER = /\s(\S+) (model|KV|compute) buffer size =\s+([\d.]+) MiB/;

/** Per device (a worker's host:port, or 'host'), the MiB llama-server's load lines gave each kind of buffer. */
export function loadedBuffers(lines: readonly string[]): Map<string, MemoryParts> {
  const out = new Map<string, MemoryParts>();
  for (const line of lines) {
    const m = BUFFER.exec(line);
    if (!m) continue;
    const device = /\[(.+)\]$/.exec(m[1]!)?.[1] ?? (m[1]!.startsWith('CPU') ? 'host' : m[1]!);
    const parts = out.get(device) ?? { modelMiB: 0, contextMiB: 0, computeMiB: 0 };
    const key = m[2] === 'model' ? 'modelMiB' : m[2] === 'KV' ? 'contextMiB' : 'computeMiB';
    parts[key] += Number(m[3]);
    out.set(device, parts);
  }
  return out;
}

const cell = (planned: number, loaded: number | undefined): string => (loaded === undefined ? `${planned} / -` : `${planned} / ${loaded.toFixed(1)}`);

async function main(): Promise<string> {
  const located = await realServer();
  if (!located.rpcServer) throw new Error(`no ggml-rpc-server beside ${located.path}`);
  const dir = tempDir('bench-rpc');
  const launcher = new RecordingLauncher();
  const rows: string[] = [];
  let worst = 0;
  try {
    const workers = [];
    for (let i = 0; i < 2; i++) workers.push(await startRpcWorker(located.rpcServer, { host: '127.0.0.1', port: await findFreePort() }, launcher));
    for (const c of CASES) {
      const model = join(dir.path, `${c.model}-${c.quant}.gguf`);
      await writeSparseModel(model, SMALL_SHAPES[c.model], { quant: c.quant });
      const spec = workers.map((w, i) => (c.budgets[i] === undefined ? w.address : `${w.address}=${c.budgets[i]}`));
      const lines: string[] = [];
      const runner = new ModelRunner({ cacheRoot: dir.path, sourceFrom: __dirname, llamaServerPath: () => located.path, onServerLine: (l) => lines.push(l), stopGraceMs: 5_000 }, new SystemHardwareProbe());
      try {
        // -lv 4: llama-server then prints every buffer it allocates, per device.
        await runner.start({ modelPath: model, wishes: { contextSize: c.ctx }, port: 0, extraArgs: ['-lv', '4'], rpcWorkers: parseRpcWorkers(spec) });
        const report = runner.plan;
        if (!report) throw new Error('no plan');
        const loaded = loadedBuffers(lines);
        const devices = [...report.plan.devices.map((d) => ({ label: `${d.name} ${d.worker ?? ''}`.trim(), key: d.worker ?? d.name, parts: d, budget: d.worker ? d.freeMiB - (d.marginMiB ?? 0) : undefined })), { label: 'host (CPU)', key: 'host', parts: report.plan.host, budget: undefined }];
        for (const d of devices) {
          const l = loaded.get(d.key);
          const planned = d.parts.modelMiB + d.parts.contextMiB + d.parts.computeMiB;
          const real = l ? l.modelMiB + l.contextMiB + l.computeMiB : 0;
          worst = Math.max(worst, Math.abs(planned - real));
          rows.push(
            `| ${c.model} ${c.quant} ctx ${c.ctx} | ${c.budgets.map((b) => b ?? '-').join(', ')} | ${d.label.replace(/127\.0\.0\.1:\d+/, 'worker')} | ${d.budget ?? '-'} | ${cell(d.parts.modelMiB, l?.modelMiB)} | ${cell(d.parts.contextMiB, l?.contextMiB)} | ${cell(d.parts.computeMiB, l?.computeMiB)} | ${(planned - real).toFixed(1)} |`,
          );
        }
        rows.push(`| | | layers on workers: ${report.plan.gpuLayers.onGpu}/${report.plan.gpuLayers.total}${report.plan.tensorSplit ? `, -ts ${report.plan.tensorSplit.join(',')}` : ''} | | | | | |`);
      } finally {
        await runner.stop();
        runner.dispose();
      }
    }
  } finally {
    for (const p of launcher.started) p.kill('SIGKILL');
    await Promise.all(launcher.started.map((p) => p.exited));
    dir.dispose();
  }
  return [
    '## RPC plan against the real load',
    '',
    `\`npm run bench -- rpcPlan\` (test/bench/rpcPlan.bench.ts): two \`ggml-rpc-server\` workers on 127.0.0.1 (CPU build, llama-server ${located.version}); sparse real-shaped models (all-zero weights, which load like any others). Headroom plans across the workers (llama.cpp's fit with each worker's budget as its \`--fit-target\` margin, then llama.cpp's dry run of the fitted arguments), starts llama-server with that plan and \`-lv 4\`, and compares each device's MiB with the "model/KV/compute buffer size" lines llama-server printed for it while loading. Cells: plan / load. Budget "-": the worker's free memory less the 1024 MiB margin. The host row counts every CPU buffer (CPU_Mapped, CPU, CPU_REPACK); llama-server's small output buffer is in neither column.`,
    '',
    '| model | worker budgets MiB | device | budget MiB | weights MiB | KV cache MiB | compute MiB | plan - load MiB |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Largest difference between the plan and the load on any device: ${worst.toFixed(1)} MiB. Both sides are llama.cpp's own numbers (its dry run, its load), which Headroom passes through unchanged: a difference is the dry run's, for the same arguments.`,
  ].join('\n');
}

runBench('rpc-plan', main);
