import { encode, raster, resize, toChannels, type Raster } from '../image/raster.js';
import { EngineError } from '../api/errors.js';
import { readWeights } from '../nets/weights.js';
import type { LoadedModel } from '../runtime/registry.js';
import { broadcast, zFromSeed } from './latent-space.js';

/**
 * A style-based generator package, run through onnxruntime: z → w (mapping, with truncation), ws → RGB images
 * (synthesis). Renders are deterministic: the exported synthesis uses its stored noise.
 */
export class GeneratorRunner {
  readonly zDim: number;
  readonly wDim: number;
  readonly numWs: number;
  readonly resolution: number;

  constructor(readonly model: LoadedModel) {
    const g = model.card.generator;
    if (model.card.kind !== 'generator' || !model.sessions.mapping || !model.sessions.synthesis || !g?.wDim || !g.numWs) {
      throw new EngineError('bad_request', `${model.card.id} is not a style-based generator (it needs mapping and synthesis graphs)`);
    }
    this.zDim = g.zDim;
    this.wDim = g.wDim;
    this.numWs = g.numWs;
    this.resolution = model.card.resolution;
  }

  get hash(): string {
    return this.model.card.hash;
  }

  async mapping(zs: Float32Array[], psi: number): Promise<Float32Array[]> {
    const z = new Float32Array(zs.length * this.zDim);
    zs.forEach((v, i) => z.set(v, i * this.zDim));
    const { w } = await this.model.sessions.mapping!.run({ z: { data: z, dims: [zs.length, this.zDim] }, psi: { data: new Float32Array([psi]), dims: [1] } });
    return zs.map((_, i) => w!.data.slice(i * this.wDim, (i + 1) * this.wDim));
  }

  async wsForSeeds(seeds: number[], psi: number): Promise<Float32Array[]> {
    const ws = await this.mapping(seeds.map((s) => zFromSeed(s, this.zDim)), psi);
    return ws.map((w) => broadcast(w, this.numWs));
  }

  /** w+ latents → RGB bytes, res × res × 3 each, in batches of 16. */
  async synthesize(latents: Float32Array[]): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    const per = this.numWs * this.wDim, r = this.resolution;
    for (let b = 0; b < latents.length; b += 16) {
      const part = latents.slice(b, b + 16);
      const ws = new Float32Array(part.length * per);
      part.forEach((l, i) => {
        if (l.length !== per) throw new EngineError('bad_request', `a latent of ${l.length} values does not fit ${this.model.card.id} (${this.numWs}×${this.wDim})`);
        if (!l.every(Number.isFinite)) throw new EngineError('bad_request', 'the latent contains NaN or infinite values');
        ws.set(l, i * per);
      });
      const { image } = await this.model.sessions.synthesis!.run({ ws: { data: ws, dims: [part.length, this.numWs, this.wDim] } });
      for (let i = 0; i < part.length; i++) {
        const rgb = new Uint8Array(r * r * 3);
        for (let c = 0; c < 3; c++) for (let p = 0; p < r * r; p++) {
          rgb[p * 3 + c] = Math.max(0, Math.min(255, Math.round((image!.data[(i * 3 + c) * r * r + p]! + 1) * 127.5)));
        }
        out.push(rgb);
      }
    }
    return out;
  }

  /** RGB at the model's size → PNG at `display` px (nearest-neighbour, so pixels stay crisp). */
  async png(rgb: Uint8Array, display = this.resolution): Promise<Uint8Array> {
    return encode(toChannels(await this.tile(rgb, display), 4), 'png');
  }

  /** RGB at the model's size → a raster at `display` px (nearest-neighbour). */
  async tile(rgb: Uint8Array, display = this.resolution): Promise<Raster> {
    return resize(raster(rgb, this.resolution, this.resolution, 3), display, display, 'nearest');
  }

  async rgba(rgb: Uint8Array): Promise<Uint8Array> {
    const out = new Uint8Array(this.resolution * this.resolution * 4);
    for (let p = 0; p < this.resolution * this.resolution; p++) {
      out.set(rgb.subarray(p * 3, p * 3 + 3), p * 4);
      out[p * 4 + 3] = 255;
    }
    return out;
  }

  /** The style (affine) weights of the synthesis convs whose ws rows fall in [start, end], for SeFa. */
  affineWeights(start: number, end: number): { data: Float32Array; inDim: number; outDim: number }[] {
    if (!this.model.weights) throw new EngineError('bad_request', `${this.model.card.id} ships no weights, so SeFa cannot read its style layers`);
    const weights = readWeights(this.model.weights);
    const out: { data: Float32Array; inDim: number; outDim: number }[] = [];
    // Row of each conv: block 0's conv1 is row 0; block k's conv0 and conv1 are rows 2k−1 and 2k.
    for (let row = start; row <= end; row++) {
      const name = row === 0 ? 'G_ema.synthesis.blocks.0.conv1.conv.affine.weight'
        : `G_ema.synthesis.blocks.${Math.ceil(row / 2)}.${row % 2 === 1 ? 'conv0' : 'conv1'}.conv.affine.weight`;
      const t = weights.get(name);
      if (t) out.push({ data: t.data, inDim: t.shape[0]!, outDim: t.shape[1]! });
    }
    if (out.length === 0) throw new EngineError('bad_request', `no style layers in rows ${start}–${end}`);
    return out;
  }
}
