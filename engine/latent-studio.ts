import type { Direction, Layer, ProjectState } from './api/index.js';
import { EngineError } from './api/errors.js';
import { ganspace, linearBoundary, meanDifference, sefa } from './edit/directions.js';
import { GeneratorRunner } from './edit/generator-runner.js';
import { decodeMask, encodeMaskPng, inpaintRaster } from './edit/inpaint.js';
import { inpaintModel } from './edit/inpaint-model.js';
import { cover, decode, encode, fitInside, mosaic, raster, type Raster } from './image/raster.js';
import { featherInside, seamBand } from './edit/mask-regions.js';
import { decodeRgba, encodePng } from './image/composite.js';
import { projectImage } from './edit/project.js';
import { detectFace, ffhqQuad, warpQuad } from './edit/face-align.js';
import { encodeGif } from './edit/gif.js';
import { applyDirection, broadcast, lerp, mixRows, presetRange, projectOut, slerp, zFromSeed, type LayerRange } from './edit/latent-space.js';
import type { JobQueue } from './jobs/queue.js';
import type { LoadedModel, ModelRegistry } from './runtime/registry.js';
import { newLayerId, type ProjectStore } from './store/project-store.js';

export interface SliderEdit { directionId?: number; vector?: Float32Array; alpha: number; start: number; end: number }
export interface MixEdit { fromLayerId?: string; fromSeed?: number; start: number; end: number }
export type Keyframe = { seed: number } | { layerId: string };

/** Slider positions are in units of σ along the direction; beyond ±MAX_SIGMAS the generator only breaks. */
const MAX_SIGMAS = 10;

/**
 * The latent studio's engine side: sampling, placing samples as layers linked to their latents, directions
 * (SeFa, GANSpace, from tagged samples), sliders, style mixing, variations and interpolation. Every committed
 * change is an edit whose latent is stored, so reopening re-renders it exactly.
 */
export class LatentStudio {
  private readonly runners = new Map<string, Promise<GeneratorRunner>>();
  /** Loaded runners by model hash: a slider frame finds its generator without listing the installed packages. */
  private readonly byHash = new Map<string, GeneratorRunner>();

  constructor(
    private readonly store: () => ProjectStore,
    private readonly models: ModelRegistry,
    private readonly jobs: JobQueue,
    private readonly changed: (s: ProjectState) => ProjectState,
  ) {}

  runner(modelId?: string): Promise<GeneratorRunner> {
    const id = modelId ?? this.models.list().models.find((m) => m.kind === 'generator' && m.styleBased)?.id;
    if (!id) throw new EngineError('not_found', 'no style-based generator is installed');
    let r = this.runners.get(id);
    if (!r) {
      r = this.models.get(id).then((m) => {
        const runner = new GeneratorRunner(m);
        this.byHash.set(runner.hash, runner);
        return runner;
      });
      this.runners.set(id, r);
      r.catch(() => this.runners.delete(id));
    }
    return r;
  }

  private async runnerByHash(hash: string): Promise<GeneratorRunner> {
    const loaded = this.byHash.get(hash);
    if (loaded) return loaded;
    const m = this.models.list().models.find((x) => x.hash === hash);
    if (!m) throw new EngineError('not_found', `the generator this latent belongs to (${hash.slice(0, 12)}) is not installed`);
    return this.runner(m.id);
  }

  /** The generated layer, its latent and the generator that draws it. */
  async layerLatent(layerId: string): Promise<{ layer: Layer; ws: Float32Array; runner: GeneratorRunner }> {
    const layer = this.store().layers().find((l) => l.id === layerId);
    if (!layer) throw new EngineError('not_found', `no layer ${layerId} in this project`);
    if (!layer.latent) throw new EngineError('bad_request', `${layer.name} was not drawn by a generator, so it has no latent to edit`);
    const runner = await this.runnerByHash(layer.latent.modelHash);
    return { layer, ws: this.store().getLatent(layer.latent.latentHash).data, runner };
  }

