/**
 * A GGUF file that llama.cpp would refuse (or that can't be a whole model file).
 * `field` names the part of the format that is wrong (e.g. "magic", "tensor.data", "kv.key");
 * `offset` is the byte offset in the file where the bad field starts.
 */
export class GgufFormatError extends Error {
  override readonly name = 'GgufFormatError';

  constructor(
    readonly field: string,
    readonly offset: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
