import type { ProjectState } from '../../api/index.js';
import { EngineError } from '../../api/errors.js';
import { applyDirection, mixRows, zFromSeed, type LayerRange } from '../../edit/latent-space.js';
import { freeSpot } from '../../edit/placement.js';
import { encode, mosaic, type Raster } from '../../image/raster.js';
import { newLayerId } from '../../store/project-store.js';
import type { EngineContext } from '../context.js';
import type { Generators } from './generators.js';

export interface PlaceOptions { modelId?: string; seed?: number; latent?: Float32Array; psi: number; display: number; name?: string }

/**
 * Drawing from a generator: the seed grid, placing a sample as a layer linked to its latent, Artbreeder's
 * variations, DCGAN's analogy and StyleGAN's style-mixing figure.
 */
export class Sampling {
  constructor(private readonly ctx: EngineContext, private readonly gens: Generators) {}

  async sample(modelId: string | undefined, seeds: number[], psi: number, display?: number): Promise<{ images: Uint8Array[]; size: number }> {
    const r = await this.gens.runner(modelId);
    const rgb = await r.synthesize(await r.wsForSeeds(seeds, psi));
    return { images: await Promise.all(rgb.map((x) => r.png(x, display ?? r.resolution))), size: display ?? r.resolution };
  }

  /** Places a sample (from a seed, or a given w+ latent) as a new layer linked to its latent. */
  async place(opts: PlaceOptions): Promise<ProjectState> {
    const r = await this.gens.runner(opts.modelId);
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
    const store = this.ctx.project.get();
    const latentHash = store.putLatent(r.hash, r.numWs, r.wDim, ws, origin);
    const name = opts.name ?? (opts.seed !== undefined ? `${r.model.card.id} seed ${opts.seed}` : `${r.model.card.id} sample`);
    return this.ctx.changed(store.commit((doc, [assetHash]) => ({
      kind: 'latent.place', label: `Place ${name}`,
      layer: {
        // One edit, at a spot that covers no other sample (placed samples used to stack on the centre).
        id: newLayerId(), name, assetHash: assetHash!, width: opts.display, height: opts.display,
        ...freeSpot(doc, opts.display, opts.display), visible: true, opacity: 1,
        latent: { modelId: r.model.card.id, modelHash: r.hash, latentHash, display: opts.display },
      },
    }), [{ kind: 'image', mime: 'image/png', width: opts.display, height: opts.display, bytes: png }]));
  }

  /** Artbreeder's children: small random steps in w from a generated layer, returned unplaced. */
  async variations(layerId: string, count: number, strength: number, seed: number): Promise<{ images: Uint8Array[]; latents: Float32Array[] }> {
    const { ws, runner } = await this.gens.layerLatent(layerId);
    const latents = Array.from({ length: count }, (_, k) => {
      const step = zFromSeed(seed * 1000 + k, runner.wDim);
      return applyDirection(ws, runner.wDim, step, strength, { start: 0, end: runner.numWs - 1 });
    });
    const rgb = await runner.synthesize(latents);
    return { images: await Promise.all(rgb.map((x) => runner.png(x))), latents };
  }

  /** DCGAN's analogy A − B + C, placed as a new layer. */
  async analogy(a: string, b: string, c: string, display: number): Promise<ProjectState> {
    const [A, B, C] = await Promise.all([a, b, c].map((id) => this.gens.layerLatent(id)));
    if (A!.runner.hash !== B!.runner.hash || A!.runner.hash !== C!.runner.hash) throw new EngineError('bad_request', 'an analogy needs three samples of the same model');
    const ws = A!.ws.map((v, i) => v - B!.ws[i]! + C!.ws[i]!);
    return this.place({ modelId: A!.runner.model.card.id, latent: ws, psi: 1, display, name: `${A!.layer.name} − ${B!.layer.name} + ${C!.layer.name}` });
  }

  /** StyleGAN's mixing figure: row seeds give the rows in `range`, column seeds the rest; the sources along the edges. */
  async mixGrid(modelId: string | undefined, rows: number[], cols: number[], range: LayerRange, psi: number, cell: number): Promise<Uint8Array> {
    const r = await this.gens.runner(modelId);
    this.gens.rows(r, range.start, range.end);
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
}
