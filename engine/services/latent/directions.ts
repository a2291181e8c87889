import type { Direction } from '../../api/index.js';
import { EngineError } from '../../api/errors.js';
import { ganspace, linearBoundary, meanDifference, sefa } from '../../edit/directions.js';
import { presetRange, projectOut, zFromSeed, type LayerRange } from '../../edit/latent-space.js';
import type { EngineContext } from '../context.js';
import type { Generators } from './generators.js';

/** The spread (σ) of samples projected on a direction: slider positions are in units of it. */
function spreadAlong(samples: Float32Array[], d: Float32Array): number {
  const proj = samples.map((w) => w.reduce((s, v, i) => s + v * d[i]!, 0));
  const mean = proj.reduce((a, b) => a + b, 0) / proj.length;
  return Math.sqrt(proj.reduce((a, b) => a + (b - mean) ** 2, 0) / proj.length);
}

/** Directions in w, saved per generator in the project: unsupervised (SeFa, GANSpace) or from tagged samples. */
export class Directions {
  constructor(private readonly ctx: EngineContext, private readonly gens: Generators) {}

  /** SeFa or GANSpace directions for a layer range. */
  async compute(modelId: string | undefined, method: 'sefa' | 'ganspace', count: number, range: LayerRange): Promise<Direction[]> {
    const runner = await this.gens.runner(modelId);
    this.gens.rows(runner, range.start, range.end);
    const samples = await runner.mapping(Array.from({ length: 2000 }, (_, i) => zFromSeed(1_000_000 + i, runner.zDim)), 1);
    const found = method === 'sefa'
      ? sefa(runner.affineWeights(range.start, range.end), count).vectors.map((v) => ({ v, sigma: spreadAlong(samples, v) }))
      : (() => { const g = ganspace(samples, count); return g.vectors.map((v, i) => ({ v, sigma: g.sigmas[i]! })); })();
    const label = (['coarse', 'middle', 'fine', 'all'] as const).find((p) => { const r = presetRange(p, runner.numWs); return r.start === range.start && r.end === range.end; }) ?? `rows ${range.start}–${range.end}`;
    const store = this.ctx.project.get();
    return found.map(({ v, sigma }, i) => store.saveDirection({
      name: `${method === 'sefa' ? 'SeFa' : 'GANSpace'} ${i + 1} (${label})`, method, modelHash: runner.hash,
      layerStart: range.start, layerEnd: range.end, sigma, vector: v,
    }));
  }

  /** A direction from samples the user tagged into two sets, as InterFaceGAN or DCGAN derive one. */
  async fromSets(opts: { name: string; positive: string[]; negative: string[]; method: 'mean' | 'boundary'; conditionOn?: number; range: LayerRange }): Promise<Direction> {
    if (opts.positive.length === 0 || opts.negative.length === 0) throw new EngineError('bad_request', 'tag at least one sample into each set');
    const pos = await Promise.all(opts.positive.map((id) => this.gens.layerLatent(id)));
    const neg = await Promise.all(opts.negative.map((id) => this.gens.layerLatent(id)));
    const runner = pos[0]!.runner;
    if ([...pos, ...neg].some((x) => x.runner.hash !== runner.hash)) throw new EngineError('bad_request', 'all tagged samples must come from the same model');
    this.gens.rows(runner, opts.range.start, opts.range.end);
    // Each sample's w is the mean of its rows (a placed sample has equal rows; an edited one is summarised).
    const w = (ws: Float32Array) => Float32Array.from({ length: runner.wDim }, (_, i) => { let s = 0; for (let l = 0; l < runner.numWs; l++) s += ws[l * runner.wDim + i]!; return s / runner.numWs; });
    const P = pos.map((x) => w(x.ws)), N = neg.map((x) => w(x.ws));
    let d = opts.method === 'mean' ? meanDifference(P, N) : linearBoundary(P, N);
    if (opts.conditionOn !== undefined) d = projectOut(d, this.gens.direction(opts.conditionOn, runner).vector);
    const sigma = spreadAlong([...P, ...N], d) || 1;
    return this.ctx.project.get().saveDirection({ name: opts.name, method: opts.method, modelHash: runner.hash, layerStart: opts.range.start, layerEnd: opts.range.end, sigma, vector: d });
  }

  async list(modelId?: string): Promise<Direction[]> {
    const hash = modelId ? (await this.gens.runner(modelId)).hash : undefined;
    return this.ctx.project.get().directions(hash);
  }
}
