import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { EngineInfo, EventName, EventPayload, ModelInfo, ProjectState } from './api/index.js';
import { EngineError, type Handlers } from './api/index.js';
import { compositeLayers, decodeRgba, encodePng } from './image/composite.js';
import { normaliseImage } from './image/decode.js';
import { JobQueue } from './jobs/queue.js';
import { defaultProjectPath, ganvasHome, projectsDir } from './paths.js';
import { RecentProjects } from './recent.js';
import { decodeMask, encodeMaskPng, inpaintRaster } from './edit/inpaint.js';
import { inpaintModel } from './edit/inpaint-model.js';
import { LatentStudio } from './latent-studio.js';
import { probeBackends } from './runtime/backends.js';
import { ModelRegistry, userModelsDir } from './runtime/registry.js';
import { fineTune } from './train/fine-tune.js';
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
    this.latent = new LatentStudio(() => this.store(), this.models, this.jobs, (s) => this.changed(s));
  }

  readonly latent: LatentStudio;

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

  /** The inpainter to use: the one asked for, else the first installed (the shipped one on a fresh install). */
  async inpainter(modelId?: string) {
    const id = modelId ?? this.models.list().models.find((m) => m.kind === 'inpainter')?.id;
    if (!id) throw new EngineError('not_found', 'no inpainter is installed; `ganvas models import` adds one');
    const model = await this.models.get(id);
    if (model.card.kind !== 'inpainter') throw new EngineError('bad_request', `${id} is a ${model.card.kind}, not an inpainter`);
    return model;
  }

  /** Fills the masked pixels of a layer; the filled copy becomes a new layer above it, as one edit. */
  async inpaint(layerId: string, maskBytes: Uint8Array, opts: { modelId?: string; margin: number; feather: number }): Promise<ProjectState> {
    const store = this.store();
    const source = store.state().layers.find((l) => l.id === layerId);
    if (!source) throw new EngineError('not_found', `no layer ${layerId} in this project`);
    const model = await this.inpainter(opts.modelId);
    const mask = await decodeMask(maskBytes, source.width, source.height);
    const img = await decodeRgba(store.getAsset(source.assetHash).bytes);
    const params = { margin: opts.margin, feather: opts.feather };
    const filled = await this.jobs.run('inpaint', (ctx) =>
      inpaintRaster(img, mask, inpaintModel(model), params, (done, total) => ctx.progress(done, total, `region ${Math.min(done + 1, total)} of ${total}`), ctx.signal));
    const maskPng = await encodeMaskPng(mask, source.width, source.height);
    store.registerModel({ hash: model.card.hash, id: model.card.id, kind: model.card.kind, name: model.card.name, licence: model.card.licence, source: model.card.provenance.source, parentHash: model.card.provenance.parent ?? null });
    return this.changed(store.commit((_doc, [resultHash, maskHash]) => ({
      kind: 'inpaint', sourceId: source.id, maskHash: maskHash!, model: { id: model.card.id, hash: model.card.hash }, params,
      layer: { ...source, id: newLayerId(), name: `${source.name} · inpainted`, assetHash: resultHash!, visible: true, opacity: 1 },
    }), [
      { kind: 'image', mime: 'image/png', width: source.width, height: source.height, bytes: await encodePng(filled, source.width, source.height) },
      { kind: 'mask', mime: 'image/png', width: source.width, height: source.height, bytes: maskPng },
    ]));
  }

  /** Computes a recorded inpaint again from its source, mask and model (by hash) and compares the pixels. */
  async rerender(editId: number): Promise<{ editId: number; identical: boolean; png: Uint8Array }> {
    const store = this.store();
    const { op, before } = store.edit(editId);
    if (op.kind === 'latent.local') {
      const layer = before.layers.find((l) => l.id === op.id)!;
      return { editId, ...(await this.latent.rerenderLocal(layer, op)) };
    }
    if (op.kind === 'latent.place' || op.kind === 'latent.edit') {
      const layer = op.kind === 'latent.place' ? op.layer : { ...before.layers.find((l) => l.id === op.id)!, assetHash: op.assetHash };
      const r = await this.latent.rerender(layer, op.kind === 'latent.place' ? op.layer.latent!.latentHash : op.latentHash);
      return { editId, ...r };
    }
    if (op.kind !== 'inpaint') throw new EngineError('bad_request', `edit ${editId} (${op.kind}) has nothing to compute: only generated edits can be re-rendered`);
    const model = this.models.list().models.find((m) => m.hash === op.model.hash);
    if (!model) throw new EngineError('not_found', `the model this edit used (${op.model.id}, ${op.model.hash.slice(0, 12)}) is no longer installed`);
    const source = before.layers.find((l) => l.id === op.sourceId)!;
    const img = await decodeRgba(store.getAsset(source.assetHash).bytes);
    const mask = await decodeMask(store.getAsset(op.maskHash).bytes, source.width, source.height);
    const loaded = await this.models.get(model.id);
    const filled = await inpaintRaster(img, mask, inpaintModel(loaded), op.params);
    const stored = await decodeRgba(store.getAsset(op.layer.assetHash).bytes);
    const identical = stored.data.length === filled.length && stored.data.every((v, i) => v === filled[i]);
    return { editId, identical, png: await encodePng(filled, source.width, source.height) };
  }

  /** Installs a model sent as file bytes (dropped on the editor): written under the home, imported, removed. */
  async importModelFile(name: string, bytes: Uint8Array): Promise<ModelInfo> {
    const dir = join(this.home, 'tmp', `import-${randomBytes(6).toString('hex')}`);
    mkdirSync(dir, { recursive: true });
    try {
      const file = join(dir, safeFileName(basename(name)).replace(/^\.+/, '') || 'model');
      writeFileSync(file, bytes);
      const info = await this.models.import(file, {});
      if (this.project) this.registerModels(this.project);
      return info;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
    'models.importFile': (r) => this.importModelFile(r.name, r.bytes),
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
    'inpaint.run': (r) => this.inpaint(r.layerId, r.mask, { modelId: r.modelId, margin: r.margin, feather: r.feather }),
    'history.rerender': (r) => this.rerender(r.editId),
    'latent.sample': (r) => this.latent.sample(r.modelId, r.seeds, r.psi, r.display),
    'latent.place': (r) => this.latent.place(r),
    'latent.get': async (r) => {
      const { ws, runner } = await this.latent.layerLatent(r.layerId);
      return { ws, numWs: runner.numWs, wDim: runner.wDim, modelId: runner.model.card.id, modelHash: runner.hash };
    },
    'latent.preview': (r) => this.latent.preview(r.layerId, r.sliders, r.mixes),
    'latent.apply': (r) => this.latent.apply(r.layerId, r.sliders, r.mixes, r.label),
    'latent.applyLocal': async (r) => {
      const heal = r.healBand > 0 ? { inpainter: await this.inpainter(r.inpainterId), band: r.healBand } : null;
      return this.latent.applyLocal(r.layerId, r.sliders, r.mixes, r.mask, r.feather, heal);
    },
    'latent.variations': (r) => this.latent.variations(r.layerId, r.count, r.strength, r.seed),
    'latent.interpolate': (r) => this.latent.interpolate(r),
    'latent.frame': (r) => this.latent.frame(r),
    'latent.mixGrid': async (r) => ({ png: await this.latent.mixGrid(r.modelId, r.rows, r.cols, { start: r.start, end: r.end }, r.psi, r.cell) }),
    'latent.analogy': (r) => this.latent.analogy(r.a, r.b, r.c, r.display),
    'latent.project': (r) => this.latent.project(r, (p) => this.emit('projection.preview', p)),
    'direction.compute': (r) => this.latent.computeDirections(r.modelId, r.method, r.count, { start: r.start, end: r.end }),
    'direction.fromSets': (r) => this.latent.directionFromSets({ ...r, range: { start: r.start, end: r.end } }),
    'direction.list': async (r) => {
      const hash = r.modelId ? (await this.latent.runner(r.modelId)).hash : undefined;
      return this.store().directions(hash);
    },
    'train.start': async (r) => {
      const base = await this.models.get(r.modelId);
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
      const outId = `${base.card.id}-ft-${stamp}`.toLowerCase().slice(0, 64);
      const runDir = join(this.home, 'runs', outId);
      const { id } = this.jobs.start('train', async (ctx) => {
        const result = await fineTune({
          modelDir: base.dir, outDir: join(userModelsDir(this.home), outId), outId, outName: r.name ?? `${base.card.name}, fine-tuned on ${basename(r.dataDir)}`,
          dataDir: resolve(r.dataDir), runDir, kimg: r.kimg, batch: r.batch, seed: r.seed, checkpointEvery: 200,
        }, (p) => {
          const eta = p.etaSeconds === null ? '' : ` · ETA ${Math.round(p.etaSeconds)} s`;
          const losses = p.lossG === null ? '' : ` · G ${p.lossG.toFixed(3)} · D ${p.lossD!.toFixed(3)}`;
          ctx.progress(Math.round(p.kimg * 1000), Math.round(p.totalKimg * 1000), p.phase === 'training' ? `${p.kimg.toFixed(2)}/${p.totalKimg} kimg · ${p.imgPerSec.toFixed(1)} img/s${losses}${eta} · ${p.engine ?? p.backend}` : (p.message ?? p.phase));
        }, ctx.signal);
        if (this.project) this.registerModels(this.project);
        return result;
      });
      return { jobId: id, modelId: outId, runDir };
    },

    'job.cancel': (r) => ({ cancelled: this.jobs.cancel(r.id) }),
  };
}
