import { EventEmitter } from 'node:events';
import type { EngineInfo, EventName, EventPayload, Handlers, MethodName, ProjectState, Reply, Request } from './api/index.js';
import { createDispatcher, EngineError, methodNames } from './api/index.js';
import { JobQueue } from './jobs/queue.js';
import { FileAccessPolicy } from './files/policy.js';
import { ganvasHome, projectsDir } from './paths.js';
import { ModelRegistry } from './runtime/registry.js';
import { OpenProject, type EngineContext } from './services/context.js';
import { HistoryService } from './services/history.js';
import { HostService } from './services/host.js';
import { InpaintService } from './services/inpaint.js';
import { LatentService } from './services/latent/index.js';
import { LayersService } from './services/layers.js';
import { ModelsService } from './services/models.js';
import { ProjectService } from './services/project.js';
import { TrainingService } from './services/training.js';

export { VERSION } from './services/host.js';

export interface EngineOptions {
  home?: string;
  host: EngineInfo['host'];
  hostDetail: string;
  /** Where shipped model packages live (tests point this at a temporary folder). */
  shippedModels?: string;
  /** Folders the user allowed for projects and training data besides the library (engine/files/policy.ts). */
  allow?: string[];
}

type Listener = (event: EventName, payload: unknown) => void;

/**
 * The composition root (docs/ARCHITECTURE.md, "Feature services"): builds the feature services over one context and
 * serves the contract with them. Every method is served by exactly one service — a missing one fails to compile,
 * a doubly served one fails at construction. It knows nothing of the transport, of Electron or of the DOM.
 */
export class Engine {
  readonly home: string;
  readonly registry: ModelRegistry;
  readonly models: ModelsService;
  readonly projects: ProjectService;
  readonly layers: LayersService;
  readonly history: HistoryService;
  readonly inpaint: InpaintService;
  readonly latent: LatentService;
  readonly training: TrainingService;
  readonly host: HostService;
  /** Which paths a page may name; hosts widen it with what the user chose outside the page. */
  readonly files: FileAccessPolicy;
  readonly handlers: Handlers;
  private readonly emitter = new EventEmitter();
  private readonly open = new OpenProject();
  private readonly dispatch: ReturnType<typeof createDispatcher>;

  constructor(options: EngineOptions) {
    this.home = options.home ?? ganvasHome();
    this.registry = new ModelRegistry(this.home, options.shippedModels);
    this.files = new FileAccessPolicy({ library: projectsDir(this.home), allow: options.allow, known: () => this.projects.recentPaths() });
    const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => this.emitter.emit('event', event, payload);
    const ctx: EngineContext = {
      home: this.home,
      project: this.open,
      registry: this.registry,
      files: this.files,
      jobs: new JobQueue({ state: (e) => emit('job.state', e), progress: (e) => emit('job.progress', e) }),
      emit,
      changed: (state: ProjectState) => {
        emit('project.changed', state);
        return state;
      },
    };
    this.models = new ModelsService(ctx);
    this.projects = new ProjectService(ctx, this.models);
    this.layers = new LayersService(ctx);
    this.inpaint = new InpaintService(ctx, this.models);
    this.latent = new LatentService(ctx, this.models);
    this.training = new TrainingService(ctx, this.models);
    this.host = new HostService(ctx, { kind: options.host, detail: options.hostDetail });
    this.history = new HistoryService(ctx, { inpaint: this.inpaint.rerender, ...this.latent.rerenderers });

    const served = [this.host, this.models, this.projects, this.layers, this.history, this.inpaint, this.latent, this.training].map((s) => s.handlers);
    this.handlers = {
      ...this.host.handlers, ...this.models.handlers, ...this.projects.handlers, ...this.layers.handlers,
      ...this.history.handlers, ...this.inpaint.handlers, ...this.latent.handlers, ...this.training.handlers,
    } satisfies Handlers;
    const count = served.reduce((n, h) => n + Object.keys(h).length, 0);
    if (count !== methodNames.length) throw new Error(`the services serve ${count} handlers for ${methodNames.length} contract methods: one is served twice`);
    this.dispatch = createDispatcher(this.handlers);
  }

  onEvent(listener: Listener): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  /**
   * A contract method called in-process (the CLI, tests) through the same dispatcher as the transports, so the
   * request is validated and defaults applied exactly as for the editor; errors are thrown as EngineError.
   */
  async call<M extends MethodName>(method: M, req: Request<M>): Promise<Reply<M>> {
    const out = await this.dispatch(method, req);
    if (!out.ok) throw new EngineError(out.e.code, out.e.message);
    return out.r as Reply<M>;
  }

  /** Opens the project a host starts with (created if missing; without a path, the Welcome project). */
  openOrCreate(path?: string): ProjectState {
    return this.projects.openOrCreate(path);
  }

  setHostDetail(detail: string): void {
    this.host.setDetail(detail);
  }

  close(): void {
    this.open.replace(null);
  }
}
