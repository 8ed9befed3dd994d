// "Headroom: Tune for This Machine": asks what to make fast, measures with a cancellable progress notification, then
// shows what was tried in the plan panel.
import * as vscode from 'vscode';
import type { TuneGoal } from '../../runner/tuning/tuner';
import type { ServerController } from './serverController';

export const TUNE_COMMAND = 'headroom.tune';

const GOALS: Array<vscode.QuickPickItem & { goal: TuneGoal }> = [
  { label: 'Generation', description: 'tokens/s of replies (chat, completion)', goal: 'generation' },
  { label: 'Prompt', description: 'tokens/s reading long inputs (files, explanations)', goal: 'prompt' },
];

export async function tuneCommand(controller: ServerController, log: vscode.LogOutputChannel): Promise<void> {
  const pick = await vscode.window.showQuickPick(GOALS, { title: 'Headroom: tune for this machine — make what fast?' });
  if (!pick) return;
  const report = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Headroom: tuning', cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const cancellation = token.onCancellationRequested(() => abort.abort());
      let last = 0;
      try {
        return await controller.tune(pick.goal, abort.signal, (p) => {
          progress.report({ message: `${Math.floor(p.percent)}% ${p.message} (at most ${p.etaSeconds} s left)`, increment: Math.max(0, p.percent - last) });
          last = Math.max(last, p.percent);
        });
      } finally {
        cancellation.dispose();
      }
    },
  );
  log.info(`tuned: ${report.remembered.settings.summary}`);
  await vscode.commands.executeCommand('headroom.showPlan');
  if (!controller.plan || controller.plan.modelPath !== report.plan.modelPath) await controller.computePlan(report.plan.modelPath);
  const running = controller.supervisor.state.kind === 'ready';
  const choice = await vscode.window.showInformationMessage(
    `Headroom: fastest: ${report.remembered.settings.summary}. ${running ? 'Restart the model to use it.' : 'The next start uses it.'}`,
    ...(running ? ['Restart Local Model'] : []),
  );
  if (choice) await vscode.commands.executeCommand('headroom.restart');
}
