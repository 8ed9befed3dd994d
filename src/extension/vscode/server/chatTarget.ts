import type { ChatConnection } from '../../chat/chatConnection';
import { Emitter, type Disposable } from '../../common/emitter';
import { endpointServerView, managedBy } from '../../present/endpointView';
import type { ServerView } from '../../present/serverView';
import type { PlanSource } from '../../present/planPanelController';
import type { EndpointTarget } from '../endpoints/endpointTarget';
import type { ServerController } from './serverController';

/**
 * The active chat target: the running server set in headroom.endpointUrl when there is one, else the
 * local model Headroom manages. Chat, Explain, the context meter and the status bar ask this, never which.
 */
export class ChatTarget implements Disposable {
  private readonly viewEmitter = new Emitter<ServerView>();
  readonly onDidChangeView = this.viewEmitter.event;
  private readonly subscriptions: Disposable[];

  constructor(
    readonly controller: ServerController,
    readonly endpoint: EndpointTarget,
  ) {
    this.subscriptions = [
      controller.onDidChangeView(() => {
        if (!this.endpoint.state) this.viewEmitter.fire(this.view);
      }),
      endpoint.onDidChange(() => this.viewEmitter.fire(this.view)),
      this.viewEmitter,
    ];
  }

  /** True while an endpoint is set (even one that failed): the local model is not used then. */
  get usesEndpoint(): boolean {
    return this.endpoint.state !== undefined;
  }

  get view(): ServerView {
    const state = this.endpoint.state;
    return state ? endpointServerView(state) : this.controller.view;
  }

  /** "managed by Ollama at URL" while an endpoint is used; undefined for the local model. */
  get managedBy(): string | undefined {
    const state = this.endpoint.state;
    return state ? managedBy(state) : undefined;
  }

  /** What to talk to now; undefined while nothing is ready. */
  connection(): ChatConnection | undefined {
    return this.endpoint.state ? this.endpoint.connection() : this.controller.connection();
  }

  /** The memory plan panel's source: the local model's plans, or "managed by" while an endpoint is used. */
  planSource(): PlanSource {
    const { controller, endpoint } = this;
    return {
      get plan() {
        return controller.plan;
      },
      onDidChangePlan: controller.onDidChangePlan,
      computePlan: (modelPath) => controller.computePlan(modelPath),
      get managedBy() {
        const state = endpoint.state;
        return state ? managedBy(state) : undefined;
      },
      onDidChangeManaged: endpoint.onDidChange,
    };
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }
}
