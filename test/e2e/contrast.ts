// WCAG contrast of what a webview shows, measured in the real page: each element's text colour against the
// background it is drawn on (semi-transparent backgrounds composited up the tree, as the browser paints them).
import type { Frame } from 'playwright-core';
import { waitUntil, type Session } from './harness';

export interface ContrastSample {
  readonly selector: string;
  readonly text: string;
  readonly color: string;
  readonly background: string;
  readonly ratio: number;
}

/**
 * The first visible element with text (or a codicon, whose glyph is drawn in the element's colour) for each
 * selector; a selector that matches nothing is left out.
 */
export async function measureContrast(frame: Frame, selectors: readonly string[]): Promise<ContrastSample[]> {
  return frame.evaluate((wanted) => {
    type Rgba = [number, number, number, number];
    const parse = (css: string): Rgba => {
      const channels = /rgba?\(([^)]+)\)/.exec(css)?.[1];
      if (channels === undefined) return [0, 0, 0, 0];
      const [r = 0, g = 0, b = 0, a = 1] = channels.split(/[ ,/]+/).filter(Boolean).map(Number);
      return [r, g, b, Number.isNaN(a) ? 1 : a];
    };
    const over = (top: Rgba, under: Rgba): Rgba => {
      const a = top[3] + under[3] * (1 - top[3]);
      if (a === 0) return [0, 0, 0, 0];
      const mix = (i: 0 | 1 | 2): number => (top[i] * top[3] + under[i] * under[3] * (1 - top[3])) / a;
      return [mix(0), mix(1), mix(2), a];
    };
    const backgroundOf = (el: Element): Rgba => {
      const layers: Rgba[] = [];
      for (let e: Element | null = el; e; e = e.parentElement) layers.push(parse(getComputedStyle(e).backgroundColor));
      // What the iframe sits on: VS Code paints the view's background behind a transparent document.
      let painted: Rgba = parse(getComputedStyle(document.documentElement).getPropertyValue('--vscode-sideBar-background').trim() || 'rgb(255,255,255)');
      if (painted[3] === 0) painted = [255, 255, 255, 1];
      for (const layer of layers.reverse()) painted = over(layer, painted);
      return painted;
    };
    const luminance = ([r, g, b]: Rgba): number => {
      const channel = (v: number): number => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    const css = ([r, g, b]: Rgba): string => `rgb(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)})`;
    const out: { selector: string; text: string; color: string; background: string; ratio: number }[] = [];
    for (const selector of wanted) {
      const el = [...document.querySelectorAll(selector)].find((e) => {
        const box = e.getBoundingClientRect();
        const text = e instanceof HTMLTextAreaElement ? e.value || e.placeholder : e.textContent ?? '';
        return box.width > 0 && box.height > 0 && (text.trim().length > 0 || e.querySelector('.codicon') !== null);
      });
      if (!el) continue;
      const background = backgroundOf(el);
      const color = over(parse(getComputedStyle(el).color), background);
      const light = Math.max(luminance(color), luminance(background));
      const dark = Math.min(luminance(color), luminance(background));
      const text = (el instanceof HTMLTextAreaElement ? el.value || el.placeholder : el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 30);
      out.push({ selector, text, color: css(color), background: css(background), ratio: Math.round(((light + 0.05) / (dark + 0.05)) * 100) / 100 });
    }
    return out;
  }, selectors);
}

/** Selector -> the contrast ratio its text must reach (WCAG AA: 4.5 for text; 3 for syntax colours, as editor themes). */
export type ContrastTargets = Readonly<Record<string, number>>;

/** VS Code's built-in themes and the kind a webview's body reports for each; the default (Dark Modern) last. */
export const THEMES = [
  ['Default Light Modern', 'vscode-light'],
  ['Default High Contrast', 'vscode-high-contrast'],
  ['Default High Contrast Light', 'vscode-high-contrast-light'],
  ['Default Dark Modern', 'vscode-dark'],
] as const;

/**
 * Switches the workbench through THEMES (as a user would, in settings) and measures every target in the webview
 * `frame` in each; saves a screenshot per theme. Returns one line per text below its target.
 */
export async function contrastInEveryTheme(session: Session, frame: Frame, targets: ContrastTargets, shotPrefix: string): Promise<string[]> {
  const selectors = Object.keys(targets);
  const failures: string[] = [];
  for (const [theme, kind] of THEMES) {
    session.updateWorkspaceSettings({ 'workbench.colorTheme': theme });
    await waitUntil(`the view in ${theme}`, async () => (await frame.evaluate(() => document.body.dataset.vscodeThemeKind)) === kind, 30_000);
    const samples = await waitUntil('every target measured', async () => {
      const found = await measureContrast(frame, selectors);
      return found.length === selectors.length && found;
    }, 15_000).catch(async () => {
      const found = await measureContrast(frame, selectors);
      const missing = selectors.filter((sel) => !found.some((c) => c.selector === sel));
      throw new Error(`in ${theme}, nothing with text matches ${missing.join(', ')}`);
    });
    process.stdout.write(`contrast in ${theme}: ${samples.map((c) => `${c.selector} ${c.ratio}`).join('; ')}\n`);
    await session.page.mouse.move(900, 500); // no hover tooltip over the view in the screenshot
    await session.screenshot(`${shotPrefix}-${kind}`);
    for (const c of samples) {
      const target = targets[c.selector]!; // the samples were measured for Object.keys(targets)
      if (c.ratio < target) failures.push(`${theme}: ${c.selector} "${c.text}" ${c.color} on ${c.background} = ${c.ratio}:1 (needs ${target})`);
    }
  }
  return failures;
}
