// Bit-exact ports of ggml's reference encoders (ggml-impl.h ggml_compute_fp32_to_fp16,
// ggml-quants.c quantize_row_q8_0_ref / quantize_row_q4_0_ref). Every float step is rounded to
// float32 with Math.fround, as the C code computes in float.
import { GgmlType } from '../ggmlTypes';

const word = new DataView(new ArrayBuffer(4));

function bitsOf(f: number): number {
  word.setFloat32(0, f);
  return word.getUint32(0);
}

function fromBits(bits: number): number {
  word.setUint32(0, bits >>> 0);
  return word.getFloat32(0);
}

const fr = Math.fround;

/** float32 -> IEEE half bits, round to nearest even, as ggml does it without F16C. */
export function fp32ToFp16(value: number): number {
  const f = fr(value);
  const scaleToInf = fromBits(0x77800000);
  const scaleToZero = fromBits(0x08800000);
  let base = fr(fr(Math.abs(f) * scaleToInf) * scaleToZero);
  const w = bitsOf(f);
  const shl1w = (w * 2) >>> 0;
  const sign = (w & 0x80000000) >>> 0;
  let bias = (shl1w & 0xff000000) >>> 0;
  if (bias < 0x71000000) bias = 0x71000000;
  base = fr(fromBits((bias >>> 1) + 0x07800000) + base);
  const bits = bitsOf(base);
  const expBits = (bits >>> 13) & 0x7c00;
  const mantissaBits = bits & 0x0fff;
  const nonsign = expBits + mantissaBits;
  return ((sign >>> 16) | (shl1w > 0xff000000 ? 0x7e00 : nonsign)) & 0xffff;
}

export function fp16ToFp32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** C roundf: halves away from zero (Math.round sends -2.5 to -2). */
function roundf(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

export const QK8_0 = 32;
export const QK4_0 = 32;

function checkBlocks(values: Float32Array, qk: number, name: string): void {
  if (values.length % qk !== 0) throw new RangeError(`${name} needs a multiple of ${qk} values, got ${values.length}`);
}

/** Blocks of { d: fp16, qs: int8[32] } = 34 bytes. */
export function quantizeQ8_0(values: Float32Array): Uint8Array {
  checkBlocks(values, QK8_0, 'Q8_0');
  const blocks = values.length / QK8_0;
  const out = Buffer.alloc(blocks * 34);
  for (let i = 0; i < blocks; i++) {
    const x = values.subarray(i * QK8_0, (i + 1) * QK8_0);
    let amax = 0;
    for (const v of x) amax = Math.max(amax, Math.abs(v));
    const d = fr(amax / 127);
    const id = d ? fr(1 / d) : 0;
    const at = i * 34;
    out.writeUInt16LE(fp32ToFp16(d), at);
    x.forEach((v, j) => out.writeInt8(roundf(fr(v * id)), at + 2 + j));
  }
  return out;
}

/** Blocks of { d: fp16, qs: uint8[16] } = 18 bytes; element j in the low nibble of qs[j], j+16 in the high one. */
export function quantizeQ4_0(values: Float32Array): Uint8Array {
  checkBlocks(values, QK4_0, 'Q4_0');
  const blocks = values.length / QK4_0;
  const out = Buffer.alloc(blocks * 18);
  for (let i = 0; i < blocks; i++) {
    const x = values.subarray(i * QK4_0, (i + 1) * QK4_0);
    let amax = 0;
    let max = 0;
    for (const v of x) {
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = fr(max / -8);
    const id = d ? fr(1 / d) : 0;
    const at = i * 18;
    out.writeUInt16LE(fp32ToFp16(d), at);
    for (let j = 0; j < QK4_0 / 2; j++) {
      // x holds QK4_0 values (checkBlocks), so both indexes are in range.
      const x0 = fr(x[j]! * id);
      const x1 = fr(x[j + QK4_0 / 2]! * id);
      const q0 = Math.min(15, Math.trunc(fr(x0 + 8.5)));
      const q1 = Math.min(15, Math.trunc(fr(x1 + 8.5)));
      out[at + 2 + j] = q0 | (q1 << 4);
    }
  }
  return out;
}

export function dequantizeQ8_0(bytes: Uint8Array): Float32Array {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array((buf.length / 34) * QK8_0);
  for (let i = 0; i < buf.length / 34; i++) {
    const d = fp16ToFp32(buf.readUInt16LE(i * 34));
    for (let j = 0; j < QK8_0; j++) out[i * QK8_0 + j] = buf.readInt8(i * 34 + 2 + j) * d;
  }
  return out;
}

export function dequantizeQ4_0(bytes: Uint8Array): Float32Array {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array((buf.length / 18) * QK4_0);
  for (let i = 0; i < buf.length / 18; i++) {
    const d = fp16ToFp32(buf.readUInt16LE(i * 18));
    for (let j = 0; j < QK4_0 / 2; j++) {
      const q = buf.readUInt8(i * 18 + 2 + j);
      out[i * QK4_0 + j] = ((q & 0x0f) - 8) * d;
      out[i * QK4_0 + j + QK4_0 / 2] = ((q >> 4) - 8) * d;
    }
  }
  return out;
}

export function encodeF32(values: Float32Array): Uint8Array {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => out.writeFloatLE(v, i * 4));
  return out;
}

export function encodeF16(values: Float32Array): Uint8Array {
  const out = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => out.writeUInt16LE(fp32ToFp16(v), i * 2));
  return out;
}

/** The types test models are written in. */
export type FixtureType = 'F32' | 'F16' | 'Q8_0' | 'Q4_0';

export const FIXTURE_TYPE_IDS: Readonly<Record<FixtureType, number>> = {
  F32: GgmlType.F32,
  F16: GgmlType.F16,
  Q8_0: GgmlType.Q8_0,
  Q4_0: GgmlType.Q4_0,
};

export function encodeTensor(type: FixtureType, values: Float32Array): Uint8Array {
  switch (type) {
    case 'F32': return encodeF32(values);
    case 'F16': return encodeF16(values);
    case 'Q8_0': return quantizeQ8_0(values);
    case 'Q4_0': return quantizeQ4_0(values);
  }
}
