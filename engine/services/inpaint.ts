import type { ProjectState } from '../api/index.js';
import { EngineError } from '../api/errors.js';
import { decodeRgba, encodePng, holdsPixels } from '../image/composite.js';
import { decodeMask, encodeMaskPng, inpaintRaster, type InpaintParams } from '../edit/inpaint.js';
import { inpaintModel } from '../edit/inpaint-model.js';
import { newLayerId } from '../store/project-store.js';
import type { EngineContext, Rerenderer, ServiceHandlers } from './context.js';
import type { ModelsService } from './models.js';

/**
 * Object removal: fills the painted pixels of a layer (engine/edit/inpaint.ts, docs/ARCHITECTURE.md "Inpainting
 * pipeline") into a new layer above it, recorded as an `inpaint` edit that re-renders from its inputs.
 */
export class InpaintService {
  constructor(private readonly ctx: EngineContext, private readonly models: ModelsService) {}

  async run(layerId: string, maskBytes: Uint8Array, opts: { modelId?: string } & InpaintParams): Promise<ProjectState> {
    const store = this.ctx.project.get();
    const source = store.state().layers.find((l) => l.id === layerId);
    if (!source) throw new EngineError('not_found', `no layer ${layerId} in this project`);
    const model = await this.models.inpainter(opts.modelId);
    const mask = await decodeMask(maskBytes, source.width, source.height);
    const img = await decodeRgba(store.getAsset(source.assetHash).bytes);
    const params = { margin: opts.margin, feather: opts.feather };
    const filled = await this.ctx.jobs.run('inpaint', (job) =>
      inpaintRaster(img, mask, inpaintModel(model), params, (done, total) => job.progress(done, total, `region ${Math.min(done + 1, total)} of ${total}`), job.signal));
    const maskPng = await encodeMaskPng(mask, source.width, source.height);
    this.models.register(store, model);
    return this.ctx.changed(store.commit((_doc, [resultHash, maskHash]) => ({
      kind: 'inpaint', sourceId: source.id, maskHash: maskHash!, model: { id: model.card.id, hash: model.card.hash }, params,
      layer: {
        ...source, id: newLayerId(), name: `${source.name} · inpainted`, assetHash: resultHash!, visible: true, opacity: 1,
        // A filled generated layer is its latent's render plus the fill: latent edits may apply inside masks only.
        ...(source.latent ? { latent: { ...source.latent, localEdits: (source.latent.localEdits ?? 0) + 1 } } : {}),
      },
    }), [
      { kind: 'image', mime: 'image/png', width: source.width, height: source.height, bytes: await encodePng(filled, source.width, source.height) },
      { kind: 'mask', mime: 'image/png', width: source.width, height: source.height, bytes: maskPng },
    ]));
  }

  /** A recorded inpaint computed again from its source, mask and model (by hash). */
  readonly rerender: Rerenderer<'inpaint'> = async (op, before, store) => {
    const model = await this.models.byHash(op.model.hash, `inpainter (${op.model.id})`);
    const source = before.layers.find((l) => l.id === op.sourceId);
    if (!source) throw new EngineError('not_found', `the layer this inpaint filled (${op.sourceId}) is not in the project before it`);
    const img = await decodeRgba(store.getAsset(source.assetHash).bytes);
    const mask = await decodeMask(store.getAsset(op.maskHash).bytes, source.width, source.height);
    const filled = await inpaintRaster(img, mask, inpaintModel(model), op.params);
    return { identical: await holdsPixels(store.getAsset(op.layer.assetHash).bytes, filled), png: await encodePng(filled, source.width, source.height) };
  };

  readonly handlers: ServiceHandlers<'inpaint.run'> = {
    'inpaint.run': (r) => this.run(r.layerId, r.mask, { modelId: r.modelId, margin: r.margin, feather: r.feather }),
  };
}
