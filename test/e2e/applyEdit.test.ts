// "Apply" on a chat code block in real VS Code (code-server) and real Chromium: the diff view opens on the file the
// fence names or on the selection the question carried, Accept changes the file in one edit that Undo takes back,
// and a selection that changed since the code was proposed is refused with a message instead of guessed at.
// The replies can't come from the random-weights model on cue, so the conversation is seeded in globalStorage (the
// file the history store writes) before VS Code starts; attachments carry their origin as the editor records it.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Attachment, ChatEntry } from '../../src/extension/chat/entries';
import { e2eUnavailable, scenarioRunner, Session, waitUntil } from './harness';

const CALC = 'export function add(a: number, b: number): number {\n  return a + b;\n}\n\nexport function sub(a: number, b: number): number {\n  return a - b;\n}\n';
/** The whole file again with one line changed: the reply to "make add commutative-proof", fenced as ```ts calc.ts. */
const CALC_REWRITE = CALC.replace('return a + b;', 'return b + a; // rewritten').trimEnd();
/** Lines 5-7 of calc.ts, as selected and attached. */
const SUB = 'export function sub(a: number, b: number): number {\n  return a - b;\n}';
const SUB_NEW = 'export function sub(a: number, b: number): number {\n  return a - b; // checked\n}';
/** What stale.ts held when its lines were attached; the file on disk has changed since. */
const STALE_THEN = 'let count = 0;';
const STALE_NOW = 'let count = 1;\n';

function selection(file: string, label: string, text: string, startLine: number, endLine: number, endCharacter: number): Attachment {
  return { kind: 'selection', label, text, tokens: 20, origin: { uri: pathToFileURL(file).toString(), start: { line: startLine, character: 0 }, end: { line: endLine, character: endCharacter } } };
}

function conversation(workspace: string): string {
  const calc = join(workspace, 'calc.ts');
  const entries: ChatEntry[] = [
    { id: 'u1', role: 'user', text: 'Mark the subtraction as checked.', status: 'complete', attachments: [selection(calc, 'calc.ts:5-7', SUB, 4, 6, 1)] },
    { id: 'a1', role: 'assistant', text: `Here:\n\n\`\`\`ts\n${SUB_NEW}\n\`\`\``, status: 'complete' },
    { id: 'u2', role: 'user', text: 'Start the count at one.', status: 'complete', attachments: [selection(join(workspace, 'stale.ts'), 'stale.ts:1-1', STALE_THEN, 0, 0, STALE_THEN.length)] },
    { id: 'a2', role: 'assistant', text: '```ts\nlet count = 2;\n```', status: 'complete' },
    { id: 'u3', role: 'user', text: 'Rewrite calc.ts.', status: 'complete' },
    { id: 'a3', role: 'assistant', text: `The whole file:\n\n\`\`\`ts calc.ts\n${CALC_REWRITE}\n\`\`\``, status: 'complete' },
  ];
  const now = Date.now();
  return JSON.stringify({ format: 1, id: 'seeded-apply', title: 'Apply', createdAt: now - 1000, updatedAt: now, entries });
}