  async sample(modelId: string | undefined, seeds: number[], psi: number, display?: number): Promise<{ images: Uint8Array[]; size: number }> {
    const r = await this.runner(modelId);
    const rgb = await r.synthesize(await r.wsForSeeds(seeds, psi));
    return { images: await Promise.all(rgb.map((x) => r.png(x, display ?? r.resolution))), size: display ?? r.resolution };
  }

  /** Places a sample (from a seed, or a given w+ latent) as a new layer linked to its latent. */
  async place(opts: { modelId?: string; seed?: number; latent?: Float32Array; psi: number; display: number; name?: string }): Promise<ProjectState> {
    const r = await this.runner(opts.modelId);
    let ws: Float32Array;
    let origin: Record<string, unknown>;
    if (opts.latent) {
      ws = opts.latent;
      origin = { kind: 'given' };
    } else if (opts.seed !== undefined) {
      [ws] = await r.wsForSeeds([opts.seed], opts.psi) as [Float32Array];
      origin = { kind: 'seed', seed: opts.seed, psi: opts.psi };
    } else throw new EngineError('bad_request', 'place needs a seed or a latent');
    const [rgb] = await r.synthesize([ws]);
    const png = await r.png(rgb!, opts.display);
    const store = this.store();
    const latentHash = store.putLatent(r.hash, r.numWs, r.wDim, ws, origin);
    const name = opts.name ?? (opts.seed !== undefined ? `${r.model.card.id} seed ${opts.seed}` : `${r.model.card.id} sample`);
    return this.changed(store.commit((doc, [assetHash]) => ({
      kind: 'latent.place', label: `Place ${name}`,
      layer: {
        id: newLayerId(), name, assetHash: assetHash!, width: opts.display, height: opts.display,
        x: Math.round((doc.width - opts.display) / 2), y: Math.round((doc.height - opts.display) / 2), visible: true, opacity: 1,
        latent: { modelId: r.model.card.id, modelHash: r.hash, latentHash, display: opts.display },
      },
    }), [{ kind: 'image', mime: 'image/png', width: opts.display, height: opts.display, bytes: png }]));
  }

  private direction(id: number, runner: GeneratorRunner): Direction {
    const d = this.store().direction(id);
    if (!d) throw new EngineError('not_found', `no direction ${id} in this project`);
    if (d.modelHash !== runner.hash) throw new EngineError('bad_request', `direction "${d.name}" belongs to another model; directions only apply to the generator they were found in`);
    return d;
  }

  /** The latent after sliders and mixes, each checked: unknown or foreign directions are refused, α is clamped. */
  private async edited(ws: Float32Array, runner: GeneratorRunner, sliders: SliderEdit[], mixes: MixEdit[]): Promise<Float32Array> {
    let out = ws;
    const clampRange = (s: number, e: number): LayerRange => {
      if (!(s >= 0 && e < runner.numWs && s <= e)) throw new EngineError('bad_request', `layer range ${s}–${e} is outside 0–${runner.numWs - 1}`);
      return { start: s, end: e };
    };
    for (const s of sliders) {
      const d = s.directionId !== undefined ? this.direction(s.directionId, runner) : null;
      const vector = d?.vector ?? s.vector;
      if (!vector) throw new EngineError('bad_request', 'a slider needs a direction id or a vector');
      if (vector.length !== runner.wDim) throw new EngineError('bad_request', `a direction of ${vector.length} values does not fit ${runner.model.card.id} (w has ${runner.wDim})`);
      const sigma = d?.sigma ?? 1;
      const alpha = Number.isFinite(s.alpha) ? Math.max(-MAX_SIGMAS, Math.min(MAX_SIGMAS, s.alpha)) : 0;
      out = applyDirection(out, runner.wDim, vector, alpha * sigma, clampRange(s.start, s.end));
    }
    for (const m of mixes) {
      const other = m.fromLayerId !== undefined ? (await this.layerLatent(m.fromLayerId)).ws
        : m.fromSeed !== undefined ? (await runner.wsForSeeds([m.fromSeed], 1))[0]! : null;
      if (!other) throw new EngineError('bad_request', 'a mix needs a source layer or seed');
      if (other.length !== out.length) throw new EngineError('bad_request', 'the mix source comes from another model');
      out = mixRows(out, other, runner.wDim, clampRange(m.start, m.end));
    }
    return out;
  }

