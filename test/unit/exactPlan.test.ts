// The dry-run orchestration (runner/exactPlan.ts) on injected hardware, with a measurement that disagrees with the
// estimate the way real ones do: its refits, the reasons said again from what was measured, and the estimate kept
// beside the measurement in `plan --json`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exactPlan } from '../../src/extension/runner/exactPlan';
import { plan } from '../../src/extension/memory/plan';
import type { HardwareFacts } from '../../src/extension/memory/hardware';
import type { MemoryParts, Plan } from '../../src/extension/memory/planTypes';
import type { DryRunResult } from '../../src/extension/llama/dryRun';
import { planJson } from '../../src/extension/present/planJson';
import { renderPlanText } from '../../src/extension/present/planText';
import { sparseHeader } from '../../src/extension/gguf/writer/sparseHeader';
import { formatGiB } from '../../src/extension/memory/formatGiB';
import { itemAt } from '../fixtures/itemAt';

const GiB = 1024;
const total = (c: MemoryParts): number => c.modelMiB + c.contextMiB + c.computeMiB;

/** A 12 GB card with `freeMiB` free, and `ramAvailableMiB` of 32 GB RAM available. */
function machine(freeMiB: number, ramAvailableMiB: number): HardwareFacts {
  return {
    gpus: [{ index: 0, name: 'simulated 12 GB GPU', totalMiB: 12 * GiB, freeMiB, usedMiB: 12 * GiB - freeMiB }],
    ramTotalMiB: 32 * GiB,
    ramAvailableMiB,
    physicalCores: 8,
    logicalCores: 16,
  };
}

/** A dry run that measures each GPU's share times `gpuFactor` and RAM's plus `hostExtraMiB`; it records what it measured. */
function fakeDryRun(gpuFactor: number, hostExtraMiB: number, hw: HardwareFacts): { measure: (p: Plan) => Promise<DryRunResult>; measured: Plan[] } {
  const measured: Plan[] = [];
  const scale = (c: MemoryParts, f: number): MemoryParts => ({ modelMiB: Math.round(c.modelMiB * f), contextMiB: Math.round(c.contextMiB * f), computeMiB: Math.round(c.computeMiB * f) });
  return {
    measured,
    measure: (p) => {
      measured.push(p);
      return Promise.resolve({
        devices: p.devices.map((d, i) => ({ name: `CUDA${i}`, description: d.name, totalMiB: itemAt(hw.gpus, i).totalMiB, freeMiB: itemAt(hw.gpus, i).freeMiB, ...scale(d, gpuFactor) })),
        host: { ...scale(p.host, 1), modelMiB: Math.round(p.host.modelMiB + hostExtraMiB) },
        hostExtras: [],
        fit: undefined,
        fits: true,
        ms: 1,
      });
    },
  };
}

/** How much is on the GPU: layers, then fewer layers' experts in RAM. */
const share = (p: Plan): number => p.gpuLayers.onGpu * 1000 - p.cpuMoeLayers;