describe('Apply with diff in real VS Code', { skip: e2eUnavailable(), timeout: 15 * 60_000 }, () => {
  let s: Session | undefined;
  const { scenario } = scenarioRunner(() => s);

  before(
    async () => {
      s = await Session.open({
        name: 'apply-edit',
        beforeStart: (session) => {
          writeFileSync(join(session.workspace, 'calc.ts'), CALC);
          writeFileSync(join(session.workspace, 'stale.ts'), STALE_NOW);
          const chats = join(session.globalStorage(), 'chats');
          mkdirSync(chats, { recursive: true });
          writeFileSync(join(chats, 'seeded-apply.json'), conversation(session.workspace));
        },
      });
    },
    { timeout: 10 * 60_000 },
  );

  after(async () => {
    await s?.close();
  });

  /** The diff editor's tab (its title names the proposal). */
  const diffTab = (current: Session) => current.page.locator('.tab', { hasText: "Headroom's proposal" });

  /** Saves the active editor with Ctrl+S and waits for `file` to hold `expected`; returns what it holds. */
  async function saved(current: Session, file: string, expected: string): Promise<string> {
    const page = current.page;
    await page.locator('.editor-instance .monaco-editor .view-lines').filter({ visible: true }).first().click();
    await page.keyboard.press('Control+S');
    return waitUntil(`${file} to be saved`, () => readFileSync(file, 'utf8') === expected && expected, 10_000, 100).catch(() => readFileSync(file, 'utf8'));
  }

  test('a block fenced with a file name: diff of the whole file, Accept changes it, Undo restores it', async () => {
    await scenario('1-apply-named-file', async (current) => {
      const page = current.page;
      const calc = join(current.workspace, 'calc.ts');
      const chat = await current.openChat();
      const blocks = chat.locator('[data-testid=code-block]');
      await waitUntil('the three code blocks', async () => (await blocks.count()) === 3, 30_000, 100);
      await blocks.nth(2).locator('[data-testid=code-apply]').click();
      await diffTab(current).waitFor({ timeout: 20_000 });
      const diff = page.locator('.monaco-diff-editor').filter({ visible: true }).first();
      await waitUntil('the diff to show the changed line', async () => (await diff.innerText().catch(() => '')).replace(/\u00a0/g, ' ').includes('// rewritten'), 15_000, 100);
      await current.screenshot('1-diff-open');
      assert.equal(readFileSync(calc, 'utf8'), CALC, 'nothing is written before Accept');

      const review = page.locator('.notifications-toasts .notification-toast', { hasText: 'review the change to calc.ts' });
      await review.waitFor({ timeout: 10_000 });
      await current.runCommand('Headroom: Accept Proposed Change');
      await waitUntil('the diff to close', async () => (await diffTab(current).count()) === 0, 15_000, 100);
      await waitUntil('the review notification to go away', async () => (await review.count()) === 0, 10_000, 100);
      await page.locator('.tab.active', { hasText: 'calc.ts' }).waitFor();
      assert.equal(await saved(current, calc, `${CALC_REWRITE}\n`), `${CALC_REWRITE}\n`, 'Accept replaced the file, keeping its final newline');

      await page.keyboard.press('Control+Z');
      assert.equal(await saved(current, calc, CALC), CALC, 'one Undo takes the whole change back');
    });
  });

  test('a block answering an attached selection: diff of that range, Accept from the editor title replaces only it', async () => {
    await scenario('2-apply-attached-selection', async (current) => {
      const page = current.page;
      const calc = join(current.workspace, 'calc.ts');
      const chat = await current.openChat();
      await chat.locator('[data-testid=code-block]').first().locator('[data-testid=code-apply]').click();
      await diffTab(current).waitFor({ timeout: 20_000 });
      const accept = page.locator('.editor-actions .action-label[aria-label*="Accept Proposed Change"]').filter({ visible: true }).first();
      await accept.click();
      await waitUntil('the diff to close', async () => (await diffTab(current).count()) === 0, 15_000, 100);
      const expected = CALC.replace(SUB, SUB_NEW);
      assert.equal(await saved(current, calc, expected), expected, 'only the attached lines changed');
    });
  });

  test('Reject closes the diff and leaves the file as it was', async () => {
    await scenario('3-apply-reject', async (current) => {
      const calc = join(current.workspace, 'calc.ts');
      const before = readFileSync(calc, 'utf8');
      const chat = await current.openChat();
      await chat.locator('[data-testid=code-block]').nth(2).locator('[data-testid=code-apply]').click();
      await diffTab(current).waitFor({ timeout: 20_000 });
      await current.runCommand('Headroom: Reject Proposed Change');
      await waitUntil('the diff to close', async () => (await diffTab(current).count()) === 0, 15_000, 100);
      assert.equal(readFileSync(calc, 'utf8'), before);
      assert.equal(await current.page.locator('.tab.dirty').count(), 0, 'no editor is left with unsaved changes');
    });
  });

  test('a block for a selection that changed since: no diff, a message that says so, the file untouched', async () => {
    await scenario('4-apply-stale', async (current) => {
      const page = current.page;
      const chat = await current.openChat();
      await chat.locator('[data-testid=code-block]').nth(1).locator('[data-testid=code-apply]').click();
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'changed since the code was proposed' });
      await toast.waitFor({ timeout: 20_000 });
      const text = await toast.innerText();
      process.stdout.write(`stale message: ${JSON.stringify(text)}\n`);
      assert.match(text, /stale\.ts:1-1/);
      assert.equal(await diffTab(current).count(), 0, 'no diff opened');
      assert.equal(readFileSync(join(current.workspace, 'stale.ts'), 'utf8'), STALE_NOW);
    });
  });
});
