import type { Direction, EngineClient, Layer, ProjectState } from '@engine/api';

const pngUrl = (png: Uint8Array) => URL.createObjectURL(new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' }));

export type RangePreset = 'all' | 'coarse' | 'middle' | 'fine' | 'custom';

/** Row ranges of ws for the presets, as the engine defines them (thirds of the rows, coarse first). */
export function presetRows(preset: RangePreset, numWs: number, custom = { start: 0, end: numWs - 1 }): { start: number; end: number } {
  if (preset === 'custom') return { start: Math.max(0, Math.min(custom.start, numWs - 1)), end: Math.max(Math.min(custom.start, numWs - 1), Math.min(custom.end, numWs - 1)) };
  const third = Math.ceil(numWs / 3);
  if (preset === 'coarse') return { start: 0, end: third - 1 };
  if (preset === 'middle') return { start: third, end: Math.min(numWs - 1, 2 * third - 1) };
  if (preset === 'fine') return { start: Math.min(numWs - 1, 2 * third), end: numWs - 1 };
  return { start: 0, end: numWs - 1 };
}

/**
 * Live slider previews with no queue behind a stale frame: at most one preview is in flight; while it runs only
 * the newest request is kept, and it is sent when the running one returns. Each painted frame's time from
 * input to paint is recorded, so the app can report its own frame rate.
 */
export class PreviewPump {
  private running = false;
  private pending: (() => Promise<void>) | null = null;
  frameMs = $state<number[]>([]);
  dropped = $state(0);

  request(work: () => Promise<void>): void {
    const input = performance.now();
    const job = async () => {
      await work();
      await new Promise(requestAnimationFrame);
      this.frameMs = [...this.frameMs.slice(-119), performance.now() - input];
    };
    if (this.running) {
      if (this.pending) this.dropped++;
      this.pending = job;
      return;
    }
    void this.run(job);
  }

  private async run(job: () => Promise<void>): Promise<void> {
    this.running = true;
    try {
      await job();
    } catch {
      // The engine reports errors on commit; a failed preview simply keeps the last frame.
    } finally {
      this.running = false;
      const next = this.pending;
      this.pending = null;
      if (next) void this.run(next);
    }
  }

  get fps(): number {
    const recent = this.frameMs.slice(-30);
    return recent.length ? 1000 / (recent.reduce((a, b) => a + b, 0) / recent.length) : 0;
  }
}

/** State of the latent studio panel: samples to choose from, directions of the model, tagged sets. */
export class LatentState {
  modelId = $state('');
  psi = $state(0.7);
  firstSeed = $state(0);
  samples = $state<{ seed: number; url: string }[]>([]);
  chosenSeed = $state<number | null>(null);
  directions = $state<Direction[]>([]);
  preset = $state<RangePreset>('coarse');
  custom = $state({ start: 0, end: 3 });
  fitMethod = $state<'boundary' | 'mean'>('boundary');
  conditionOn = $state<number | null>(null);
  pathMethod = $state<'slerp' | 'lerp'>('slerp');
  pathSpace = $state<'w' | 'z'>('w');
  sliders = $state<Record<number, number>>({});
  mixSeed = $state(1);
  setA = $state<string[]>([]);
  setB = $state<string[]>([]);
  /** Preview canvases of generated layers during a drag, drawn by the canvas instead of the layer's asset. */
  previews = $state<Record<string, HTMLCanvasElement>>({});
  readonly pump = new PreviewPump();
  variations = $state<{ url: string; latent: Float32Array }[]>([]);
  /** ±2σ thumbnails per direction id, for the layer they were made on. */
  extremes = $state<Record<number, [string, string]>>({});
  projection = $state<{ step: number; url: string } | null>(null);
  /** Apply sliders and mixes only inside the layer's painted mask, healing the seam with the inpainter. */
  local = $state(false);
  /** Keyframes of the interpolation timeline, after the selected layer: seeds. */
  timeline = $state<number[]>([2, 5]);
  scrub = $state(0);
  /**
   * Slider reach in σ. ±3σ by default: the shipped generator's samples stay plausible to about there and turn
   * to noise beyond (issue 15); "further" widens it for those who want the extremes.
   */
  sliderRange = $state(3);

  constructor(private readonly client: EngineClient) {}

  /** Everything that belongs to the open project (directions are saved in it) goes when another opens. */
  resetForProject(): void {
    this.directions = [];
    this.sliders = {};
    this.extremes = {};
    this.setA = [];
    this.setB = [];
    this.previews = {};
    this.projection = null;
    for (const v of this.variations) URL.revokeObjectURL(v.url);
    this.variations = [];
    this.conditionOn = null;
  }

  /** The grid starts at `seed` (typed, or stepped by a page of 8 either way). */
  async showSeeds(seed: number): Promise<void> {
    this.firstSeed = Math.max(0, Math.min(2 ** 31 - 8, Math.floor(seed) || 0));
    await this.loadSamples();
  }

  async loadSamples(): Promise<void> {
    const seeds = Array.from({ length: 8 }, (_, i) => this.firstSeed + i);
    const { images } = await this.client.call('latent.sample', { modelId: this.modelId || undefined, seeds, psi: this.psi });
    if (seeds[0] !== this.firstSeed) return; // a newer page was asked for meanwhile
    for (const s of this.samples) URL.revokeObjectURL(s.url);
    this.samples = images.map((png, i) => ({ seed: seeds[i]!, url: pngUrl(png) }));
  }

  async loadVariations(layer: Layer): Promise<void> {
    const { images, latents } = await this.client.call('latent.variations', { layerId: layer.id, count: 4, strength: 0.6, seed: Math.floor(Math.random() * 1e6) });
    for (const v of this.variations) URL.revokeObjectURL(v.url);
    this.variations = images.map((png, i) => ({ url: pngUrl(png), latent: latents[i]! }));
  }

  /** GANSpace/SeFa are listed with what they do: the layer rendered at −2σ and +2σ along each direction. */
  async loadExtremes(layer: Layer): Promise<void> {
    const out: Record<number, [string, string]> = {};
    for (const d of this.directions) {
      const [lo, hi] = await Promise.all([-2, 2].map(async (alpha) => {
        const { rgba, width, height } = await this.client.call('latent.preview', { layerId: layer.id, sliders: [{ directionId: d.id, alpha, start: d.layerStart, end: d.layerEnd }], mixes: [] });
        const c = document.createElement('canvas');
        c.width = width;
        c.height = height;
        c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
        return c.toDataURL();
      }));
      out[d.id] = [lo!, hi!];
    }
    this.extremes = out;
  }

  async loadDirections(): Promise<void> {
    this.directions = await this.client.call('direction.list', { modelId: this.modelId || undefined });
    const ids = new Set(this.directions.map((d) => d.id));
    this.sliders = Object.fromEntries(Object.entries(this.sliders).filter(([id]) => ids.has(Number(id))));
  }

  /** Sliders currently off zero, as the engine takes them. */
  activeSliders(): { directionId: number; alpha: number; start: number; end: number }[] {
    return this.directions
      .filter((d) => (this.sliders[d.id] ?? 0) !== 0)
      .map((d) => ({ directionId: d.id, alpha: this.sliders[d.id]!, start: d.layerStart, end: d.layerEnd }));
  }

  /** Timeline scrub: the point t of the path selected layer → keyframe seeds, shown on the layer live. */
  scrubTo(layer: Layer, t: number): void {
    this.scrub = t;
    const keys = [{ layerId: layer.id }, ...this.timeline.map((seed) => ({ seed }))];
    this.pump.request(async () => {
      const { rgba, width, height } = await this.client.call('latent.frame', { keys, t, space: this.pathSpace, method: this.pathMethod, psi: this.psi });
      this.showPreview(layer, rgba, width, height);
    });
  }

  preview(layer: Layer): void {
    const sliders = this.activeSliders();
    this.pump.request(async () => {
      const { rgba, width, height } = await this.client.call('latent.preview', { layerId: layer.id, sliders, mixes: [] });
      this.showPreview(layer, rgba, width, height);
    });
  }

  clearPreview(layer: Layer): void {
    const { [layer.id]: _, ...rest } = this.previews;
    this.previews = rest;
  }

  private showPreview(layer: Layer, rgba: Uint8Array, width: number, height: number): void {
    {
      const small = document.createElement('canvas');
      small.width = width;
      small.height = height;
      small.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
      // Scale to the layer's size with nearest-neighbour, as the engine renders placed samples.
      const size = layer.latent?.display ?? width;
      const c = document.createElement('canvas');
      c.width = c.height = size;
      const g = c.getContext('2d')!;
      g.imageSmoothingEnabled = false;
      g.drawImage(small, 0, 0, size, size);
      this.previews = { ...this.previews, [layer.id]: c };
    }
  }

  /** Commits the sliders as one edit; with a mask (local mode) only inside it. */
  async commitSliders(layer: Layer, mask?: Uint8Array): Promise<ProjectState | null> {
    const sliders = this.activeSliders();
    if (!sliders.length) return null;
    const state = mask
      ? await this.client.call('latent.applyLocal', { layerId: layer.id, sliders, mixes: [], mask, feather: 6, healBand: 3 })
      : await this.client.call('latent.apply', { layerId: layer.id, sliders, mixes: [] });
    this.sliders = {};
    const { [layer.id]: _, ...rest } = this.previews;
    this.previews = rest;
    return state;
  }
}
