import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ModelInfo } from '../api/index.js';
import { EngineError } from '../api/errors.js';
import { importStyleGanCheckpoint, isStyleGanCheckpointFile } from '../import/import-stylegan.js';
import type { ImportOptions, LoadedModel } from '../runtime/registry.js';
import type { ProjectStore } from '../store/project-store.js';
import type { EngineContext, ServiceHandlers } from './context.js';

export const safeFileName = (name: string) => name.replace(/[^\p{L}\p{N} _.-]+/gu, '_').trim() || 'Untitled';

/**
 * The installed model packages as the features see them: the one place a model is found by id, by hash (what
 * edits record) or by kind, and the place a project learns which model versions it may name.
 */
export class ModelsService {
  constructor(private readonly ctx: EngineContext) {}

  list(): ModelInfo[] {
    return this.ctx.registry.list().models;
  }

  /** The installed package with this content hash (the version an edit or a latent names), if any. */
  findByHash(hash: string): ModelInfo | undefined {
    return this.list().find((x) => x.hash === hash);
  }

  /** The model a recorded edit names by content hash; a clear error when that version is no longer installed. */
  async byHash(hash: string, what = 'model'): Promise<LoadedModel> {
    const m = this.findByHash(hash);
    if (!m) throw new EngineError('not_found', `the ${what} this edit used (${hash.slice(0, 12)}) is no longer installed`);
    return this.ctx.registry.get(m.id);
  }

  /** The inpainter to use: the one asked for, else the first installed (the shipped one on a fresh install). */
  async inpainter(modelId?: string): Promise<LoadedModel> {
    const id = modelId ?? this.list().find((m) => m.kind === 'inpainter')?.id;
    if (!id) throw new EngineError('not_found', 'no inpainter is installed; `ganvas models import` adds one');
    const model = await this.ctx.registry.get(id);
    if (model.card.kind !== 'inpainter') throw new EngineError('bad_request', `${id} is a ${model.card.kind}, not an inpainter`);
    return model;
  }

  /** A project records every model version available to it, so its edits can name them by hash. */
  registerAll(store: ProjectStore | null = this.ctx.project.peek()): void {
    if (!store) return;
    for (const m of this.list()) {
      store.registerModel({ hash: m.hash, id: m.id, kind: m.kind, name: m.name, licence: m.licence, source: m.source, parentHash: m.parent });
    }
  }

  register(store: ProjectStore, model: LoadedModel): void {
    const c = model.card;
    store.registerModel({ hash: c.hash, id: c.id, kind: c.kind, name: c.name, licence: c.licence, source: c.provenance.source, parentHash: c.provenance.parent ?? null });
  }

  private scratch(): string {
    const dir = join(this.ctx.home, 'tmp', `import-${randomBytes(6).toString('hex')}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /**
   * Installs a model from a path: a package folder, a bare ONNX file, or a StyleGAN checkpoint (NVlabs .pkl,
   * rosinality .pt) read without executing anything and converted to ONNX (engine/import) before the
   * registry's own checks.
   */
  async importPath(path: string, opts: ImportOptions & { classIndex?: number } = {}): Promise<ModelInfo> {
    const { classIndex, ...registryOpts } = opts;
    let info: ModelInfo;
    if (isStyleGanCheckpointFile(path)) {
      const scratch = this.scratch();
      try {
        const card = await importStyleGanCheckpoint(path, join(scratch, 'package'), { id: opts.id, name: opts.name, licence: opts.licence, classIndex });
        info = await this.ctx.registry.import(join(scratch, 'package'), { id: card.id, command: opts.command });
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    } else info = await this.ctx.registry.import(path, registryOpts);
    this.registerAll();
    return info;
  }

  /** Installs a model sent as file bytes (dropped on the editor): written under the home, imported, removed. */
  async importFile(name: string, bytes: Uint8Array): Promise<ModelInfo> {
    const dir = this.scratch();
    try {
      const file = join(dir, safeFileName(basename(name)).replace(/^\.+/, '') || 'model');
      writeFileSync(file, bytes);
      return await this.importPath(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  readonly handlers: ServiceHandlers<'models.list' | 'models.importFile'> = {
    'models.list': () => this.list(),
    'models.importFile': (r) => this.importFile(r.name, r.bytes),
  };
}
