/** Splits a text stream into lines, keeping a partial last line until it completes. */
export class LineSplitter {
  private rest = '';

  push(text: string, emit: (line: string) => void): void {
    const parts = (this.rest + text).split('\n');
    this.rest = parts.pop() ?? '';
    for (const part of parts) emit(part.endsWith('\r') ? part.slice(0, -1) : part);
  }

  end(emit: (line: string) => void): void {
    if (this.rest) emit(this.rest);
    this.rest = '';
  }
}
