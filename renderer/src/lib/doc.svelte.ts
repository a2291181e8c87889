import type { Layer, ProjectState } from '@engine/api';

/** The engine's document as the renderer sees it: frozen, so no component can write it. */
export type Doc = Readonly<Omit<ProjectState, 'layers'>> & { readonly layers: readonly Readonly<Layer>[] };

function freeze<T>(v: T): T {
  if (v && typeof v === 'object' && !ArrayBuffer.isView(v) && !Object.isFrozen(v)) {
    for (const k of Object.keys(v)) freeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
}

/**
 * A read-only mirror of the open project. It is replaced whole, only by the store (Editor.apply) with what the
 * engine replied or pushed (`project.changed`); nothing edits it in place.
 */
export class DocumentMirror {
  #state = $state.raw<Doc | null>(null);
  /**
   * `layerId:assetHash` → the asset the layer showed just before an edit replaced its pixels in place (a latent
   * edit keeps the layer and swaps its asset): what hold-to-compare shows. Recorded on forward steps only (a new
   * edit or a redo), so after an undo the layer is simply its older self again.
   */
  #before = new Map<string, string>();

  get state(): Doc | null {
    return this.#state;
  }

  /** Takes the engine's state; says whether it is another project than the one shown. */
  replace(next: ProjectState): { switched: boolean } {
    const prev = this.#state;
    const switched = prev?.path !== next.path;
    if (switched) this.#before.clear();
    else if (prev && (next.headEditId ?? 0) > (prev.headEditId ?? 0)) {
      const old = new Map(prev.layers.map((l) => [l.id, l.assetHash]));
      for (const l of next.layers) {
        const was = old.get(l.id);
        if (was && was !== l.assetHash && !this.#before.has(`${l.id}:${l.assetHash}`)) this.#before.set(`${l.id}:${l.assetHash}`, was);
      }
    }
    this.#state = freeze(structuredCloneSafe(next));
    return { switched };
  }

  /** The asset a layer showed before the edit that made its current pixels, when that edit kept the layer. */
  previousAsset(layer: Pick<Layer, 'id' | 'assetHash'>): string | null {
    return this.#before.get(`${layer.id}:${layer.assetHash}`) ?? null;
  }
}

/** A shallow copy deep enough that freezing it never freezes the caller's object. */
function structuredCloneSafe(s: ProjectState): ProjectState {
  return { ...s, layers: s.layers.map((l) => ({ ...l, ...(l.latent ? { latent: { ...l.latent } } : {}) })) };
}
