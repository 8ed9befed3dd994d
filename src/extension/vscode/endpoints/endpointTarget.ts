import * as vscode from 'vscode';
import type { ChatConnection } from '../../chat/chatConnection';
import { Emitter, type Disposable } from '../../common/emitter';
import { errorMessage } from '../../common/errors';
import { describeEndpoint, modelFor } from '../../endpoints/describeEndpoint';
import { normalizeBaseUrl, type Endpoint } from '../../endpoints/endpoint';
import { EndpointBackend, endpointTokenCounter } from '../../endpoints/endpointChat';
import { HeadroomError } from '../../common/errors';
import type { EndpointState } from '../../present/endpointView';
import { ENDPOINT_SETTINGS, readEndpointSetting } from '../config';

/** The SecretStorage key of an endpoint's API key: one per base URL, never in settings. */
export const endpointKeySecret = (baseUrl: string): string => `headroom.endpointKey:${baseUrl}`;

/**
 * The endpoint in the settings (headroom.endpointUrl / endpointModel, its key from SecretStorage), described
 * when the settings change: undefined state when none is set, so the local model is used.
 */
export class EndpointTarget implements Disposable {
  private readonly emitter = new Emitter<EndpointState | undefined>();
  readonly onDidChange = this.emitter.event;
  private current: EndpointState | undefined;
  private endpoint: Endpoint | undefined;
  private refreshing: Promise<void> = Promise.resolve();
  private generation = 0;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (ENDPOINT_SETTINGS.some((s) => e.affectsConfiguration(s))) void this.refresh();
    });
    void this.refresh();
  }

  /** Undefined: no endpoint is set. */
  get state(): EndpointState | undefined {
    return this.current;
  }

  /** Settles when the latest description has finished. */
  whenSettled(): Promise<void> {
    return this.refreshing;
  }

  /** Reads the settings and the key again and asks the server what it is. */
  refresh(): Promise<void> {
    const generation = ++this.generation;
    this.refreshing = this.describe(generation);
    return this.refreshing;
  }

  connection(): ChatConnection | undefined {
    const state = this.current;
    if (state?.kind !== 'ready' || !this.endpoint) return undefined;
    return {
      backend: new EndpointBackend(this.endpoint, state.model.id),
      counter: endpointTokenCounter(this.endpoint, state.info),
      contextSize: state.model.contextLength,
    };
  }

  /** The connection once described; the description's error when it failed. */
  async ready(): Promise<ChatConnection> {
    await this.refreshing;
    if (this.current?.kind === 'failed') await this.refresh();
    const connection = this.connection();
    if (connection) return connection;
    const state = this.current;
    throw state?.kind === 'failed' && state.error instanceof Error ? state.error : new HeadroomError('No running server is set.', 'Run "Headroom: Use a Running Server..." first.');
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }

  private set(generation: number, state: EndpointState | undefined): void {
    if (generation !== this.generation) return;
    this.current = state;
    this.emitter.fire(state);
  }

  private async describe(generation: number): Promise<void> {
    const setting = readEndpointSetting();
    if (!setting) {
      this.endpoint = undefined;
      return this.set(generation, undefined);
    }
    let baseUrl = setting.url;
    try {
      baseUrl = normalizeBaseUrl(setting.url);
      this.set(generation, { kind: 'connecting', baseUrl });
      const apiKey = await this.secrets.get(endpointKeySecret(baseUrl));
      const endpoint: Endpoint = { baseUrl, ...(apiKey ? { apiKey } : {}), ...(setting.model ? { model: setting.model } : {}) };
      const info = await describeEndpoint(endpoint);
      const model = modelFor(endpoint, info);
      if (!model) throw new HeadroomError(`${baseUrl} lists no models.`, 'Load one there, or set headroom.endpointModel.');
      if (generation !== this.generation) return;
      this.endpoint = endpoint;
      this.log.info(`endpoint: ${info.kind} at ${baseUrl}, model ${model.id}${model.contextLength !== undefined ? `, context ${model.contextLength}` : ''}`);
      this.set(generation, { kind: 'ready', baseUrl, info, model });
    } catch (error) {
      this.log.warn(`endpoint ${baseUrl}: ${errorMessage(error)}`);
      this.set(generation, { kind: 'failed', baseUrl, error });
    }
  }
}
