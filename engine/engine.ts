import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { EngineInfo, EventName, EventPayload, ProjectState } from './api/index.js';
import { EngineError, type Handlers } from './api/index.js';
import { compositeLayers, decodeRgba, encodePng } from './image/composite.js';
import { normaliseImage } from './image/decode.js';
import { JobQueue } from './jobs/queue.js';
import { defaultProjectPath, ganvasHome, projectsDir } from './paths.js';
import { RecentProjects } from './recent.js';
import { probeBackends } from './runtime/backends.js';
import { ModelRegistry } from './runtime/registry.js';
import { newLayerId, ProjectStore } from './store/project-store.js';

export const VERSION = '0.1.0';

export interface EngineOptions {
  home?: string;
  host: EngineInfo['host'];
  hostDetail: string;
  /** Where shipped model packages live (tests point this at a temporary folder). */
  shippedModels?: string;
}

type Listener = (event: EventName, payload: unknown) => void;

const safeFileName = (name: string) => name.replace(/[^\p{L}\p{N} _.-]+/gu, '_').trim() || 'Untitled';

/**
 * The engine: owns the open project and implements every method of the contract. It knows nothing of the
 * transport that carries its requests, nor of Electron or the DOM.
 */
export class Engine {
  readonly home: string;
  private project: ProjectStore | null = null;
  private readonly emitter = new EventEmitter();
  private readonly recent: RecentProjects;
  readonly models: ModelRegistry;
  private readonly jobs = new JobQueue({
    state: (e) => this.emit('job.state', e),
    progress: (e) => this.emit('job.progress', e),
  });

  setHostDetail(detail: string): void {
    this.options.hostDetail = detail;
  }

  constructor(private readonly options: EngineOptions) {
    this.home = options.home ?? ganvasHome();
    this.recent = new RecentProjects(this.home);
    this.models = new ModelRegistry(this.home, options.shippedModels);
  }

  /** The open project records every model version available to it, so its edits can name them by hash. */
  private registerModels(store: ProjectStore): void {
    for (const m of this.models.list().models) {
      store.registerModel({ hash: m.hash, id: m.id, kind: m.kind, name: m.name, licence: m.licence, source: m.source, parentHash: m.parent });
    }
  }

  onEvent(listener: Listener): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  private emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    this.emitter.emit('event', event, payload);
  }

  private changed(state: ProjectState): ProjectState {
    this.emit('project.changed', state);
    return state;
  }

  private store(): ProjectStore {
    if (!this.project) throw new EngineError('no_project', 'no project is open');
    return this.project;
  }

  openProject(path: string): ProjectState {
    const next = ProjectStore.open(resolve(path));
    this.project?.close();
    this.project = next;
    this.registerModels(next);
    const state = next.state();
    this.recent.touch(next.path, state.name);
    return this.changed(state);
  }

  createProject(name: string, width: number, height: number, path?: string): ProjectState {
    const file = resolve(path ?? join(projectsDir(this.home), `${safeFileName(name)}.ganvas`));
    mkdirSync(resolve(file, '..'), { recursive: true });
    const next = ProjectStore.create(file, name, width, height);
    this.project?.close();
    this.project = next;
    this.registerModels(next);
    const state = next.state();
    this.recent.touch(next.path, name);
    return this.changed(state);
  }

  /** Opens `path`, creating it first if it does not exist; without a path, the default project. */
  openOrCreate(path?: string): ProjectState {
    const file = resolve(path ?? defaultProjectPath(this.home));
    try {
      return this.openProject(file);
    } catch (err) {
      if (!(err instanceof EngineError && err.code === 'not_found')) throw err;
      const name = basename(file, extname(file));
      return this.createProject(name, 1280, 800, file);
    }
  }

  async importImage(name: string, bytes: Uint8Array): Promise<ProjectState> {
    const store = this.store();
    const img = await normaliseImage(bytes, name);
    return this.changed(
      store.commit(
        (doc, [assetHash]) => {
          const empty = doc.layers.length === 0;
          const docSize = empty ? { width: img.width, height: img.height } : undefined;
          const w = docSize?.width ?? doc.width, h = docSize?.height ?? doc.height;
          return {
            kind: 'layer.add',
            docSize,
            layer: {
              id: newLayerId(), name, assetHash: assetHash!, width: img.width, height: img.height,
              x: Math.round((w - img.width) / 2), y: Math.round((h - img.height) / 2), visible: true, opacity: 1,
            },
          };
        },
        [{ kind: 'image', mime: 'image/png', width: img.width, height: img.height, bytes: img.png }],
      ),
    );
  }

  close(): void {
    this.project?.close();
    this.project = null;
  }

  readonly handlers: Handlers = {
    'engine.info': () => ({
      version: VERSION,
      host: this.options.host,
      hostDetail: this.options.hostDetail,
      backends: probeBackends(),
      projectsDir: projectsDir(this.home),
    }),
    'models.list': () => this.models.list().models,
    'project.create': (r) => this.createProject(r.name, r.width, r.height, r.path),
    'project.open': (r) => this.openProject(r.path),
    'project.recent': () => this.recent.list(),
    'project.state': () => this.store().state(),
    'project.export': () =>
      this.jobs.run('export', async (ctx) => {
        const store = this.store();
        const { width, height, layers } = store.state();
        let done = 0;
        const rgba = await compositeLayers(width, height, layers, {
          rgba: async (hash) => {
            ctx.progress(done++, layers.length, 'compositing');
            return decodeRgba(store.getAsset(hash).bytes);
          },
        });
        ctx.progress(layers.length, layers.length, 'encoding');
        return { png: await encodePng(rgba, width, height), width, height };
      }),
    'layer.import': (r) => this.importImage(r.name, r.bytes),
    'layer.update': (r) => this.changed(this.store().commit(() => ({ kind: 'layer.update', id: r.id, patch: r.patch }))),
    'layer.reorder': (r) => this.changed(this.store().commit(() => ({ kind: 'layer.reorder', id: r.id, index: r.index }))),
    'layer.delete': (r) => this.changed(this.store().commit(() => ({ kind: 'layer.delete', id: r.id }))),
    'asset.get': (r) => {
      const a = this.store().getAsset(r.hash);
      return { bytes: a.bytes, mime: a.mime };
    },
    'history.list': () => this.store().history(),
    'history.undo': () => this.changed(this.store().undo()),
    'history.redo': () => this.changed(this.store().redo()),
    'job.cancel': (r) => ({ cancelled: this.jobs.cancel(r.id) }),
  };
}
