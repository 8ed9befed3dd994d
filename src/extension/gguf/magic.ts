// Says what a file that isn't GGUF most likely is, from its first bytes: most "model" files that
// fail here are a saved error page, a Git LFS pointer, an archive, or an old GGML-era file.

const hints: readonly { readonly test: (text: string, bytes: Buffer) => boolean; readonly hint: string }[] = [
  { test: (s) => s.startsWith('version https://git-lfs'), hint: 'a Git LFS pointer, not the model (run `git lfs pull`, or download the file itself)' },
  { test: (s) => /^\s*</.test(s), hint: 'looks like an HTML/XML page (a login or error page saved instead of the model?)' },
  { test: (s) => /^\s*[{[]/.test(s), hint: 'looks like JSON (an error response saved instead of the model?)' },
  { test: (s) => ['lmgg', 'fmgg', 'tjgg', 'algg'].includes(s.slice(0, 4)), hint: 'a pre-GGUF GGML/GGJT model: convert it to GGUF' },
  { test: (s) => s.startsWith('PK\x03\x04'), hint: 'a zip archive: extract the .gguf from it' },
  { test: (_s, b) => b[0] === 0x1f && b[1] === 0x8b, hint: 'a gzip archive: decompress it first' },
  { test: (s) => s.startsWith('\x93NUMPY') || s.startsWith('\x80'), hint: 'a PyTorch/NumPy file, not GGUF: convert it with convert_hf_to_gguf.py' },
  { test: (_s, b) => b.length >= 8 && b.readBigUInt64LE(0) < 100_000_000n && b[8] === 0x7b, hint: 'a safetensors file, not GGUF: convert it with convert_hf_to_gguf.py' },
  { test: (_s, b) => b.length > 0 && b.every((x) => x === 0), hint: 'starts with zero bytes (an incomplete or preallocated download?)' },
];

export function describeMagic(first: Buffer, fileSize: number): string {
  if (fileSize === 0) return 'the file is empty';
  const four = first.subarray(0, 4);
  const shown = Array.from(four, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  const hex = Array.from(four, (b) => b.toString(16).padStart(2, '0')).join(' ');
  const base = fileSize < 4
    ? `the file has only ${fileSize} bytes`
    : `it starts with '${shown}' (${hex}) instead of 'GGUF'`;
  const text = first.toString('latin1');
  const hint = hints.find((h) => h.test(text, first))?.hint;
  return hint ? `${base}; ${hint}` : base;
}
