export interface ElementOptions {
  className?: string;
  testId?: string;
  id?: string;
  /** Always set as textContent: nothing here ever parses HTML. */
  text?: string;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, options: ElementOptions = {}): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.testId) node.dataset.testid = options.testId;
  if (options.id) node.id = options.id;
  if (options.text !== undefined) node.textContent = options.text;
  return node;
}
