/**
 * The one place that decides how the chat view's controls are drawn; the view only calls these factories,
 * so adopting a component library means editing this file alone.
 *
 * Decision (issue 12): plain <button>, <select> and <textarea>, themed by media/chat.css with VS Code's CSS
 * variables, icons from @vscode/codicons (its font and stylesheet, copied next to the bundle by esbuild.mjs).
 * No @vscode/webview-ui-toolkit (archived) and no @vscode-elements/elements. Tried 2.5.1 under this view's CSP
 * in Chromium (a <vscode-textarea> and a <vscode-button>):
 *  - size: those two components alone bundle to 42 KB minified (12.9 KB gzip); with select, icon and
 *    progress ring 95 KB (24.3 KB gzip), against 0 KB for the native elements;
 *  - CSP: fine (Lit adopts constructed stylesheets, no inline <style>), and focus and Tab order work;
 *  - but the textarea hides its real <textarea> in a shadow root: Playwright's fill() on the element fails
 *    ("not an <input>, <textarea>..."), the IME-aware Enter handling and Up-arrow recall would have to reach
 *    through it, and the host's aria-label did not reach the inner control (the accessibility tree showed an
 *    unnamed "textbox"). Native elements give all of that for free, so they serve this view better.
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

export interface IconButtonOptions {
  /** A codicon name: 'copy' draws `codicon-copy`. */
  icon: string;
  /** The tooltip, and the accessible name of an icon-only button (a button with text is named by its text). */
  label: string;
  testId: string;
  onClick(): void;
  id?: string;
  /** Text shown next to the icon (the icon alone when absent). */
  text?: string;
}

/** A borderless toolbar button with a codicon, named for screen readers by its label (also its tooltip). */
export function createIconButton(options: IconButtonOptions): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = options.text === undefined ? 'icon-button' : 'icon-button icon-button-text';
  button.dataset.testid = options.testId;
  if (options.id) button.id = options.id;
  button.append(createIcon(options.icon));
  if (options.text !== undefined) {
    const text = document.createElement('span');
    text.textContent = options.text;
    button.append(text);
    button.title = options.label;
  } else {
    setIconButtonLabel(button, options.label);
  }
  button.addEventListener('click', () => options.onClick());
  return button;
}

export function setIconButtonLabel(button: HTMLButtonElement, label: string): void {
  button.setAttribute('aria-label', label);
  button.title = label;
}

export function setIconButtonIcon(button: HTMLButtonElement, icon: string): void {
  button.querySelector('.codicon')?.replaceWith(createIcon(icon));
}

/** A decorative codicon (hidden from screen readers: the control around it carries the name). */
export function createIcon(icon: string): HTMLElement {
  const span = document.createElement('span');
  span.className = `codicon codicon-${icon}`;
  span.setAttribute('aria-hidden', 'true');
  return span;
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

export interface SelectOption {
  value: string;
  label: string;
  title?: string;
}

/** A native <select> (keyboard, screen readers and the OS picker for free), named by `label`. */
export function createSelect(options: { testId: string; id: string; label: string; onChange(value: string): void }): HTMLSelectElement {
  const select = document.createElement('select');
  select.id = options.id;
  select.className = 'select';
  select.dataset.testid = options.testId;
  select.setAttribute('aria-label', options.label);
  select.title = options.label;
  select.addEventListener('change', () => options.onChange(select.value));
  return select;
}

export function setSelectOptions(select: HTMLSelectElement, options: readonly SelectOption[], value: string): void {
  select.replaceChildren(
    ...options.map((o) => {
      const option = document.createElement('option');
      option.value = o.value;
      option.textContent = o.label;
      if (o.title) option.title = o.title;
      return option;
    }),
  );
  select.value = value;
}
