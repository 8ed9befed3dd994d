import { HeadroomError } from '../../common/errors';
import { describeEndpoint, modelFor } from '../../endpoints/describeEndpoint';
import { KIND_LABEL } from '../../endpoints/endpoint';
import { EndpointBackend } from '../../endpoints/endpointChat';
import { chatLoop } from '../chatLoop';
import { endpointFromOptions } from '../endpointOption';
import type { ExitCode } from '../exitCodes';
import { watchInterrupts } from '../interrupts';
import type { CliOptions } from '../options';
import { say } from '../say';
import { streamBackendReply } from '../streamReply';

/**
 * `headroom chat --endpoint URL [--api-key-env VAR] [--model NAME]`: chat with a server that runs already (Ollama,
 * LM Studio, a llama-server, any OpenAI-compatible URL). The server is described first: a wrong URL or key ends
 * the command with 1 and one sentence; a failed reply is said and the chat goes on.
 */
export async function runEndpointChat(options: CliOptions): Promise<ExitCode> {
  const endpoint = endpointFromOptions(options.endpoint ?? '', options);
  const interrupts = watchInterrupts();
  try {
    const info = await describeEndpoint(endpoint);
    const model = modelFor(endpoint, info);
    if (!model) throw new HeadroomError(`${endpoint.baseUrl} lists no models.`, 'Load one there, or name it with --model NAME.');
    const ctx = model.contextLength !== undefined ? `, context ${model.contextLength}` : '';
    say(`Chatting with ${KIND_LABEL[info.kind]} at ${endpoint.baseUrl}, model ${model.id}${ctx}. Ctrl+C ends.`);
    const backend = new EndpointBackend(endpoint, model.id);
    return await chatLoop(interrupts.received, (conversation, line) => streamBackendReply(backend, KIND_LABEL[info.kind], conversation, line, options.maxTokens));
  } finally {
    interrupts.dispose();
  }
}
