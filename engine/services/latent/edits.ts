import type { ProjectState } from '../../api/index.js';
import { EngineError } from '../../api/errors.js';
import type { GeneratorRunner } from '../../edit/generator-runner.js';
import { decodeMask, encodeMaskPng, inpaintRaster } from '../../edit/inpaint.js';
import { inpaintModel } from '../../edit/inpaint-model.js';
import { applyDirection, mixRows } from '../../edit/latent-space.js';
import { featherInside, seamBand } from '../../edit/mask-regions.js';
import { decodeRgba, encodePng, holdsPixels } from '../../image/composite.js';
import { raster, type Raster } from '../../image/raster.js';
import type { LoadedModel } from '../../runtime/registry.js';
import type { Rerenderer } from '../context.js';
import type { EngineContext } from '../context.js';
import type { ModelsService } from '../models.js';
import type { Generators } from './generators.js';

export interface SliderEdit { directionId?: number; vector?: Float32Array; alpha: number; start: number; end: number }
export interface MixEdit { fromLayerId?: string; fromSeed?: number; start: number; end: number }
type Heal = { inpainter: LoadedModel; band: number } | null;

/** Slider positions are in units of σ along the direction; beyond ±MAX_SIGMAS the generator only breaks. */
const MAX_SIGMAS = 10;
/** The position a slider is applied, labelled and recorded at: clamped, and 0 for a non-number. */
const clampAlpha = (a: number) => (Number.isFinite(a) ? Math.max(-MAX_SIGMAS, Math.min(MAX_SIGMAS, a)) : 0);

/**
 * Editing a generated layer in latent space: sliders along directions and style mixing, previewed live,
 * committed as one edit, or applied only inside a mask with the seam healed by an inpainter.
 */
export class LatentEdits {
  constructor(private readonly ctx: EngineContext, private readonly gens: Generators, private readonly models: ModelsService) {}

  /** The latent after sliders and mixes, each checked: unknown or foreign directions are refused, α is clamped. */
  private async edited(ws: Float32Array, runner: GeneratorRunner, sliders: SliderEdit[], mixes: MixEdit[]): Promise<Float32Array> {
    let out = ws;
    const rows = (s: number, e: number) => this.gens.rows(runner, s, e);
    for (const s of sliders) {
      const d = s.directionId !== undefined ? this.gens.direction(s.directionId, runner) : null;
      const vector = d?.vector ?? s.vector;
      if (!vector) throw new EngineError('bad_request', 'a slider needs a direction id or a vector');
      if (vector.length !== runner.wDim) throw new EngineError('bad_request', `a direction of ${vector.length} values does not fit ${runner.model.card.id} (w has ${runner.wDim})`);
      out = applyDirection(out, runner.wDim, vector, clampAlpha(s.alpha) * (d?.sigma ?? 1), rows(s.start, s.end));
    }
    for (const m of mixes) {
      const source = m.fromLayerId !== undefined ? await this.gens.layerLatent(m.fromLayerId) : null;
      if (source && source.runner.hash !== runner.hash) throw new EngineError('bad_request', `the mix source ${source.layer.name} comes from another model (${source.runner.model.card.id})`);
      const other = source ? source.ws
        : m.fromSeed !== undefined ? (await runner.wsForSeeds([m.fromSeed], 1))[0]! : null;
      if (!other) throw new EngineError('bad_request', 'a mix needs a source layer or seed');
      out = mixRows(out, other, runner.wDim, rows(m.start, m.end));
    }
    return out;
  }

  /** The history label of sliders and mixes: "SeFa 1 (coarse) +1.5σ, mix rows 0–3". */
  private describe(sliders: SliderEdit[], mixes: MixEdit[], runner: GeneratorRunner): string {
    return [
      ...sliders.map((s) => `${s.directionId !== undefined ? this.gens.direction(s.directionId, runner).name : 'direction'} ${clampAlpha(s.alpha) >= 0 ? '+' : ''}${+clampAlpha(s.alpha).toFixed(2)}σ`),
      ...mixes.map((m) => `mix rows ${m.start}–${m.end}`),
    ].join(', ');
  }

