import type { ProjectState } from '../api/index.js';
import { normaliseImage } from '../image/decode.js';
import { newLayerId } from '../store/project-store.js';
import type { EngineContext, ServiceHandlers } from './context.js';

/** Ordinary layers: importing images, moving, hiding, fading, renaming, reordering, deleting; asset bytes. */
export class LayersService {
  constructor(private readonly ctx: EngineContext) {}

  /** Decodes an image and adds it as the top layer, centred; the first image of an empty project sizes it. */
  async import(name: string, bytes: Uint8Array): Promise<ProjectState> {
    const store = this.ctx.project.get();
    const img = await normaliseImage(bytes, name);
    return this.ctx.changed(store.commit((doc, [assetHash]) => {
      const docSize = doc.layers.length === 0 ? { width: img.width, height: img.height } : undefined;
      const w = docSize?.width ?? doc.width, h = docSize?.height ?? doc.height;
      return {
        kind: 'layer.add',
        docSize,
        layer: {
          id: newLayerId(), name, assetHash: assetHash!, width: img.width, height: img.height,
          x: Math.round((w - img.width) / 2), y: Math.round((h - img.height) / 2), visible: true, opacity: 1,
        },
      };
    }, [{ kind: 'image', mime: 'image/png', width: img.width, height: img.height, bytes: img.png }]));
  }

  readonly handlers: ServiceHandlers<'layer.import' | 'layer.update' | 'layer.reorder' | 'layer.delete' | 'asset.get'> = {
    'layer.import': (r) => this.import(r.name, r.bytes),
    'layer.update': (r) => this.ctx.changed(this.ctx.project.get().commit(() => ({ kind: 'layer.update', id: r.id, patch: r.patch }))),
    'layer.reorder': (r) => this.ctx.changed(this.ctx.project.get().commit(() => ({ kind: 'layer.reorder', id: r.id, index: r.index }))),
    'layer.delete': (r) => this.ctx.changed(this.ctx.project.get().commit(() => ({ kind: 'layer.delete', id: r.id }))),
    'asset.get': (r) => {
      const a = this.ctx.project.get().getAsset(r.hash);
      return { bytes: a.bytes, mime: a.mime };
    },
  };
}