  /** The history label of sliders and mixes: "SeFa 1 (coarse) +1.5σ, mix rows 0–3". */
  private describe(sliders: SliderEdit[], mixes: MixEdit[], runner: GeneratorRunner): string {
    return [
      ...sliders.map((s) => `${s.directionId !== undefined ? this.direction(s.directionId, runner).name : 'direction'} ${s.alpha >= 0 ? '+' : ''}${+s.alpha.toFixed(2)}σ`),
      ...mixes.map((m) => `mix rows ${m.start}–${m.end}`),
    ].join(', ');
  }

  /** A render of the edited latent, not recorded (slider drags): RGBA at the model's size. */
  async preview(layerId: string, sliders: SliderEdit[], mixes: MixEdit[]): Promise<{ rgba: Uint8Array; width: number; height: number }> {
    const { ws, runner } = await this.layerLatent(layerId);
    const [rgb] = await runner.synthesize([await this.edited(ws, runner, sliders, mixes)]);
    return { rgba: await runner.rgba(rgb!), width: runner.resolution, height: runner.resolution };
  }

  /** Commits sliders and mixes as one edit of the layer: a new latent and its render. */
  async apply(layerId: string, sliders: SliderEdit[], mixes: MixEdit[], label?: string): Promise<ProjectState> {
    const { layer, ws, runner } = await this.layerLatent(layerId);
    const next = await this.edited(ws, runner, sliders, mixes);
    const [rgb] = await runner.synthesize([next]);
    const png = await runner.png(rgb!, layer.latent!.display);
    const store = this.store();
    const latentHash = store.putLatent(runner.hash, runner.numWs, runner.wDim, next, { kind: 'edit', from: layer.latent!.latentHash });
    const text = label ?? this.describe(sliders, mixes, runner);
    return this.changed(store.commit((_doc, [assetHash]) => ({
      kind: 'latent.edit', id: layer.id, latentHash, assetHash: assetHash!, label: `${text || 'Latent edit'} on ${layer.name}`,
      edit: { sliders: sliders.map((s) => ({ directionId: s.directionId, alpha: s.alpha, start: s.start, end: s.end })), mixes },
    }), [{ kind: 'image', mime: 'image/png', width: layer.width, height: layer.height, bytes: png }]));
  }

  /**
   * A slider or mix applied only inside a mask (no anchor has this): the edited render is blended into the
   * layer with an inner feather, then a band around the mask's edge is refilled by the inpainter so no seam
   * shows. Recorded with its mask, both latents and the inpainter's hash, so it re-renders exactly.
   */
  async applyLocal(layerId: string, sliders: SliderEdit[], mixes: MixEdit[], maskBytes: Uint8Array, feather: number, heal: { inpainter: LoadedModel; band: number } | null): Promise<ProjectState> {
    const { layer, ws, runner } = await this.layerLatent(layerId);
    const display = layer.latent!.display;
    const mask = await decodeMask(maskBytes, layer.width, layer.height);
    if (!mask.some((v) => v)) throw new EngineError('bad_request', 'the mask is empty: paint where the edit should apply');
    const next = await this.edited(ws, runner, sliders, mixes);
    const store = this.store();
    const editedLatentHash = store.putLatent(runner.hash, runner.numWs, runner.wDim, next, { kind: 'local-edit', from: layer.latent!.latentHash });
    const base = await decodeRgba(store.getAsset(layer.assetHash).bytes);
    const result = await this.localComposite(base, next, runner, display, mask, feather, heal);

    return this.changed(store.commit((_doc, [assetHash, maskHash]) => ({
      kind: 'latent.local', id: layer.id, editedLatentHash, assetHash: assetHash!, maskHash: maskHash!,
      label: `${this.describe(sliders, mixes, runner) || 'Latent edit'} inside a mask on ${layer.name}`, feather,
      heal: heal ? { model: { id: heal.inpainter.card.id, hash: heal.inpainter.card.hash }, band: heal.band } : null,
    }), [
      { kind: 'image', mime: 'image/png', width: layer.width, height: layer.height, bytes: await encodePng(result, layer.width, layer.height) },
      { kind: 'mask', mime: 'image/png', width: layer.width, height: layer.height, bytes: await encodeMaskPng(mask, layer.width, layer.height) },
    ]));
  }