for (const [hostErrorMiB, outcome] of [[1536, 'fits once more is on the GPU'], [6144, 'still short: the plan advises']] as const) {
  test(`a RAM shortfall never lowers the GPU share across refits; the GPU room the measurement shows takes more layers (RAM ${outcome})`, async () => {
    const header = await sparseHeader('llama3-70b', 'Q4_K_M');
    // The KV cache type set, so that only layers move.
    const wishes = { contextSize: 8192, cacheTypeK: 'f16', cacheTypeV: 'f16' } as const;
    // A 12 GB card whose free memory leaves the estimate 30 MiB to spare on the GPU (less than one refit step of 64
    // MiB), and RAM that the estimate fits with 500 MiB to spare, short once the dry run measures more in RAM.
    const first = plan(header, machine(12 * GiB - 300, 64 * GiB), wishes);
    const spare = 12 * GiB - 300 - 1024 - total(itemAt(first.devices, 0));
    const hw = machine(12 * GiB - 300 - Math.floor(spare) + 30, 0);
    const estimate = plan(header, { ...hw, ramAvailableMiB: 64 * GiB }, wishes);
    assert.equal(estimate.gpuLayers.onGpu, first.gpuLayers.onGpu, 'the same layers on the GPU, 30 MiB to spare');
    hw.ramAvailableMiB = total(estimate.host) + 1024 + 500;
    assert.equal(plan(header, hw, wishes).fits, true, 'the estimate fits RAM');
    // The estimator over-counts this GPU by a tenth and under-counts RAM.
    const dry = fakeDryRun(0.9, hostErrorMiB, hw);
    const report = await exactPlan({ modelPath: '/models/Llama-3-70B-Q4_K_M.gguf', header, hardware: hw, wishes, measure: dry.measure });

    const shares = dry.measured.map(share);
    assert.ok(dry.measured.length >= 2, `refitted: ${dry.measured.length} dry runs`);
    shares.slice(1).forEach((s, i) => assert.ok(s >= itemAt(shares, i), `the GPU share never decreases: ${dry.measured.map((p) => p.gpuLayers.onGpu).join(' -> ')}`));
    const p = report.plan;
    assert.ok(p.gpuLayers.onGpu > estimate.gpuLayers.onGpu, `more layers on the GPU than the estimate put there: ${estimate.gpuLayers.onGpu} -> ${p.gpuLayers.onGpu}`);
    assert.equal(p.source, 'dry-run');
    assert.ok(total(itemAt(p.devices, 0)) <= itemAt(hw.gpus, 0).freeMiB - 1024, 'the measured GPU share within its budget');
    const ramShort = hostErrorMiB > 2048;
    assert.equal(total(p.host) > hw.ramAvailableMiB - 1024, ramShort);
    assert.equal(p.fits, !ramShort);
    const advice = p.warnings.filter((w) => /^RAM would fit .*(Q\d_K|IQ4_XS|context of \d+ tokens)/.test(w));
    assert.equal(advice.length, ramShort ? 1 : 0, p.warnings.join('\n'));
    assert.equal(p.warnings.some((w) => /^RAM is .* short: .*\(measured by the dry run\)\.$/.test(w)), ramShort, p.warnings.join('\n'));
    // The margin the reasons quote is the user's (1 GiB), not the one the search was given to use the GPU's room.
    assert.ok(p.reasons.some((r) => new RegExp(`^${p.gpuLayers.onGpu} of 81 layers on the GPU \\(\\d+\\.\\d GiB of weights\\): that is as many as fit with a 1\\.0 GiB margin`).test(r)), p.reasons.join('\n'));
    assert.equal(report.marginMiB, undefined);
  });
}

test('a GPU over its budget by the measurement still moves layers off it, until it fits', async () => {
  const header = await sparseHeader('llama3-70b', 'Q4_K_M');
  const hw = machine(12 * GiB - 300, 60 * GiB);
  const dry = fakeDryRun(1.08, 0, hw);
  const report = await exactPlan({ modelPath: '/m/70b.gguf', header, hardware: hw, wishes: {}, measure: dry.measure });
  const layers = dry.measured.map((p) => p.gpuLayers.onGpu);
  assert.ok(layers.length >= 2 && itemAt(layers, -1) < itemAt(layers, 0), layers.join(' -> '));
  assert.equal(report.plan.fits, true, report.plan.warnings.join('\n'));
  assert.ok(total(itemAt(report.plan.devices, 0)) <= itemAt(hw.gpus, 0).freeMiB - 1024);
});

test('reasons are said again from the measurement: layers counted on the GPU with no weights measured there', async () => {
  const header = await sparseHeader('llama3-8b', 'Q4_K_M');
  const hw = machine(12 * GiB - 300, 28 * GiB);
  const wishes = { gpuLayers: 1 };
  const estimate = plan(header, hw, wishes);
  assert.ok(estimate.reasons.includes('1 of 33 layers on the GPU, as set.'), estimate.reasons.join('\n'));
  assert.ok(itemAt(estimate.devices, 0).modelMiB > 0, 'the estimate puts the output layer on the GPU');
  // What llama.cpp measures when the output layer shares the token embeddings, which stay in RAM: nothing there.
  const measure = (p: Plan): Promise<DryRunResult> =>
    Promise.resolve({
      devices: [{ name: 'Vulkan0', description: 'simulated 12 GB GPU', totalMiB: 12 * GiB, freeMiB: 12 * GiB - 300, modelMiB: 0, contextMiB: 16, computeMiB: 240 }],
      host: { modelMiB: p.host.modelMiB + itemAt(p.devices, 0).modelMiB, contextMiB: 1008, computeMiB: 258 },
      hostExtras: [],
      fit: undefined,
      fits: true,
      ms: 1,
    });
  const report = await exactPlan({ modelPath: '/m/8b.gguf', header, hardware: hw, wishes, measure });
  const reasons = report.plan.reasons;
  assert.ok(!reasons.includes('1 of 33 layers on the GPU, as set.'), 'the estimate sentence is gone');
  const inRam = formatGiB(report.plan.host.modelMiB);
  assert.ok(reasons.includes(`1 of 33 layers on the GPU, yet the dry run measures under 1 MiB of weights there and ${inRam} in RAM.`), reasons.join('\n'));
  assert.ok(reasons.includes('KV cache f16 (1.0 GiB): a quantized cache would not put more on the GPU.'), 'the measured KV cache, 16 + 1008 MiB');
  assert.equal(itemAt(report.plan.devices, 0).modelMiB, 0, 'the table shows the measurement');
});