  /** A generated layer that a whole-layer edit may redraw: refused when edits inside masks would be lost. */
  private async wholeLayer(layerId: string): ReturnType<Generators['layerLatent']> {
    const found = await this.gens.layerLatent(layerId);
    const n = found.layer.latent!.localEdits;
    if (n) throw new EngineError('bad_request', `${found.layer.name} has ${n} edit${n > 1 ? 's' : ''} inside a mask (or a fill) that a whole-layer edit would redraw: use "Only inside the painted mask", or undo ${n > 1 ? 'them' : 'it'} first`);
    return found;
  }

  /** A render of the edited latent, not recorded (slider drags): RGBA at the model's size. */
  async preview(layerId: string, sliders: SliderEdit[], mixes: MixEdit[]): Promise<{ rgba: Uint8Array; width: number; height: number }> {
    const { ws, runner } = await this.wholeLayer(layerId);
    const [rgb] = await runner.synthesize([await this.edited(ws, runner, sliders, mixes)]);
    return { rgba: await runner.rgba(rgb!), width: runner.resolution, height: runner.resolution };
  }

  /** Commits sliders and mixes as one edit of the layer: a new latent and its render. */
  async apply(layerId: string, sliders: SliderEdit[], mixes: MixEdit[], label?: string): Promise<ProjectState> {
    const { layer, ws, runner } = await this.wholeLayer(layerId);
    const next = await this.edited(ws, runner, sliders, mixes);
    const [rgb] = await runner.synthesize([next]);
    const png = await runner.png(rgb!, layer.latent!.display);
    const store = this.ctx.project.get();
    const latentHash = store.putLatent(runner.hash, runner.numWs, runner.wDim, next, { kind: 'edit', from: layer.latent!.latentHash });
    const text = label ?? this.describe(sliders, mixes, runner);
    return this.ctx.changed(store.commit((_doc, [assetHash]) => ({
      kind: 'latent.edit', id: layer.id, latentHash, assetHash: assetHash!, label: `${text || 'Latent edit'} on ${layer.name}`,
      edit: { sliders: sliders.map((s) => ({ directionId: s.directionId, alpha: clampAlpha(s.alpha), start: s.start, end: s.end })), mixes },
    }), [{ kind: 'image', mime: 'image/png', width: layer.width, height: layer.height, bytes: png }]));
  }

  /**
   * A slider or mix applied only inside a mask (no anchor has this): the edited render is blended into the
   * layer with an inner feather, then a band around the mask's edge is refilled by the inpainter so no seam
   * shows. Recorded with its mask, both latents and the inpainter's hash, so it re-renders exactly.
   */
  async applyLocal(layerId: string, sliders: SliderEdit[], mixes: MixEdit[], maskBytes: Uint8Array, feather: number, heal: { inpainterId?: string; band: number }): Promise<ProjectState> {
    const { layer, ws, runner } = await this.gens.layerLatent(layerId);
    const mask = await decodeMask(maskBytes, layer.width, layer.height);
    if (!mask.some((v) => v)) throw new EngineError('bad_request', 'the mask is empty: paint where the edit should apply');
    const healWith: Heal = heal.band > 0 ? { inpainter: await this.models.inpainter(heal.inpainterId), band: heal.band } : null;
    const next = await this.edited(ws, runner, sliders, mixes);
    const store = this.ctx.project.get();
    const editedLatentHash = store.putLatent(runner.hash, runner.numWs, runner.wDim, next, { kind: 'local-edit', from: layer.latent!.latentHash });
    const base = await decodeRgba(store.getAsset(layer.assetHash).bytes);
    const result = await this.localComposite(base, next, runner, layer.latent!.display, mask, feather, healWith);
    return this.ctx.changed(store.commit((_doc, [assetHash, maskHash]) => ({
      kind: 'latent.local', id: layer.id, editedLatentHash, assetHash: assetHash!, maskHash: maskHash!,
      label: `${this.describe(sliders, mixes, runner) || 'Latent edit'} inside a mask on ${layer.name}`, feather,
      heal: healWith ? { model: { id: healWith.inpainter.card.id, hash: healWith.inpainter.card.hash }, band: healWith.band } : null,
    }), [
      { kind: 'image', mime: 'image/png', width: layer.width, height: layer.height, bytes: await encodePng(result, layer.width, layer.height) },
      { kind: 'mask', mime: 'image/png', width: layer.width, height: layer.height, bytes: await encodeMaskPng(mask, layer.width, layer.height) },
    ]));
  }