  async localComposite(base: Raster, latent: Float32Array, runner: GeneratorRunner, display: number, mask: Uint8Array, feather: number, heal: { inpainter: LoadedModel; band: number } | null): Promise<Uint8Array> {
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

  /** Artbreeder's children: small random steps in w from a generated layer, returned unplaced. */
  async variations(layerId: string, count: number, strength: number, seed: number): Promise<{ images: Uint8Array[]; latents: Float32Array[] }> {
    const { ws, runner } = await this.layerLatent(layerId);
    const latents = Array.from({ length: count }, (_, k) => {
      const step = zFromSeed(seed * 1000 + k, runner.wDim);
      return applyDirection(ws, runner.wDim, step, strength, { start: 0, end: runner.numWs - 1 });
    });
    const rgb = await runner.synthesize(latents);
    return { images: await Promise.all(rgb.map((x) => runner.png(x))), latents };
  }

  private async keyLatents(runner: GeneratorRunner, keys: Keyframe[], space: 'z' | 'w', psi: number): Promise<{ z?: Float32Array[]; ws: Float32Array[] }> {
    if (keys.length < 2) throw new EngineError('bad_request', 'interpolation needs at least two keyframes');
    if (space === 'z') {
      // A layer placed from a seed is known in z too; an edited or projected one only in w+.
      const seedOf = (k: Keyframe): number => {
        if ('seed' in k) return k.seed;
        const layer = this.store().layers().find((l) => l.id === k.layerId);
        const origin = layer?.latent ? this.store().getLatent(layer.latent.latentHash).origin : null;
        if (origin?.kind === 'seed' && typeof origin.seed === 'number') return origin.seed;
        throw new EngineError('bad_request', `interpolating in z needs seeds: ${layer?.name ?? k.layerId} is only known in w+ (edited or projected); use w`);
      };
      return { z: keys.map((k) => zFromSeed(seedOf(k), runner.zDim)), ws: [] };
    }
    const ws: Float32Array[] = [];
    for (const k of keys) {
      if ('seed' in k) ws.push((await runner.wsForSeeds([k.seed], psi))[0]!);
      else {
        const l = await this.layerLatent(k.layerId);
        if (l.runner.hash !== runner.hash) throw new EngineError('bad_request', `layer ${l.layer.name} comes from another model`);
        ws.push(l.ws);
      }
    }
    return { ws };
  }

  /** Frames between keyframes (lerp or slerp, in z or w), as an animated GIF and PNG frames, with progress. */
  /** w+ latents at positions ts ∈ [0, 1] along the path through the keyframes (lerp or slerp, in z or w). */
  private async pathLatents(runner: GeneratorRunner, opts: { keys: Keyframe[]; space: 'z' | 'w'; method: 'lerp' | 'slerp'; psi: number }, ts: number[]): Promise<Float32Array[]> {
    const keys = await this.keyLatents(runner, opts.keys, opts.space, opts.psi);
    const mix = opts.method === 'slerp' ? slerp : lerp;
    const segments = opts.keys.length - 1;
    const latents = ts.map((t0) => {
      const t = Math.min(1, Math.max(0, Number.isFinite(t0) ? t0 : 0)) * segments;
      const i = Math.min(segments - 1, Math.floor(t)), u = t - i;
      return keys.z ? mix(keys.z[i]!, keys.z[i + 1]!, u) : mix(keys.ws[i]!, keys.ws[i + 1]!, u);
    });
    return keys.z ? (await runner.mapping(latents, opts.psi)).map((w) => broadcast(w, runner.numWs)) : latents;
  }

  /** One point of the path, for scrubbing the timeline live: RGBA at the model's size. */
  async frame(opts: { modelId?: string; keys: Keyframe[]; t: number; space: 'z' | 'w'; method: 'lerp' | 'slerp'; psi: number }): Promise<{ rgba: Uint8Array; width: number; height: number }> {
    const runner = await this.runner(opts.modelId);
    const [ws] = await this.pathLatents(runner, opts, [opts.t]);
    const [rgb] = await runner.synthesize([ws!]);
    return { rgba: await runner.rgba(rgb!), width: runner.resolution, height: runner.resolution };
  }

  /** Frames between keyframes (lerp or slerp, in z or w), as an animated GIF and PNG frames, with progress. */
  interpolate(opts: { modelId?: string; keys: Keyframe[]; frames: number; space: 'z' | 'w'; method: 'lerp' | 'slerp'; psi: number; display: number; delayMs: number }): Promise<{ gif: Uint8Array; frames: Uint8Array[] }> {
    return this.jobs.run('interpolate', async (ctx) => {
      const runner = await this.runner(opts.modelId);
      const ws = await this.pathLatents(runner, opts, Array.from({ length: opts.frames }, (_, f) => f / Math.max(1, opts.frames - 1)));
      const rgbaFrames: Uint8Array[] = [], pngs: Uint8Array[] = [];
      for (let f = 0; f < ws.length; f += 8) {
        if (ctx.signal.aborted) throw new EngineError('cancelled', 'interpolation was cancelled');
        const rgb = await runner.synthesize(ws.slice(f, f + 8));
        for (const x of rgb) {
          const png = await runner.png(x, opts.display);
          pngs.push(png);
          rgbaFrames.push((await decode(png, { channels: 4 })).data);
        }
        ctx.progress(Math.min(ws.length, f + 8), ws.length, 'rendering frames');
      }
      return { gif: encodeGif(rgbaFrames, opts.display, opts.display, opts.delayMs), frames: pngs };
    });
  }

  /** SeFa or GANSpace directions for a layer range, saved in the project for this model. */
  async computeDirections(modelId: string | undefined, method: 'sefa' | 'ganspace', count: number, range: LayerRange): Promise<Direction[]> {
    const runner = await this.runner(modelId);
    if (range.start < 0 || range.end >= runner.numWs || range.start > range.end) throw new EngineError('bad_request', `layer range ${range.start}–${range.end} is outside 0–${runner.numWs - 1}`);
    const samples = await runner.mapping(Array.from({ length: 2000 }, (_, i) => zFromSeed(1_000_000 + i, runner.zDim)), 1);
    const spread = (d: Float32Array) => {
      const proj = samples.map((w) => w.reduce((s, v, i) => s + v * d[i]!, 0));
      const mean = proj.reduce((a, b) => a + b, 0) / proj.length;
      return Math.sqrt(proj.reduce((a, b) => a + (b - mean) ** 2, 0) / proj.length);
    };
    const found = method === 'sefa'
      ? sefa(runner.affineWeights(range.start, range.end), count).vectors.map((v) => ({ v, sigma: spread(v) }))
      : (() => { const g = ganspace(samples, count); return g.vectors.map((v, i) => ({ v, sigma: g.sigmas[i]! })); })();
    const label = ['coarse', 'middle', 'fine', 'all'].find((p) => { const r = presetRange(p as 'all', runner.numWs); return r.start === range.start && r.end === range.end; }) ?? `rows ${range.start}–${range.end}`;
    const store = this.store();
    return found.map(({ v, sigma }, i) => store.saveDirection({
      name: `${method === 'sefa' ? 'SeFa' : 'GANSpace'} ${i + 1} (${label})`, method, modelHash: runner.hash,
      layerStart: range.start, layerEnd: range.end, sigma, vector: v,
    }));
  }

  /** A direction from samples the user tagged into two sets, as InterFaceGAN or DCGAN derive one. */
  async directionFromSets(opts: { name: string; positive: string[]; negative: string[]; method: 'mean' | 'boundary'; conditionOn?: number; range: LayerRange }): Promise<Direction> {
    if (opts.positive.length === 0 || opts.negative.length === 0) throw new EngineError('bad_request', 'tag at least one sample into each set');
    const pos = await Promise.all(opts.positive.map((id) => this.layerLatent(id)));
    const neg = await Promise.all(opts.negative.map((id) => this.layerLatent(id)));
    const runner = pos[0]!.runner;
    if ([...pos, ...neg].some((x) => x.runner.hash !== runner.hash)) throw new EngineError('bad_request', 'all tagged samples must come from the same model');
    // Each sample's w is the mean of its rows (a placed sample has equal rows; an edited one is summarised).
    const w = (ws: Float32Array) => Float32Array.from({ length: runner.wDim }, (_, i) => { let s = 0; for (let l = 0; l < runner.numWs; l++) s += ws[l * runner.wDim + i]!; return s / runner.numWs; });
    const P = pos.map((x) => w(x.ws)), N = neg.map((x) => w(x.ws));
    let d = opts.method === 'mean' ? meanDifference(P, N) : linearBoundary(P, N);
    if (opts.conditionOn !== undefined) d = projectOut(d, this.direction(opts.conditionOn, runner).vector);
    const proj = [...P, ...N].map((v) => v.reduce((s, x, i) => s + x * d[i]!, 0));
    const mean = proj.reduce((a, b) => a + b, 0) / proj.length;
    const sigma = Math.sqrt(proj.reduce((a, b) => a + (b - mean) ** 2, 0) / proj.length) || 1;
    return this.store().saveDirection({ name: opts.name, method: opts.method, modelHash: runner.hash, layerStart: opts.range.start, layerEnd: opts.range.end, sigma, vector: d });
  }

  /** DCGAN's analogy A − B + C, placed as a new layer. */
  async analogy(a: string, b: string, c: string, display: number): Promise<ProjectState> {
    const [A, B, C] = await Promise.all([a, b, c].map((id) => this.layerLatent(id)));
    if (A!.runner.hash !== B!.runner.hash || A!.runner.hash !== C!.runner.hash) throw new EngineError('bad_request', 'an analogy needs three samples of the same model');
    const ws = A!.ws.map((v, i) => v - B!.ws[i]! + C!.ws[i]!);
    return this.place({ modelId: A!.runner.model.card.id, latent: ws, psi: 1, display, name: `${A!.layer.name} − ${B!.layer.name} + ${C!.layer.name}` });
  }

  /** StyleGAN's mixing figure: row seeds give the rows in `range`, column seeds the rest; the sources along the edges. */
  async mixGrid(modelId: string | undefined, rows: number[], cols: number[], range: LayerRange, psi: number, cell: number): Promise<Uint8Array> {
    const r = await this.runner(modelId);
    const rowWs = await r.wsForSeeds(rows, psi), colWs = await r.wsForSeeds(cols, psi);
    const [rowImgs, colImgs] = await Promise.all([r.synthesize(rowWs), r.synthesize(colWs)]);
    const cells = await r.synthesize(rows.flatMap((_, i) => cols.map((__, j) => mixRows(colWs[j]!, rowWs[i]!, r.wDim, range))));
    const tiles: { r: Raster; x: number; y: number }[] = [];
    const put = async (rgb: Uint8Array, x: number, y: number) => tiles.push({ r: await r.tile(rgb, cell), x: x * cell, y: y * cell });
    for (const [j, img] of colImgs.entries()) await put(img, j + 1, 0);
    for (const [i, img] of rowImgs.entries()) await put(img, 0, i + 1);
    for (let i = 0; i < rows.length; i++) for (let j = 0; j < cols.length; j++) await put(cells[i * cols.length + j]!, j + 1, i + 1);
    return encode(await mosaic((cols.length + 1) * cell, (rows.length + 1) * cell, tiles), 'png');
  }

  /**
   * Projects a photo into the generator (W, then W+) and places the result as a generated layer linked to the
   * found latent, so every latent tool applies to it. A face found by face-api's detector and 68 landmarks is
   * aligned first (the FFHQ crop); with no face, the centre crop is projected and the result says so.
   */
  async project(opts: { image: Uint8Array; modelId?: string; steps: number; display: number; name?: string; align?: boolean }, onPreview?: (p: { step: number; rgba: Uint8Array; width: number; height: number }) => void): Promise<{ state: ProjectState; loss: number; note: string }> {
    const runner = await this.runner(opts.modelId);
    const r = runner.resolution;
    const photo = await fitInside(await decode(opts.image, { name: 'the image to project', channels: 3, background: '#ffffff' }), 1024);
    const { data: rgb, width: w, height: h } = photo;
    const face = opts.align === false ? null : await detectFace(rgb, w, h);
    const square = face ? warpQuad(rgb, w, h, ffhqQuad(face), Math.max(r, 256)) : null;
    const target = (await cover(square ? raster(square, Math.max(r, 256), Math.max(r, 256), 3) : photo, r, r)).data;
    const note = face ? 'aligned on the face found by face-api (68 landmarks, FFHQ crop)'
      : opts.align === false ? 'projected the centre crop (alignment off)' : 'no face found: projected the centre crop without alignment';
    const { ws, loss } = await this.jobs.run('project', async (ctx) => projectImage(runner.model, target, opts.steps, (s, latest) => {
      ctx.progress(s.step, s.total, `${s.phase} step ${s.step}/${s.total} · loss ${s.loss.toFixed(4)}`);
      if (latest && onPreview) void runner.synthesize([latest]).then(async ([rgb]) => onPreview({ step: s.step, rgba: await runner.rgba(rgb!), width: r, height: r }));
    }, ctx.signal));
    const state = await this.place({ modelId: runner.model.card.id, latent: ws, psi: 1, display: opts.display, name: opts.name ?? 'projected photo' });
    return { state, loss, note };
  }

  /** Re-renders a recorded local edit from the layer before it, and compares. */
  async rerenderLocal(before: Layer, op: { editedLatentHash: string; maskHash: string; feather: number; assetHash: string; heal: { model: { id: string; hash: string }; band: number } | null }): Promise<{ identical: boolean; png: Uint8Array }> {
    const store = this.store();
    const stored = store.getLatent(op.editedLatentHash);
    const runner = await this.runnerByHash(stored.modelHash);
    const mask = await decodeMask(store.getAsset(op.maskHash).bytes, before.width, before.height);
    let heal: { inpainter: LoadedModel; band: number } | null = null;
    if (op.heal) {
      const m = this.models.list().models.find((x) => x.hash === op.heal!.model.hash);
      if (!m) throw new EngineError('not_found', `the inpainter this edit used (${op.heal.model.id}) is no longer installed`);
      heal = { inpainter: await this.models.get(m.id), band: op.heal.band };
    }
    const base = await decodeRgba(store.getAsset(before.assetHash).bytes);
    const out = await this.localComposite(base, stored.data, runner, before.latent!.display, mask, op.feather, heal);
    const storedPx = await decodeRgba(store.getAsset(op.assetHash).bytes);
    return { identical: storedPx.data.every((v, i) => v === out[i]), png: await encodePng(out, before.width, before.height) };
  }

  /** Renders a recorded latent edit again and compares it with the stored pixels. */
  async rerender(layer: Layer, latentHash: string): Promise<{ identical: boolean; png: Uint8Array }> {
    const stored = this.store().getLatent(latentHash);
    const runner = await this.runnerByHash(stored.modelHash);
    const [rgb] = await runner.synthesize([stored.data]);
    const png = await runner.png(rgb!, layer.latent!.display);
    const pixels = async (b: Uint8Array) => Buffer.from((await decode(b, { channels: 4 })).data);
    return { identical: (await pixels(png)).equals(await pixels(this.store().getAsset(layer.assetHash).bytes)), png };
  }
}
