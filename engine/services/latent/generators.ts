import type { Direction, Layer } from '../../api/index.js';
import { EngineError } from '../../api/errors.js';
import { GeneratorRunner } from '../../edit/generator-runner.js';
import type { LayerRange } from '../../edit/latent-space.js';
import type { EngineContext } from '../context.js';
import type { ModelsService } from '../models.js';

/**
 * The generators the latent studio draws with, loaded once per model, and what a generated layer links to: its
 * latent, its generator (by the hash the layer records) and the directions saved for that generator.
 */
export class Generators {
  private readonly runners = new Map<string, Promise<GeneratorRunner>>();
  /** Loaded runners by model hash: a slider frame finds its generator without listing the installed packages. */
  private readonly byHash = new Map<string, GeneratorRunner>();

  constructor(private readonly ctx: EngineContext, private readonly models: ModelsService) {}

  /** The generator asked for, else the first style-based one installed. */
  runner(modelId?: string): Promise<GeneratorRunner> {
    const id = modelId ?? this.models.list().find((m) => m.kind === 'generator' && m.styleBased)?.id;
    if (!id) throw new EngineError('not_found', 'no style-based generator is installed');
    let r = this.runners.get(id);
    if (!r) {
      r = this.ctx.registry.get(id).then((m) => {
        const runner = new GeneratorRunner(m);
        this.byHash.set(runner.hash, runner);
        return runner;
      });
      this.runners.set(id, r);
      r.catch(() => this.runners.delete(id));
    }
    return r;
  }

  /** The generator a latent belongs to, by the content hash stored with it. */
  async runnerByHash(hash: string): Promise<GeneratorRunner> {
    const loaded = this.byHash.get(hash);
    if (loaded) return loaded;
    const m = this.models.findByHash(hash);
    if (!m) throw new EngineError('not_found', `the generator this latent belongs to (${hash.slice(0, 12)}) is not installed`);
    return this.runner(m.id);
  }

  /** The generated layer, its latent and the generator that draws it. */
  async layerLatent(layerId: string): Promise<{ layer: Layer; ws: Float32Array; runner: GeneratorRunner }> {
    const store = this.ctx.project.get();
    const layer = store.layers().find((l) => l.id === layerId);
    if (!layer) throw new EngineError('not_found', `no layer ${layerId} in this project`);
    if (!layer.latent) throw new EngineError('bad_request', `${layer.name} was not drawn by a generator, so it has no latent to edit`);
    const runner = await this.runnerByHash(layer.latent.modelHash);
    return { layer, ws: store.getLatent(layer.latent.latentHash).data, runner };
  }

  /** A saved direction, refused when it was found in another generator. */
  direction(id: number, runner: GeneratorRunner): Direction {
    const d = this.ctx.project.get().direction(id);
    if (!d) throw new EngineError('not_found', `no direction ${id} in this project`);
    if (d.modelHash !== runner.hash) throw new EngineError('bad_request', `direction "${d.name}" belongs to another model; directions only apply to the generator they were found in`);
    return d;
  }

  /** Rows start..end of this generator's w+, refused when outside it or reversed. */
  rows(runner: GeneratorRunner, start: number, end: number): LayerRange {
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end < runner.numWs && start <= end)) {
      throw new EngineError('bad_request', `layer range ${start}–${end} is outside 0–${runner.numWs - 1}`);
    }
    return { start, end };
  }
}
