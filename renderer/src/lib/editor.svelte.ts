import type { EngineClient, EngineInfo, Layer, ModelInfo, ProjectState, RecentProject } from '@engine/api';
import { zipSync } from 'fflate';
import { AssetCache } from './assets';
import { LatentState } from './latent.svelte';
import { MaskCanvas } from './mask';

export type Tool = 'move' | 'brush' | 'eraser' | 'rect' | 'lasso';

export interface Toast {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

export interface View {
  scale: number;
  x: number;
  y: number;
}

type LayerPatch = Partial<Pick<Layer, 'name' | 'x' | 'y' | 'visible' | 'opacity'>>;

/** The renderer's one source of truth: the engine's project state plus view-only state (selection, zoom). */
export class Editor {
  project = $state<ProjectState | null>(null);
  info = $state<EngineInfo | null>(null);
  recent = $state<RecentProject[]>([]);
  selectedId = $state<string | null>(null);
  view = $state<View>({ scale: 1, x: 0, y: 0 });
  pointer = $state<{ x: number; y: number } | null>(null);
  toasts = $state<Toast[]>([]);
  busy = $state<string | null>(null);
  job = $state<{ id: string; done: number; total: number; message?: string } | null>(null);
  dialog = $state<'project' | null>(null);
  /** Bumped to ask the canvas to fit the document to the viewport. */
  fitRequest = $state(0);
  tool = $state<Tool>('move');
  brush = $state({ size: 48, hardness: 0.8 });
  /** Bumped after every mask change so the overlay redraws. */
  maskVersion = $state(0);
  models = $state<ModelInfo[]>([]);
  /** feather: the blend band outside the hole, 0–8 px (the engine's inpaint.run takes no more). */
  inpaintSettings = $state({ modelId: '', feather: 4, margin: 0.5 });
  /** Compare: while `holding`, the selected layer is hidden; `split` (0–1) shows it only right of the line. */
  compare = $state({ holding: false, split: 1 });
  private readonly masks = new Map<string, MaskCanvas>();
  /** A brush stroke is open: its dabs are one undo step, committed when the stroke ends. */
  private stroking = false;
  readonly latent: LatentState;
  readonly assets: AssetCache;
  private toastId = 0;

  selected = $derived(this.project?.layers.find((l) => l.id === this.selectedId) ?? null);
  /** The selected layer's mask as the UI shows it: its pixel count and what Ctrl+Z / Ctrl+Shift+Z would do to it. */
  mask = $derived.by(() => {
    void this.maskVersion;
    const m = this.selected ? this.masks.get(this.selected.id) : undefined;
    const masking = this.tool !== 'move';
    return { pixels: m?.pixels ?? 0, canUndo: masking && !!m?.canUndo, canRedo: masking && !!m?.canRedo };
  });

