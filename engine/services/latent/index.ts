import type { EngineContext, RerenderRegistry, ServiceHandlers } from '../context.js';
import type { ModelsService } from '../models.js';
import { Directions } from './directions.js';
import { LatentEdits } from './edits.js';
import { Generators } from './generators.js';
import { Interpolation } from './interpolation.js';
import { Projection } from './projection.js';
import { Sampling } from './sampling.js';

type LatentMethods =
  | 'latent.sample' | 'latent.place' | 'latent.get' | 'latent.preview' | 'latent.apply' | 'latent.applyLocal' | 'latent.variations'
  | 'latent.interpolate' | 'latent.frame' | 'latent.mixGrid' | 'latent.analogy' | 'latent.project'
  | 'direction.compute' | 'direction.fromSets' | 'direction.list';

/**
 * The latent studio (docs/ARCHITECTURE.md, "Feature services"): sampling, directions, edits, interpolation and
 * projection, each its own module, over the generators they share. Every committed change is an edit whose
 * latent is stored, so reopening re-renders it exactly.
 */
export class LatentService {
  readonly generators: Generators;
  readonly sampling: Sampling;
  readonly edits: LatentEdits;
  readonly directions: Directions;
  readonly interpolation: Interpolation;
  readonly projection: Projection;

  constructor(ctx: EngineContext, models: ModelsService) {
    this.generators = new Generators(ctx, models);
    this.sampling = new Sampling(ctx, this.generators);
    this.edits = new LatentEdits(ctx, this.generators, models);
    this.directions = new Directions(ctx, this.generators);
    this.interpolation = new Interpolation(ctx, this.generators);
    this.projection = new Projection(ctx, this.generators, this.sampling);
    const emit = ctx.emit.bind(ctx);
    this.handlers = {
      'latent.sample': (r) => this.sampling.sample(r.modelId, r.seeds, r.psi, r.display),
      'latent.place': (r) => this.sampling.place(r),
      'latent.get': async (r) => {
        const { ws, runner } = await this.generators.layerLatent(r.layerId);
        return { ws, numWs: runner.numWs, wDim: runner.wDim, modelId: runner.model.card.id, modelHash: runner.hash };
      },
      'latent.preview': (r) => this.edits.preview(r.layerId, r.sliders, r.mixes),
      'latent.apply': (r) => this.edits.apply(r.layerId, r.sliders, r.mixes, r.label),
      'latent.applyLocal': (r) => this.edits.applyLocal(r.layerId, r.sliders, r.mixes, r.mask, r.feather, { inpainterId: r.inpainterId, band: r.healBand }),
      'latent.variations': (r) => this.sampling.variations(r.layerId, r.count, r.strength, r.seed),
      'latent.interpolate': (r) => this.interpolation.interpolate(r),
      'latent.frame': (r) => this.interpolation.frame(r),
      'latent.mixGrid': async (r) => ({ png: await this.sampling.mixGrid(r.modelId, r.rows, r.cols, { start: r.start, end: r.end }, r.psi, r.cell) }),
      'latent.analogy': (r) => this.sampling.analogy(r.a, r.b, r.c, r.display),
      'latent.project': (r) => this.projection.project(r, (p) => emit('projection.preview', p)),
      'direction.compute': (r) => this.directions.compute(r.modelId, r.method, r.count, { start: r.start, end: r.end }),
      'direction.fromSets': (r) => this.directions.fromSets({ ...r, range: { start: r.start, end: r.end } }),
      'direction.list': (r) => this.directions.list(r.modelId),
    };
    this.rerenderers = { 'latent.place': this.edits.rerenderPlace, 'latent.edit': this.edits.rerenderEdit, 'latent.local': this.edits.rerenderLocal };
  }

  readonly handlers: ServiceHandlers<LatentMethods>;
  readonly rerenderers: RerenderRegistry;
}
