import * as vscode from 'vscode';
import type { Conversation } from '../../chat/conversation';
import type { ChatTarget } from '../server/chatTarget';
import { command, type CommandDeps } from '../server/commands';
import { ExplainCodeActions, type ProblemArgs } from './explainCodeActions';
import { ExplainController } from './explainController';

export interface ExplainDeps extends CommandDeps {
  conversation: Conversation;
  target: ChatTarget;
}

function isProblemArgs(v: unknown): v is ProblemArgs {
  if (typeof v !== 'object' || v === null) return false;
  const a = v as Record<string, unknown>;
  return a.uri instanceof vscode.Uri && a.range instanceof vscode.Range && typeof a.message === 'string';
}

function isCommentReply(v: unknown): v is vscode.CommentReply {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r.text === 'string' && typeof r.thread === 'object' && r.thread !== null;
}

/** Explain Selection (menu, palette, keybinding, Code Action), Explain this problem (Quick Fix), and the thread's actions. */
export function registerExplain(deps: ExplainDeps): vscode.Disposable[] {
  const explain = new ExplainController({ target: deps.target, conversation: deps.conversation, log: deps.log });
  return [
    explain,
    vscode.languages.registerCodeActionsProvider({ scheme: '*' }, new ExplainCodeActions(), ExplainCodeActions.metadata),
    // From a Code Action: (uri, range). From the editor's context menu: (uri, {...}), so the selection is read.
    command(deps, 'headroom.explainSelection', (uri, range) =>
      uri instanceof vscode.Uri && range instanceof vscode.Range ? explain.explainSelection(uri, range) : explain.explainSelection(),
    ),
    command(deps, 'headroom.explainProblem', async (args) => {
      if (isProblemArgs(args)) await explain.explainProblem(args);
    }),
    command(deps, 'headroom.explain.stop', async (thread) => explain.stop(thread)),
    command(deps, 'headroom.explain.dismiss', async (thread) => explain.dismiss(thread)),
    command(deps, 'headroom.explain.continueInChat', (thread) => explain.continueInChat(thread)),
    command(deps, 'headroom.explain.insertComment', (thread) => explain.insertComment(thread)),
    command(deps, 'headroom.explain.reply', async (reply) => {
      if (isCommentReply(reply)) await explain.reply(reply);
    }),
  ];
}
