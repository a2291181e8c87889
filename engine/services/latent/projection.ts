import type { EventPayload, ProjectState } from '../../api/index.js';
import { detectFace, ffhqQuad, warpQuad } from '../../edit/face-align.js';
import { projectImage } from '../../edit/project.js';
import { cover, decode, fitInside, raster } from '../../image/raster.js';
import type { EngineContext } from '../context.js';
import type { Generators } from './generators.js';
import type { Sampling } from './sampling.js';

export interface ProjectOptions { image: Uint8Array; modelId?: string; steps: number; display: number; name?: string; align?: boolean }

/**
 * Projects a photo into the generator (W, then W+) and places the result as a generated layer linked to the
 * found latent, so every latent tool applies to it. A face found by face-api's detector and 68 landmarks is
 * aligned first (the FFHQ crop); with no face, the centre crop is projected and the result says so.
 */
export class Projection {
  constructor(private readonly ctx: EngineContext, private readonly gens: Generators, private readonly sampling: Sampling) {}

  async project(opts: ProjectOptions, onPreview?: (p: EventPayload<'projection.preview'>) => void): Promise<{ state: ProjectState; loss: number; note: string }> {
    const runner = await this.gens.runner(opts.modelId);
    const r = runner.resolution;
    const photo = await fitInside(await decode(opts.image, { name: 'the image to project', channels: 3, background: '#ffffff' }), 1024);
    const { data: rgb, width: w, height: h } = photo;
    const face = opts.align === false ? null : await detectFace(rgb, w, h);
    const side = Math.max(r, 256);
    const square = face ? warpQuad(rgb, w, h, ffhqQuad(face), side) : null;
    const target = (await cover(square ? raster(square, side, side, 3) : photo, r, r)).data;
    const note = face ? 'aligned on the face found by face-api (68 landmarks, FFHQ crop)'
      : opts.align === false ? 'projected the centre crop (alignment off)' : 'no face found: projected the centre crop without alignment';
    const { ws, loss } = await this.ctx.jobs.run('project', async (job) => projectImage(runner.model, target, opts.steps, (s, latest) => {
      job.progress(s.step, s.total, `${s.phase} step ${s.step}/${s.total} · loss ${s.loss.toFixed(4)}`);
      if (latest && onPreview) void runner.synthesize([latest]).then(async ([out]) => onPreview({ step: s.step, rgba: await runner.rgba(out!), width: r, height: r }));
    }, job.signal));
    const state = await this.sampling.place({ modelId: runner.model.card.id, latent: ws, psi: 1, display: opts.display, name: opts.name ?? 'projected photo' });
    return { state, loss, note };
  }
}
