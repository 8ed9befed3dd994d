import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dequantizeQ4_0,
  dequantizeQ8_0,
  encodeF16,
  fp16ToFp32,
  fp32ToFp16,
  quantizeQ4_0,
  quantizeQ8_0,
} from '../../src/extension/gguf/writer/quantize';
import { Random } from '../../src/extension/gguf/writer/random';
import { itemAt } from '../fixtures/itemAt';

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

test('fp32 -> fp16 rounds to nearest even like ggml', () => {
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.1, 0x2e66],
    [31 / 127, 0x33d0],
    [65504, 0x7bff],
    [65520, 0x7c00], // halfway to the next step rounds up to infinity
    [Infinity, 0x7c00],
    [6e-8, 0x0001], // subnormal
    [1e-8, 0x0000],
    [1 + 2 ** -11, 0x3c00], // tie goes to the even mantissa
    [1 + 3 * 2 ** -11, 0x3c02],
    [NaN, 0x7e00],
  ];
  for (const [input, bits] of cases) assert.equal(fp32ToFp16(input), bits, `fp16(${input})`);
  assert.equal(fp16ToFp32(0x3c00), 1);
  assert.equal(fp16ToFp32(0x0001), 2 ** -24);
  assert.equal(hex(encodeF16(new Float32Array([1, -2]))), '003c00c0');
});

test('Q8_0: d = amax/127 as fp16, values rounded half away from zero', () => {
  const x = new Float32Array(32);
  x.set([-127, 1.5, -1.5, 2.5, -2.5, 0.49, 100, -0.5]);
  const block = quantizeQ8_0(x);
  assert.equal(block.length, 34);
  // d = 1.0 -> 0x3c00; qs: -127, 2, -2, 3, -3, 0, 100, -1, then zeros
  const expected = '003c' + '81' + '02' + 'fe' + '03' + 'fd' + '00' + '64' + 'ff' + '00'.repeat(24);
  assert.equal(hex(block), expected);
});

test('Q8_0: a ramp 0..31', () => {
  const block = Buffer.from(quantizeQ8_0(Float32Array.from({ length: 32 }, (_, i) => i)));
  // d = 31/127 = 0.2441 -> fp16 0x33d0; id = 4.0968, so q[j] = round(4.0968 j)
  assert.equal(block.readUInt16LE(0), 0x33d0);
  const qs = Array.from(block.subarray(2), (b) => (b << 24) >> 24);
  assert.deepEqual(qs.slice(0, 9), [0, 4, 8, 12, 16, 20, 25, 29, 33]);
  assert.equal(qs[31], 127);
});

test('Q8_0: an all-zero block has d = 0', () => {
  assert.equal(hex(quantizeQ8_0(new Float32Array(32))), '00'.repeat(34));
});

test('Q4_0: d = max/-8 keeps the sign of the largest magnitude; nibbles pack j and j+16', () => {
  const x = new Float32Array(32);
  // largest magnitude is -8 -> d = 1, id = 1, q = min(15, trunc(x + 8.5))
  x.set([-8, 0, 7, 7.6, -0.6, 0.5, 0.49, -3], 0);
  x.set([1, -1, 2, 6.9], 16);
  const block = Buffer.from(quantizeQ4_0(x));
  assert.equal(block.readUInt16LE(0), 0x3c00);
  const low = [0, 8, 15, 15, 7, 9, 8, 5, 8, 8, 8, 8, 8, 8, 8, 8];
  const high = [9, 7, 10, 15, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8];
  assert.deepEqual(Array.from(block.subarray(2)), low.map((l, j) => l | (itemAt(high, j) << 4)));
});

test('Q4_0: a positive maximum gives a negative scale', () => {
  const x = new Float32Array(32);
  x.set([4, -4, 0, 1, -1]);
  const block = Buffer.from(quantizeQ4_0(x));
  // d = 4 / -8 = -0.5 -> fp16 0xb800; id = -2: 4 -> 0, -4 -> 15 (16 clamped), 0 -> 8, 1 -> 6, -1 -> 10
  assert.equal(block.readUInt16LE(0), 0xb800);
  assert.deepEqual(Array.from(block.subarray(2, 7)), [0x80, 0x8f, 0x88, 0x86, 0x8a]);
});

test('quantized random data round-trips within the format error', () => {
  const x = new Random(7).floats(32 * 64, 1);
  const q8 = dequantizeQ8_0(quantizeQ8_0(x));
  const q4 = dequantizeQ4_0(quantizeQ4_0(x));
  for (const [i, v] of x.entries()) {
    assert.ok(Math.abs(itemAt(q8, i) - v) <= 1 / 127 / 2 + 1e-3, `q8 ${i}`);
    assert.ok(Math.abs(itemAt(q4, i) - v) <= 1 / 8 + 1e-2, `q4 ${i}`);
  }
});

test('quantizers reject partial blocks', () => {
  assert.throws(() => quantizeQ8_0(new Float32Array(31)), RangeError);
  assert.throws(() => quantizeQ4_0(new Float32Array(33)), RangeError);
});