  constructor(readonly client: EngineClient) {
    this.assets = new AssetCache(client);
    this.latent = new LatentState(client);
    client.on('project.changed', (s) => this.setProject(s));
    client.on('job.progress', (p) => (this.job = p));
    client.on('job.state', (s) => {
      if (s.state !== 'running') this.job = null;
    });
    client.on('projection.preview', (p) => {
      const c = document.createElement('canvas');
      c.width = p.width;
      c.height = p.height;
      c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(p.rgba), p.width, p.height), 0, 0);
      this.latent.projection = { step: p.step, url: c.toDataURL() };
    });
    client.on('log', (l) => {
      if (l.level !== 'info') this.toast('error', l.message);
    });
  }

  async start(): Promise<void> {
    const [info, state, recent] = await Promise.all([
      this.client.call('engine.info', {}),
      this.client.call('project.state', {}),
      this.client.call('project.recent', {}),
    ]);
    this.info = info;
    this.recent = recent;
    this.models = await this.client.call('models.list', {});
    this.inpaintSettings.modelId = this.models.find((m) => m.kind === 'inpainter')?.id ?? '';
    this.latent.modelId = this.models.find((m) => m.kind === 'generator' && m.styleBased)?.id ?? '';
    if (this.latent.modelId) {
      void this.run(null, () => this.latent.loadSamples());
      void this.run(null, () => this.latent.loadDirections());
    }
    this.setProject(state);
    this.fitRequest++;
  }

  private setProject(state: ProjectState): void {
    const switched = this.project?.path !== state.path;
    this.project = state;
    if (switched || !state.layers.some((l) => l.id === this.selectedId)) {
      this.selectedId = state.layers.at(-1)?.id ?? null;
    }
    if (switched) this.fitRequest++;
  }

  toast(kind: Toast['kind'], text: string): void {
    const id = ++this.toastId;
    this.toasts = [...this.toasts, { id, kind, text }];
    setTimeout(() => this.dismiss(id), kind === 'error' ? 8000 : 3000);
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }

  /** Runs an engine call, shows its error to the user, and never leaves the UI half-updated. */
  private async run<T>(label: string | null, work: () => Promise<T>): Promise<T | undefined> {
    if (label) this.busy = label;
    try {
      return await work();
    } catch (err) {
      this.toast('error', err instanceof Error ? err.message : String(err));
      return undefined;
    } finally {
      if (label) this.busy = null;
    }
  }

  /** Images become layers; an .onnx file is installed as a model (an inpainter is then chosen for inpainting). */
  async importFiles(files: Iterable<File>): Promise<void> {
    for (const file of files) {
      if (/\.onnx$/i.test(file.name)) {
        await this.importModel(file);
        continue;
      }
      await this.run(`Importing ${file.name}…`, async () => {
        const bytes = new Uint8Array(await file.arrayBuffer());
        const hadLayers = (this.project?.layers.length ?? 0) > 0;
        this.setProject(await this.client.call('layer.import', { name: file.name || 'Pasted image', bytes }));
        this.selectedId = this.project?.layers.at(-1)?.id ?? null;
        if (!hadLayers) this.fitRequest++;
      });
    }
  }

  async importModel(file: File): Promise<void> {
    await this.run(`Importing model ${file.name}…`, async () => {
      const model = await this.client.call('models.importFile', { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) });
      this.models = await this.client.call('models.list', {});
      if (model.kind === 'inpainter') this.inpaintSettings.modelId = model.id;
      this.toast('info', model.kind === 'inpainter' ? `Imported ${model.name}; it is now the inpainting model` : `Imported ${model.name} (${model.kind})`);
    });
  }

  /** The mask being painted on a layer (created empty on first use; kept per layer while the app runs). */
  maskFor(layer: Layer): MaskCanvas {
    let m = this.masks.get(layer.id);
    if (!m || m.width !== layer.width || m.height !== layer.height) {
      m = new MaskCanvas(layer.width, layer.height);
      this.masks.set(layer.id, m);
    }
    return m;
  }

  /** One undoable change to the selected layer's mask (or, inside a brush stroke, part of the stroke's one). */
  maskOp(op: (m: MaskCanvas) => void): void {
    if (!this.selected) return;
    const m = this.maskFor(this.selected);
    m.begin();
    op(m);
    if (!this.stroking) m.commit();
    this.maskVersion++;
  }

  beginStroke(): void {
    this.stroking = true;
  }

  endStroke(): void {
    this.stroking = false;
    if (this.selected) this.masks.get(this.selected.id)?.commit();
    this.maskVersion++;
  }

  /** Empties a layer's mask and its undo steps: it was used up by an edit, which the project's undo reverts. */
  resetMask(layer: Layer): void {
    this.masks.get(layer.id)?.reset();
    this.maskVersion++;
  }

  async inpaint(): Promise<void> {
    const layer = this.selected;
    if (!layer) return this.toast('error', 'select the layer to inpaint first');
    const mask = this.maskFor(layer);
    mask.commit();
    if (mask.pixels === 0) return this.toast('info', 'the mask is empty: paint over what should be filled (B), then inpaint');
    await this.run('Inpainting…', async () => {
      const { modelId, feather, margin } = this.inpaintSettings;
      const state = await this.client.call('inpaint.run', { layerId: layer.id, mask: await mask.toPng(), modelId: modelId || undefined, feather, margin });
      this.resetMask(layer);
      this.setProject(state);
      const index = state.layers.findIndex((l) => l.id === layer.id);
      this.selectedId = state.layers[index + 1]?.id ?? this.selectedId;
      this.tool = 'move';
    });
  }

  /** Runs a latent-studio call that returns a new project state, with the usual error handling. */
  async latentCall(label: string | null, work: () => Promise<ProjectState | null | undefined>, selectNew = false): Promise<void> {
    await this.run(label, async () => {
      const state = await work();
      if (!state) return;
      this.setProject(state);
      if (selectNew) this.selectedId = state.layers.at(-1)?.id ?? this.selectedId;
    });
  }

  placeSample(seed: number) {
    return this.latentCall('Placing…', () => this.client.call('latent.place', { modelId: this.latent.modelId || undefined, seed, psi: this.latent.psi, display: 256 }), true);
  }

  cancelJob() {
    const job = this.job;
    if (job) void this.run(null, () => this.client.call('job.cancel', { id: job.id }));
  }

  /** Starts fine-tuning the current generator on a folder; progress (img/s, losses, ETA) shows in the status bar. */
  async fineTune(dataDir: string, kimg: number): Promise<void> {
    await this.run(null, async () => {
      const r = await this.client.call('train.start', { modelId: this.latent.modelId, dataDir, kimg, batch: 8, seed: 0 });
      this.toast('info', `Fine-tuning into ${r.modelId}; it appears in the model list when done`);
      const off = this.client.on('job.state', async (s) => {
        if (s.id !== r.jobId || s.state === 'running') return;
        off();
        if (s.state === 'done') {
          this.models = await this.client.call('models.list', {});
          this.toast('info', `${r.modelId} is ready`);
        } else this.toast('error', s.error ?? `fine-tuning ${s.state}`);
      });
    });
  }

  /** Projects an image layer into the generator; the found latent is placed as a new, editable layer. */
  async projectLayer(layer: Layer): Promise<void> {
    await this.run('Projecting…', async () => {
      const { bytes } = await this.client.call('asset.get', { hash: layer.assetHash });
      const r = await this.client.call('latent.project', { image: bytes, modelId: this.latent.modelId || undefined, steps: 200, display: 256, name: `${layer.name} (projected)` });
      this.setProject(r.state);
      this.selectedId = r.state.layers.at(-1)?.id ?? this.selectedId;
      this.latent.projection = null;
      this.toast('info', `Projected (loss ${r.loss.toFixed(4)}); ${r.note}`);
    });
  }

  /**
   * The timeline as an animated GIF (the layer, through the keyframe seeds, and back: a seamless loop), or as
   * its PNG frames in a zip.
   */
  async downloadInterpolation(layer: Layer, seeds: number[], as: 'gif' | 'frames'): Promise<void> {
    await this.run(as === 'gif' ? 'Rendering GIF…' : 'Rendering frames…', async () => {
      const keys = [{ layerId: layer.id }, ...seeds.map((seed) => ({ seed })), { layerId: layer.id }];
      const { gif, frames } = await this.client.call('latent.interpolate', { keys, frames: Math.min(240, 24 * (seeds.length + 1)), space: this.latent.pathSpace, method: this.latent.pathMethod, psi: this.latent.psi, display: 256, delayMs: 50 });
      const [bytes, type, ext] = as === 'gif'
        ? [gif, 'image/gif', 'gif']
        : [zipSync(Object.fromEntries(frames.map((png, i) => [`frame${String(i).padStart(4, '0')}.png`, png])), { level: 0 }), 'application/zip', 'frames.zip'];
      const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `${layer.name}.${ext}`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });
  }

  updateLayer(id: string, patch: LayerPatch) {
    return this.run(null, async () => this.setProject(await this.client.call('layer.update', { id, patch })));
  }

  reorder(id: string, index: number) {
    return this.run(null, async () => this.setProject(await this.client.call('layer.reorder', { id, index })));
  }

  deleteLayer(id: string) {
    return this.run(null, async () => this.setProject(await this.client.call('layer.delete', { id })));
  }

  /** The selected layer's mask while a mask tool is active (Ctrl+Z then undoes mask changes first, as in IOPaint). */
  private activeMask(): MaskCanvas | undefined {
    return this.tool !== 'move' && this.selected ? this.masks.get(this.selected.id) : undefined;
  }

  /** Undoes the last mask change while a mask tool is active and there is one; else the last project edit. */
  undo() {
    if (this.activeMask()?.undo()) {
      this.maskVersion++;
      return;
    }
    if (!this.project?.canUndo) return;
    return this.run(null, async () => this.setProject(await this.client.call('history.undo', {})));
  }

  redo() {
    if (this.activeMask()?.redo()) {
      this.maskVersion++;
      return;
    }
    if (!this.project?.canRedo) return;
    return this.run(null, async () => this.setProject(await this.client.call('history.redo', {})));
  }

  async openProject(path: string) {
    await this.run('Opening…', async () => {
      this.setProject(await this.client.call('project.open', { path }));
      this.dialog = null;
      this.recent = await this.client.call('project.recent', {});
    });
  }

  async createProject(name: string, width: number, height: number) {
    await this.run('Creating…', async () => {
      this.setProject(await this.client.call('project.create', { name, width, height }));
      this.dialog = null;
      this.recent = await this.client.call('project.recent', {});
    });
  }

  async exportPng(): Promise<void> {
    await this.run('Exporting…', async () => {
      const { png } = await this.client.call('project.export', {});
      const url = URL.createObjectURL(new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `${this.project?.name ?? 'ganvas'}.png`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      this.toast('info', `Exported ${a.download}`);
    });
  }
}
