// A question asked in an explanation's thread: the same conversation goes on, so the model sees the
// explained code (the original request), its explanation, and earlier questions with their answers.
import type { ChatMessage } from '../chat/types';

/** One question asked in the thread and the answer it got (empty while it streams, or when it failed). */
export interface Exchange {
  question: string;
  answer: string;
}

/** The whole thread as chat messages: the explanation's request and answer, the exchanges with an answer, the new question. */
export function followUpMessages(request: readonly ChatMessage[], answer: string, earlier: readonly Exchange[], question: string): ChatMessage[] {
  const messages: ChatMessage[] = [...request, { role: 'assistant', content: answer }];
  // A question left without an answer (stopped, failed) is dropped: templates reject two user turns in a row.
  for (const e of earlier) if (e.answer.trim()) messages.push({ role: 'user', content: e.question }, { role: 'assistant', content: e.answer });
  messages.push({ role: 'user', content: question });
  return messages;
}
