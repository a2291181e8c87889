import { z } from 'zod';
import { AssetHash, Layer, LayerId } from '../api/schemas.js';

/**
 * The shape of every op kind at its current version. These are the only definition of what an edit row's
 * `params` may hold: the log is validated against them when it is read and before anything is written, so a
 * change of shape cannot silently break old project files — it needs a version bump and an upgrade in
 * `op-versions.ts`.
 */
const Model = z.object({ id: z.string(), hash: z.string() });
const Size = z.object({ width: z.number().int().positive(), height: z.number().int().positive() });

export const LayerAddV1 = z.object({
  kind: z.literal('layer.add'),
  layer: Layer,
  /** The first image of an empty project sizes the document. */
  docSize: Size.optional(),
});

export const LayerUpdateV1 = z.object({
  kind: z.literal('layer.update'),
  id: LayerId,
  patch: Layer.pick({ name: true, x: true, y: true, visible: true, opacity: true }).partial(),
});

export const LayerReorderV1 = z.object({ kind: z.literal('layer.reorder'), id: LayerId, index: z.number().int().min(0) });

export const LayerDeleteV1 = z.object({ kind: z.literal('layer.delete'), id: LayerId });

export const InpaintV1 = z.object({
  kind: z.literal('inpaint'),
  /** The filled copy, placed right above its source layer; the source is never modified. */
  layer: Layer,
  sourceId: LayerId,
  /** Mask in the source layer's pixels, white = filled; stored as an asset so the edit can be re-rendered. */
  maskHash: AssetHash,
  model: Model,
  params: z.object({ margin: z.number(), feather: z.number() }),
});

/** A generated sample placed as a layer linked to its latent (layer.latent). */
export const LatentPlaceV1 = z.object({
  kind: z.literal('latent.place'),
  layer: Layer.required({ latent: true }),
  label: z.string(),
});

/** A latent-space edit of a generated layer (slider, mix, variation): new latent, new render. */
export const LatentEditV1 = z.object({
  kind: z.literal('latent.edit'),
  id: LayerId,
  latentHash: AssetHash,
  assetHash: AssetHash,
  label: z.string(),
  /** What was asked (sliders, mixes), for the record; the latent itself is what re-renders. */
  edit: z.record(z.string(), z.unknown()),
});

/**
 * A latent edit applied only inside a mask: the edited render blended into the layer with an inner feather, the
 * seam healed by an inpainter. The layer keeps its latent (most of it still is that latent's render).
 */
export const LatentLocalV1 = z.object({
  kind: z.literal('latent.local'),
  id: LayerId,
  editedLatentHash: AssetHash,
  assetHash: AssetHash,
  maskHash: AssetHash,
  label: z.string(),
  feather: z.number(),
  heal: z.object({ model: Model, band: z.number() }).nullable(),
});

export const OpSchema = z.discriminatedUnion('kind', [
  LayerAddV1, LayerUpdateV1, LayerReorderV1, LayerDeleteV1, InpaintV1, LatentPlaceV1, LatentEditV1, LatentLocalV1,
]);

/** The operations an edit can record, at their current versions. */
export type Op = z.infer<typeof OpSchema>;
export type OpKind = Op['kind'];
