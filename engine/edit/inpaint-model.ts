/**
 * What the inpainting pipeline (inpaint.ts) needs from a model, whatever its file's conventions: a fill for an
 * RGB crop and its hole, at a size the model accepts. Ganvas's own inpainters take floats in [-1, 1] and a
 * 1 = hole mask; imported ones (MI-GAN pipelines, LaMa exports) record their conventions in model.json and get
 * their own adapter here, so the pipeline never knows which it is running.
 */
import { EngineError } from '../api/errors.js';
import { raster, type Raster } from '../image/raster.js';
import { decodeOutput, encodeInputs } from '../runtime/inpainter-io.js';
import type { InpainterIo } from '../runtime/package.js';
import type { LoadedModel } from '../runtime/registry.js';
import { pyramidFill } from './pyramid-fill.js';

export interface InpaintSizing {
  /** The longest side the model runs at; a larger crop is scaled down to it (the model card states it). */
  maxSide: number;
  /** Working sizes are rounded to a multiple of this (the net's total stride). */
  multiple: number;
  /** Set when the model only runs at one square size (e.g. an ONNX export with the FFT sized in). */
  fixed: number | null;
}

export interface InpaintModel {
  readonly sizing: InpaintSizing;
  /**
   * rgb: a 3-channel crop at a size `sizing` allows (its hole already holding the `prefill`, where the model has
   * one: the pipeline puts it there); hole: 1 channel of the same size, 255 = fill, 0 = keep.
   * Returns a 3-channel raster of the same size whose hole pixels are the model's fill (others are ignored).
   */
  fill(rgb: Raster, hole: Raster): Promise<Raster>;
  /**
   * Set for nets that refine a classical fill (model.json `inpainter.prefill`): that fill. The pipeline computes
   * it once per crop and hands it to `fill`; when a crop runs scaled down, it takes the detail from it at the
   * crop's own resolution and only the net's correction from the working size (inpaint.ts).
   */
  readonly prefill?: (rgb: Raster, hole: Raster) => Raster;
}

/** The working size for a crop: its own aspect and scale, shrunk only to fit the model's cap. */
export function workingSize(width: number, height: number, s: InpaintSizing): { width: number; height: number } {
  if (s.fixed) return { width: s.fixed, height: s.fixed };
  const scale = Math.min(1, s.maxSide / Math.max(width, height));
  const round = (v: number) => Math.max(s.multiple, Math.round((v * scale) / s.multiple) * s.multiple);
  return { width: round(width), height: round(height) };
}

/** The classical fill a card asks its net to refine (model.json `inpainter.prefill`), if any. */
const prefillOf = (card: LoadedModel['card']): Pick<InpaintModel, 'prefill'> => (card.inpainter?.prefill === 'pyramid' ? { prefill: pyramidFill } : {});

/** Ganvas's own inpainter graph: image [1, 3, H, W] in [-1, 1] and mask [1, 1, H, W] (1 = hole) → image. */
function ganvasInpainter(model: LoadedModel): InpaintModel {
  const session = model.sessions.inpainter!;
  const card = model.card;
  return {
    sizing: { maxSide: card.inpainter?.maxSide ?? card.resolution, multiple: card.inpainter?.multiple ?? 4, fixed: null },
    ...prefillOf(card),
    async fill(rgb, hole) {
      const { width: w, height: h } = rgb;
      const n = w * h;
      const image = new Float32Array(3 * n), mask = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        mask[i] = hole.data[i]! ? 1 : 0;
        for (let c = 0; c < 3; c++) image[c * n + i] = rgb.data[i * 3 + c]! / 127.5 - 1;
      }
      const out = await session.run({ image: { data: image, dims: [1, 3, h, w] }, mask: { data: mask, dims: [1, 1, h, w] } });
      const result = out[session.outputNames[0]!]!;
      if (result.data.length !== 3 * n) throw new EngineError('bad_model', `${card.id} returned ${result.dims.join('×')} for a ${w}×${h} input`);
      const fill = new Uint8Array(3 * n);
      for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) {
        fill[i * 3 + c] = Math.max(0, Math.min(255, Math.round((result.data[c * n + i]! + 1) * 127.5)));
      }
      return raster(fill, w, h, 3);
    },
  };
}

/**
 * An imported inpainter, through the conventions its card records (model.json `inpainter.io`, established at
 * import by engine/runtime/inpainter-io.ts): element types, value ranges, mask values, layout, rounding. An
 * MI-GAN pipeline takes any size (it crops and resizes inside), so crops go in at their own size up to maxSide;
 * a LaMa export with its FFT sized in runs at `fixed` only.
 */
function importedInpainter(model: LoadedModel, io: InpainterIo): InpaintModel {
  const session = model.sessions.inpainter!;
  const card = model.card;
  const fixed = card.inpainter?.fixed ?? null;
  return {
    sizing: fixed
      ? { maxSide: fixed, multiple: 1, fixed }
      : { maxSide: card.inpainter?.maxSide ?? card.resolution, multiple: card.inpainter?.multiple ?? 1, fixed: null },
    ...prefillOf(card),
    async fill(rgb, hole) {
      const { width: w, height: h } = rgb;
      if (rgb.channels !== 3 || hole.channels !== 1 || hole.width !== w || hole.height !== h) {
        throw new Error(`fill: needs RGB and a 1-channel hole of the same size (got ${w}×${h}×${rgb.channels} and ${hole.width}×${hole.height}×${hole.channels})`);
      }
      if (fixed && (w !== fixed || h !== fixed)) throw new EngineError('bad_request', `${card.id} runs at ${fixed}×${fixed} only, not ${w}×${h}`);
      const out = await session.runTensors(encodeInputs(io, rgb.data, hole.data, w, h));
      const result = out[io.names.output];
      if (!result) throw new EngineError('bad_model', `${card.id} returned no output ${io.names.output}`);
      return raster(decodeOutput(io, result, w, h, card.id), w, h, 3);
    },
  };
}

/** The adapter for an installed inpainter package, chosen by the I/O conventions its card records. */
export function inpaintModel(model: LoadedModel): InpaintModel {
  if (model.card.kind !== 'inpainter' || !model.sessions.inpainter) {
    throw new EngineError('bad_request', `${model.card.id} is a ${model.card.kind}, not an inpainter`);
  }
  const io = model.card.inpainter?.io;
  return io ? importedInpainter(model, io) : ganvasInpainter(model);
}