test('reasons and warnings from a measurement over budget: no "fits with ... to spare", the shortfall measured', async () => {
  const header = await sparseHeader('llama3-8b', 'Q4_K_M');
  const hw = machine(12 * GiB - 300, 28 * GiB);
  const estimate = plan(header, hw, { gpuLayers: 33 });
  assert.ok(estimate.fits);
  // -ngl set: no refit, so the measurement's verdict stands.
  const dry = fakeDryRun(2, 0, hw);
  const report = await exactPlan({ modelPath: '/m/8b.gguf', header, hardware: hw, wishes: { gpuLayers: 33 }, measure: dry.measure });
  assert.equal(dry.measured.length, 1);
  assert.equal(report.plan.fits, false);
  assert.ok(report.plan.warnings.some((w) => /^simulated 12 GB GPU is \d+\.\d GiB short: it needs .* free after the margin \(measured by the dry run\)\.$/.test(w)), report.plan.warnings.join('\n'));
  const noSetting = plan(header, hw, {}, { devices: [{ modelMiB: 9900, contextMiB: 1024, computeMiB: 700 }], host: { modelMiB: 300, contextMiB: 0, computeMiB: 20 } });
  assert.ok(noSetting.reasons.includes('33 of 33 layers on the GPU, 0.6 GiB more than its free memory less the 1.0 GiB margin, as the dry run measured it.'), noSetting.reasons.join('\n'));
  assert.ok(!noSetting.reasons.some((r) => /to spare/.test(r)));
  assert.equal(noSetting.fits, false);
});

test('plan --json: per device and for RAM, the estimate beside the measurement; the text prints both', async () => {
  const header = await sparseHeader('llama3-70b', 'Q4_K_M');
  const hw = machine(12 * GiB - 300, 60 * GiB);
  const dry = fakeDryRun(0.95, 100, hw);
  const report = await exactPlan({ modelPath: '/m/70b.gguf', header, hardware: hw, wishes: {}, measure: dry.measure });
  const estimated = itemAt(dry.measured, -1);
  const json = JSON.parse(JSON.stringify(planJson(report))) as {
    source: string;
    devices: (MemoryParts & { name: string; estimate: MemoryParts })[];
    host: MemoryParts & { estimate: MemoryParts };
  };
  assert.equal(json.source, 'dry-run');
  const d = itemAt(json.devices, 0);
  const e = itemAt(estimated.devices, 0);
  assert.deepEqual(d.estimate, { modelMiB: e.modelMiB, contextMiB: e.contextMiB, computeMiB: e.computeMiB });
  assert.equal(d.modelMiB, Math.round(e.modelMiB * 0.95), 'the measured number on top');
  assert.deepEqual(json.host.estimate, { modelMiB: estimated.host.modelMiB, contextMiB: estimated.host.contextMiB, computeMiB: estimated.host.computeMiB });
  assert.equal(json.host.modelMiB, Math.round(estimated.host.modelMiB + 100));
  const text = renderPlanText(report);
  assert.match(text, new RegExp(`^CUDA0 simulated 12 GB GPU\\s+${Math.round(e.modelMiB)}/${d.modelMiB}\\s+`, 'm'));
  assert.match(text, /^MiB, estimate\/dry run\s+weights\s+KV cache\s+compute$/m);
  // Without a dry run the estimate is the number itself.
  const plain = JSON.parse(JSON.stringify(planJson({ ...report, plan: estimated }))) as typeof json;
  assert.deepEqual(itemAt(plain.devices, 0).estimate, { modelMiB: e.modelMiB, contextMiB: e.contextMiB, computeMiB: e.computeMiB });
  assert.doesNotMatch(renderPlanText({ ...report, plan: estimated }), /estimate\/dry run/);
});