  private async localComposite(base: Raster, latent: Float32Array, runner: GeneratorRunner, display: number, mask: Uint8Array, feather: number, heal: Heal): Promise<Uint8Array> {
    const [rgb] = await runner.synthesize([latent]);
    const edited = await decodeRgba(await runner.png(rgb!, display));
    const alpha = featherInside(mask, base.width, base.height, feather);
    const out = new Uint8Array(base.data);
    for (let i = 0; i < alpha.length; i++) {
      const a = alpha[i]!;
      if (a > 0) for (let c = 0; c < 3; c++) out[i * 4 + c] = Math.round(base.data[i * 4 + c]! * (1 - a) + edited.data[i * 4 + c]! * a);
    }
    if (!heal) return out;
    const band = seamBand(mask, base.width, base.height, heal.band);
    return inpaintRaster(raster(out, base.width, base.height, 4), band, inpaintModel(heal.inpainter), { margin: 0.5, feather: 2 });
  }

  /** A placed sample or a latent edit rendered again from its stored latent. */
  private async renderLatent(latentHash: string, display: number, storedAsset: string): Promise<{ identical: boolean; png: Uint8Array }> {
    const store = this.ctx.project.get();
    const stored = store.getLatent(latentHash);
    const runner = await this.gens.runnerByHash(stored.modelHash);
    const [rgb] = await runner.synthesize([stored.data]);
    const png = await runner.png(rgb!, display);
    return { identical: await holdsPixels(store.getAsset(storedAsset).bytes, (await decodeRgba(png)).data), png };
  }

  readonly rerenderPlace: Rerenderer<'latent.place'> = (op) => this.renderLatent(op.layer.latent!.latentHash, op.layer.latent!.display, op.layer.assetHash);

  readonly rerenderEdit: Rerenderer<'latent.edit'> = (op, before) => {
    const layer = before.layers.find((l) => l.id === op.id);
    if (!layer?.latent) throw new EngineError('not_found', `the layer this edit changed (${op.id}) is not a generated layer before it`);
    return this.renderLatent(op.latentHash, layer.latent.display, op.assetHash);
  };

  /** A local edit computed again from the layer before it, its mask, the edited latent and the inpainter by hash. */
  readonly rerenderLocal: Rerenderer<'latent.local'> = async (op, before, store) => {
    const layer = before.layers.find((l) => l.id === op.id);
    if (!layer?.latent) throw new EngineError('not_found', `the layer this edit changed (${op.id}) is not a generated layer before it`);
    const stored = store.getLatent(op.editedLatentHash);
    const runner = await this.gens.runnerByHash(stored.modelHash);
    const mask = await decodeMask(store.getAsset(op.maskHash).bytes, layer.width, layer.height);
    const heal: Heal = op.heal ? { inpainter: await this.models.byHash(op.heal.model.hash, `inpainter (${op.heal.model.id})`), band: op.heal.band } : null;
    const base = await decodeRgba(store.getAsset(layer.assetHash).bytes);
    const out = await this.localComposite(base, stored.data, runner, layer.latent.display, mask, op.feather, heal);
    return { identical: await holdsPixels(store.getAsset(op.assetHash).bytes, out), png: await encodePng(out, layer.width, layer.height) };
  };
}
