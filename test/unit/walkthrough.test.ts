// The walkthrough in package.json: every step's media exists, and every command link names a Headroom
// command the extension contributes (or VS Code's Open Settings).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

interface Step {
  id: string;
  description: string;
  media: { markdown?: string };
  completionEvents?: string[];
}

test('walkthrough: four steps, media files present, command links and completion commands exist', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    contributes: { commands: { command: string }[]; walkthroughs: { steps: Step[] }[] };
  };
  const commands = new Set(pkg.contributes.commands.map((c) => c.command));
  const steps = pkg.contributes.walkthroughs.flatMap((w) => w.steps);
  assert.deepEqual(steps.map((s) => s.id), ['model', 'llama', 'plan', 'chat']);
  for (const step of steps) {
    assert.ok(step.media.markdown && existsSync(join(ROOT, step.media.markdown)), `${step.id}: ${step.media.markdown}`);
    const links = [...step.description.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1] ?? '');
    assert.ok(links.length > 0, `${step.id} has a button`);
    for (const id of links) assert.ok(commands.has(id) || id === 'workbench.action.openSettings', `${step.id}: ${id} is a command`);
    for (const event of step.completionEvents ?? []) {
      const command = /^onCommand:(.+)$/.exec(event)?.[1];
      if (command) assert.ok(commands.has(command), `${step.id}: ${command}`);
    }
  }
});
