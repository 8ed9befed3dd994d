/**
 * The one place that decides how the chat view's controls are drawn; the view only calls these factories,
 * so adopting a component library (@vscode-elements/elements, or @vscode/webview-ui-toolkit again) means
 * editing this file alone.
 *
 * Decision: plain <button> and <textarea>, themed by media/chat.css with VS Code's CSS variables, and no
 * @vscode/webview-ui-toolkit. Its <vscode-button> does render under our CSP (FAST uses adopted stylesheets),
 * but the package is archived, ESM-only (this tsconfig's node16/CommonJS typing reaches it only through a
 * dynamic import, so components would upgrade late), costs ~77 KB minified for one button, and its
 * shadow-DOM controls have no native `disabled` and hide the real <textarea> from Playwright's fill() and
 * IME-aware key handling. Native elements give all of that for free.
 */

export type ButtonAppearance = 'primary' | 'secondary';

export interface ButtonOptions {
  label: string;
  testId: string;
  onClick(): void;
  appearance?: ButtonAppearance;
  title?: string;
  id?: string;
}

export function createButton(options: ButtonOptions): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = options.label;
  button.className = `button button-${options.appearance ?? 'primary'}`;
  button.dataset.testid = options.testId;
  if (options.id) button.id = options.id;
  if (options.title) button.title = options.title;
  button.addEventListener('click', () => options.onClick());
  return button;
}

export function setButtonEnabled(button: HTMLButtonElement, enabled: boolean): void {
  button.disabled = !enabled;
}

export interface TextAreaOptions {
  testId: string;
  id: string;
  label: string;
  placeholder: string;
  maxLength: number;
  rows?: number;
}

export function createTextArea(options: TextAreaOptions): HTMLTextAreaElement {
  const area = document.createElement('textarea');
  area.id = options.id;
  area.dataset.testid = options.testId;
  area.className = 'text-area';
  area.setAttribute('aria-label', options.label);
  area.placeholder = options.placeholder;
  area.maxLength = options.maxLength;
  area.rows = options.rows ?? 3;
  return area;
}
