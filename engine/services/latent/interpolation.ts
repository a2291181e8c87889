import { EngineError } from '../../api/errors.js';
import type { GeneratorRunner } from '../../edit/generator-runner.js';
import { encodeGif } from '../../edit/gif.js';
import { broadcast, lerp, slerp, zFromSeed } from '../../edit/latent-space.js';
import { decode } from '../../image/raster.js';
import type { EngineContext } from '../context.js';
import type { Generators } from './generators.js';

export type Keyframe = { seed: number } | { layerId: string };
export interface PathOptions { modelId?: string; keys: Keyframe[]; space: 'z' | 'w'; method: 'lerp' | 'slerp'; psi: number }

/** The timeline: a path through keyframe samples, scrubbed live one frame at a time or rendered as a GIF. */
export class Interpolation {
  constructor(private readonly ctx: EngineContext, private readonly gens: Generators) {}

  private async keyLatents(runner: GeneratorRunner, keys: Keyframe[], space: 'z' | 'w', psi: number): Promise<{ z?: Float32Array[]; ws: Float32Array[] }> {
    if (keys.length < 2) throw new EngineError('bad_request', 'interpolation needs at least two keyframes');
    const store = this.ctx.project.peek();
    if (space === 'z') {
      // A layer placed from a seed is known in z too; an edited or projected one only in w+.
      const seedOf = (k: Keyframe): number => {
        if ('seed' in k) return k.seed;
        const layer = store?.layers().find((l) => l.id === k.layerId);
        const origin = layer?.latent ? store!.getLatent(layer.latent.latentHash).origin : null;
        if (origin?.kind === 'seed' && typeof origin.seed === 'number') {
          // One ψ maps the whole z path: a layer placed at another ψ would not be on it.
          if (typeof origin.psi === 'number' && origin.psi !== psi) throw new EngineError('bad_request', `${layer!.name} was placed at ψ ${origin.psi}: interpolate in z at that ψ, or in w`);
          return origin.seed;
        }
        throw new EngineError('bad_request', `interpolating in z needs seeds: ${layer?.name ?? k.layerId} is only known in w+ (edited or projected); use w`);
      };
      return { z: keys.map((k) => zFromSeed(seedOf(k), runner.zDim)), ws: [] };
    }
    const ws: Float32Array[] = [];
    for (const k of keys) {
      if ('seed' in k) ws.push((await runner.wsForSeeds([k.seed], psi))[0]!);
      else {
        const l = await this.gens.layerLatent(k.layerId);
        if (l.runner.hash !== runner.hash) throw new EngineError('bad_request', `layer ${l.layer.name} comes from another model`);
        ws.push(l.ws);
      }
    }
    return { ws };
  }

  /** w+ latents at positions ts ∈ [0, 1] along the path through the keyframes (lerp or slerp, in z or w). */
  private async pathLatents(runner: GeneratorRunner, opts: PathOptions, ts: number[]): Promise<Float32Array[]> {
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
  async frame(opts: PathOptions & { t: number }): Promise<{ rgba: Uint8Array; width: number; height: number }> {
    const runner = await this.gens.runner(opts.modelId);
    const [ws] = await this.pathLatents(runner, opts, [opts.t]);
    const [rgb] = await runner.synthesize([ws!]);
    return { rgba: await runner.rgba(rgb!), width: runner.resolution, height: runner.resolution };
  }

  /** Frames between keyframes, as an animated GIF and PNG frames, with progress. */
  interpolate(opts: PathOptions & { frames: number; display: number; delayMs: number }): Promise<{ gif: Uint8Array; frames: Uint8Array[] }> {
    return this.ctx.jobs.run('interpolate', async (job) => {
      const runner = await this.gens.runner(opts.modelId);
      const ws = await this.pathLatents(runner, opts, Array.from({ length: opts.frames }, (_, f) => f / Math.max(1, opts.frames - 1)));
      const rgbaFrames: Uint8Array[] = [], pngs: Uint8Array[] = [];
      for (let f = 0; f < ws.length; f += 8) {
        if (job.signal.aborted) throw new EngineError('cancelled', 'interpolation was cancelled');
        for (const x of await runner.synthesize(ws.slice(f, f + 8))) {
          const png = await runner.png(x, opts.display);
          pngs.push(png);
          rgbaFrames.push((await decode(png, { channels: 4 })).data);
        }
        job.progress(Math.min(ws.length, f + 8), ws.length, 'rendering frames');
      }
      return { gif: encodeGif(rgbaFrames, opts.display, opts.display, opts.delayMs), frames: pngs };
    });
  }
}
