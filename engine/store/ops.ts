import { EngineError } from '../api/errors.js';
import type { Layer } from '../api/schemas.js';
import type { Op } from './op-schemas.js';

/**
 * The state at any edit is the fold of `applyOp` over the path from the root to it, so every step can be
 * re-rendered and undo is only a pointer move. The ops' shapes and versions live in op-schemas.ts / op-versions.ts.
 */
export type { Op } from './op-schemas.js';

export interface DocState {
  width: number;
  height: number;
  layers: Layer[];
}

function indexOf(state: DocState, id: string): number {
  const i = state.layers.findIndex((l) => l.id === id);
  if (i < 0) throw new EngineError('not_found', `no layer ${id} in this project`);
  return i;
}

export function applyOp(state: DocState, op: Op): DocState {
  switch (op.kind) {
    case 'layer.add':
      return {
        width: op.docSize?.width ?? state.width,
        height: op.docSize?.height ?? state.height,
        layers: [...state.layers, op.layer],
      };
    case 'layer.update': {
      const i = indexOf(state, op.id);
      const layers = state.layers.slice();
      layers[i] = { ...layers[i]!, ...op.patch };
      return { ...state, layers };
    }
    case 'layer.reorder': {
      const layers = state.layers.slice();
      const [moved] = layers.splice(indexOf(state, op.id), 1);
      layers.splice(Math.min(op.index, layers.length), 0, moved!);
      return { ...state, layers };
    }
    case 'layer.delete':
      indexOf(state, op.id);
      return { ...state, layers: state.layers.filter((l) => l.id !== op.id) };
    case 'latent.place':
      return { ...state, layers: [...state.layers, op.layer] };
    case 'latent.edit': {
      const i = indexOf(state, op.id);
      const layer = state.layers[i]!;
      if (!layer.latent) throw new EngineError('bad_request', `${layer.name} was not drawn by a generator`);
      const layers = state.layers.slice();
      layers[i] = { ...layer, assetHash: op.assetHash, latent: { ...layer.latent, latentHash: op.latentHash } };
      return { ...state, layers };
    }
    case 'latent.local': {
      const i = indexOf(state, op.id);
      const layer = state.layers[i]!;
      const layers = state.layers.slice();
      // The layer keeps its latent, counting the local edits over its render (a whole-layer edit would redraw them).
      layers[i] = { ...layer, assetHash: op.assetHash, ...(layer.latent ? { latent: { ...layer.latent, localEdits: (layer.latent.localEdits ?? 0) + 1 } } : {}) };
      return { ...state, layers };
    }
    case 'inpaint': {
      const layers = state.layers.slice();
      layers.splice(indexOf(state, op.sourceId) + 1, 0, op.layer);
      return { ...state, layers };
    }
  }
}

/** A short, human label for the history panel and the undo tooltip. */
export function describeOp(op: Op, state: DocState): string {
  const name = (id: string) => state.layers.find((l) => l.id === id)?.name ?? id;
  switch (op.kind) {
    case 'layer.add':
      return `Import ${op.layer.name}`;
    case 'layer.update': {
      const p = op.patch;
      if (p.visible !== undefined) return `${p.visible ? 'Show' : 'Hide'} ${name(op.id)}`;
      if (p.x !== undefined || p.y !== undefined) return `Move ${name(op.id)}`;
      if (p.opacity !== undefined) return `Opacity ${Math.round(p.opacity * 100)}% ${name(op.id)}`;
      if (p.name !== undefined) return `Rename ${name(op.id)} to ${p.name}`;
      return `Edit ${name(op.id)}`;
    }
    case 'layer.reorder':
      return `Reorder ${name(op.id)}`;
    case 'layer.delete':
      return `Delete ${name(op.id)}`;
    case 'inpaint':
      return `Inpaint ${name(op.sourceId)}`;
    case 'latent.place':
    case 'latent.edit':
    case 'latent.local':
      return op.label;
  }
}

/** Asset hashes an op depends on, recorded in edit_assets so they are never orphaned. */
export function opAssets(op: Op): Record<string, string> {
  if (op.kind === 'layer.add') return { source: op.layer.assetHash };
  if (op.kind === 'inpaint') return { result: op.layer.assetHash, mask: op.maskHash };
  if (op.kind === 'latent.place') return { source: op.layer.assetHash };
  if (op.kind === 'latent.edit') return { result: op.assetHash };
  if (op.kind === 'latent.local') return { result: op.assetHash, mask: op.maskHash };
  return {};
}
