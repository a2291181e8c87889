import type { EngineClient, EngineInfo, Layer, ModelInfo, ProjectState, RecentProject } from '@engine/api';
import { getContext, setContext } from 'svelte';
import { zipSync } from 'fflate';
import { AssetCache } from './assets';
import { DocumentMirror } from './doc.svelte';
import { Jobs } from './jobs.svelte';
import { LatentState, presetRows, type RangePreset } from './latent.svelte';
import { MaskCanvas } from './mask';
import { Session, type Tool } from './session.svelte';

export type { Tool, View } from './session.svelte';

export interface Toast {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

type LayerPatch = Partial<Pick<Layer, 'name' | 'x' | 'y' | 'visible' | 'opacity'>>;

/**
 * The renderer's store, and its one way to the engine. It holds:
 * - `doc`: the engine's document, read-only, replaced whole by `apply` with each engine reply or
 *   `project.changed` event;
 * - `session`: what this window shows (view, tool, selection, brush, compare, panels), apart from the document;
 * - app mirrors the engine owns (info, models, recent projects, jobs) and the latent studio's working state.
 * Components get it from context (`useEditor()`), read it, and change things through its methods or the
 * command table (commands.ts); every engine call is made here or in `latent` (its read-only queries).
 */
export class Editor {
  readonly doc = new DocumentMirror();
  readonly session = new Session();
  readonly jobs = new Jobs();
  info = $state<EngineInfo | null>(null);
  recent = $state<RecentProject[]>([]);
  models = $state<ModelInfo[]>([]);
  toasts = $state<Toast[]>([]);
  busy = $state<string | null>(null);
  /** Bumped after every mask change so the overlay redraws. */
  maskVersion = $state(0);
  /** A train.start call is on its way (the job's own events take over once it runs). */
  private trainStarting = $state(false);
  /** A run that stopped before its end (cancelled or failed): Resume continues it under its id. */
  stoppedRun = $state<{ modelId: string; baseId: string; dataDir: string; kimg: number } | null>(null);
  private readonly masks = new Map<string, MaskCanvas>();
  /** A brush stroke is open: its dabs are one undo step, committed when the stroke ends. */
  private stroking = false;
  readonly latent: LatentState;
  readonly assets: AssetCache;
  private toastId = 0;
  private filePicker: (() => void) | null = null;

  get project() {
    return this.doc.state;
  }

  selected = $derived(this.doc.state?.layers.find((l) => l.id === this.session.selectedId) ?? null);
  selectedIndex = $derived(this.doc.state?.layers.findIndex((l) => l.id === this.session.selectedId) ?? -1);
  /** The selected layer's mask as the UI shows it: its pixel count and what Ctrl+Z / Ctrl+Shift+Z would do to it. */
  mask = $derived.by(() => {
    void this.maskVersion;
    const m = this.selected ? this.masks.get(this.selected.id) : undefined;
    const masking = this.session.tool !== 'move';
    return { pixels: m?.pixels ?? 0, canUndo: masking && !!m?.canUndo, canRedo: masking && !!m?.canRedo };
  });
  /** One training run at a time: Train is off while one starts or runs. */
  canTrain = $derived(!this.trainStarting && !this.jobs.running('train'));

  constructor(readonly client: EngineClient) {
    this.assets = new AssetCache(client);
    this.latent = new LatentState(client);
    client.on('project.changed', (s) => this.apply(s));
    client.on('job.progress', (p) => this.jobs.onProgress(p));
    client.on('job.state', (s) => this.jobs.onState(s));
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
    const [info, state, recent, jobs] = await Promise.all([
      this.client.call('engine.info', {}),
      this.client.call('project.state', {}),
      this.client.call('project.recent', {}),
      this.client.call('job.list', {}),
    ]);
    // Jobs started before this window connected (a training run) show, and keep Train off, like any other.
    for (const j of jobs) {
      if (!this.jobs.list.some((x) => x.id === j.id)) this.jobs.onState({ id: j.id, kind: j.kind, state: 'running' });
      this.jobs.onProgress(j);
    }
    this.info = info;
    this.recent = recent;
    this.models = await this.client.call('models.list', {});
    this.session.inpaint.modelId = this.models.find((m) => m.kind === 'inpainter')?.id ?? '';
    this.latent.modelId = this.models.find((m) => m.kind === 'generator' && m.styleBased)?.id ?? '';
    if (this.latent.modelId) void this.run(null, () => this.latent.loadSamples());
    this.apply(state);
  }

  /**
   * The one place the document changes: an engine reply or event replaces it whole. Opening another project
   * fits the view and drops everything that belonged to the last one (directions, sliders, tagged sets, masks);
   * an edit of the same project leaves the view where the user put it.
   */
  private apply(state: ProjectState): void {
    const { switched } = this.doc.replace(state);
    if (switched || !state.layers.some((l) => l.id === this.session.selectedId)) {
      this.session.selectedId = state.layers.at(-1)?.id ?? null;
    }
    if (switched) {
      this.session.fit();
      this.masks.clear();
      this.maskVersion++;
      this.latent.resetForProject();
      if (this.latent.modelId) void this.run(null, () => this.latent.loadDirections());
    }
  }

  // ── session ────────────────────────────────────────────────────────────────────────────────────────────

  select(id: string | null): void {
    this.session.selectedId = id;
  }

  setTool(tool: Tool): void {
    this.session.tool = tool;
  }

  resizeBrush(factor: number): void {
    this.session.brush.size = Math.max(1, Math.min(1000, Math.round(this.session.brush.size * factor)));
  }

  openDialog(d: 'project' | null): void {
    this.session.dialog = d;
  }

  /** The app registers its hidden file input here; Ctrl+I and the toolbar open it. */
  setFilePicker(open: () => void): void {
    this.filePicker = open;
  }

  pickFiles(): void {
    this.filePicker?.();
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

  /** An engine call that replies with the project: applied, and optionally the newest layer selected. */
  private async edit(label: string | null, work: () => Promise<ProjectState | null | undefined>, selectNew = false): Promise<ProjectState | undefined> {
    return this.run(label, async () => {
      const state = await work();
      if (!state) return undefined;
      this.apply(state);
      if (selectNew) this.session.selectedId = state.layers.at(-1)?.id ?? this.session.selectedId;
      return state;
    });
  }

  // ── files ──────────────────────────────────────────────────────────────────────────────────────────────

  /** Images become layers; an .onnx file is installed as a model (an inpainter is then chosen for inpainting). */
  async importFiles(files: Iterable<File>): Promise<void> {
    for (const file of files) {
      if (/\.onnx$/i.test(file.name)) {
        await this.importModel(file);
        continue;
      }
      const hadLayers = (this.project?.layers.length ?? 0) > 0;
      const state = await this.edit(`Importing ${file.name}…`, async () =>
        this.client.call('layer.import', { name: file.name || 'Pasted image', bytes: new Uint8Array(await file.arrayBuffer()) }), true);
      if (state && !hadLayers) this.session.fit();
    }
  }

  async importModel(file: File): Promise<void> {
    await this.run(`Importing model ${file.name}…`, async () => {
      const model = await this.client.call('models.importFile', { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) });
      this.models = await this.client.call('models.list', {});
      if (model.kind === 'inpainter') this.session.inpaint.modelId = model.id;
      this.toast('info', model.kind === 'inpainter' ? `Imported ${model.name}; it is now the inpainting model` : `Imported ${model.name} (${model.kind})`);
    });
  }

  async exportPng(): Promise<void> {
    await this.run('Exporting…', async () => {
      const { png } = await this.client.call('project.export', {});
      this.download(png, 'image/png', `${this.project?.name ?? 'ganvas'}.png`);
      this.toast('info', `Exported ${this.project?.name ?? 'ganvas'}.png`);
    });
  }

  private download(bytes: Uint8Array, type: string, name: string): void {
    const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  // ── projects ───────────────────────────────────────────────────────────────────────────────────────────

  async openProject(path: string) {
    const state = await this.edit('Opening…', () => this.client.call('project.open', { path }));
    if (state) await this.afterOpen();
  }

  async createProject(name: string, width: number, height: number) {
    const state = await this.edit('Creating…', () => this.client.call('project.create', { name, width, height }));
    if (state) await this.afterOpen();
  }

  private async afterOpen() {
    this.session.dialog = null;
    await this.run(null, async () => (this.recent = await this.client.call('project.recent', {})));
  }

  // ── layers and history ─────────────────────────────────────────────────────────────────────────────────

  updateLayer(id: string, patch: LayerPatch) {
    return this.edit(null, () => this.client.call('layer.update', { id, patch }));
  }

  reorder(id: string, index: number) {
    return this.edit(null, () => this.client.call('layer.reorder', { id, index }));
  }

  deleteLayer(id: string) {
    return this.edit(null, () => this.client.call('layer.delete', { id }));
  }

  /** The selected layer's mask while a mask tool is active (Ctrl+Z then undoes mask changes first, as in IOPaint). */
  private activeMask(): MaskCanvas | undefined {
    return this.session.tool !== 'move' && this.selected ? this.masks.get(this.selected.id) : undefined;
  }

  /** Undoes the last mask change while a mask tool is active and there is one; else the last project edit. */
  undo() {
    if (this.activeMask()?.undo()) {
      this.maskVersion++;
      return;
    }
    if (!this.project?.canUndo) return;
    return this.edit(null, () => this.client.call('history.undo', {}));
  }

  redo() {
    if (this.activeMask()?.redo()) {
      this.maskVersion++;
      return;
    }
    if (!this.project?.canRedo) return;
    return this.edit(null, () => this.client.call('history.redo', {}));
  }

  // ── masks and inpainting ───────────────────────────────────────────────────────────────────────────────

  /** The mask being painted on a layer (created empty on first use; kept per layer while the project is open). */
  maskFor(layer: Pick<Layer, 'id' | 'width' | 'height'>): MaskCanvas {
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
  private resetMask(layer: Pick<Layer, 'id'>): void {
    this.masks.get(layer.id)?.reset();
    this.maskVersion++;
  }

  async inpaint(): Promise<void> {
    const layer = this.selected;
    if (!layer) return this.toast('error', 'select the layer to inpaint first');
    const mask = this.maskFor(layer);
    mask.commit();
    if (mask.pixels === 0) return this.toast('info', 'the mask is empty: paint over what should be filled (B), then inpaint');
    const { modelId, feather, margin } = this.session.inpaint;
    const png = await mask.toPng();
    const state = await this.edit('Inpainting…', () => this.client.call('inpaint.run', { layerId: layer.id, mask: png, modelId: modelId || undefined, feather, margin }));
    if (!state) return;
    this.resetMask(layer);
    const index = state.layers.findIndex((l) => l.id === layer.id);
    this.session.selectedId = state.layers[index + 1]?.id ?? this.session.selectedId;
    this.session.tool = 'move';
  }

  // ── latent studio ──────────────────────────────────────────────────────────────────────────────────────

  get modelArg() {
    return this.latent.modelId || undefined;
  }

  /** Places a generated layer (seed, variation, analogy): one edit; the engine puts it where it covers no other sample. */
  private async place(label: string, work: () => Promise<ProjectState>): Promise<void> {
    await this.edit(label, work, true);
  }

  placeSample(seed: number) {
    return this.place('Placing…', () => this.client.call('latent.place', { modelId: this.modelArg, seed, psi: this.latent.psi, display: 256 }));
  }

  placeVariation(index: number, source: Pick<Layer, 'name'>) {
    const v = this.latent.variations[index];
    if (!v) return;
    return this.place('Placing…', () => this.client.call('latent.place', { modelId: this.modelArg, latent: v.latent, psi: 1, display: 256, name: `${source.name} variation ${index + 1}` }));
  }

  placeAnalogy(c: Pick<Layer, 'id'>) {
    const [a, b] = [this.latent.setA[0], this.latent.setB[0]];
    if (!a || !b) return;
    return this.place('Placing…', () => this.client.call('latent.analogy', { a, b, c: c.id, display: 256 }));
  }

  loadSamples() {
    return this.run(null, () => this.latent.loadSamples());
  }

  /** The seed grid from a typed seed, or a page of 8 back or forth. */
  loadSamplesFrom(seed: number) {
    return this.run(null, () => this.latent.showSeeds(seed));
  }

  loadVariations(layer: Layer) {
    return this.run(null, () => this.latent.loadVariations(layer));
  }

  loadExtremes(layer: Layer) {
    return this.run(null, () => this.latent.loadExtremes(layer));
  }

  setLatentModel(id: string) {
    this.latent.modelId = id;
    void this.loadSamples();
    void this.run(null, () => this.latent.loadDirections());
  }

  async findDirections(method: 'sefa' | 'ganspace', numWs: number) {
    const rows = presetRows(this.latent.preset, numWs, this.latent.custom);
    await this.run('Finding directions…', async () => {
      await this.client.call('direction.compute', { modelId: this.modelArg, method, count: 5, ...rows });
      await this.latent.loadDirections();
    });
  }

  async fitDirection(name: string, numWs: number) {
    const L = this.latent;
    const rows = presetRows(L.preset, numWs, L.custom);
    await this.run('Fitting direction…', async () => {
      await this.client.call('direction.fromSets', { name, positive: L.setA, negative: L.setB, method: L.fitMethod, ...(L.conditionOn !== null ? { conditionOn: L.conditionOn } : {}), ...rows });
      L.setA = [];
      L.setB = [];
      await L.loadDirections();
    });
  }

  async mixGrid(numWs: number): Promise<Uint8Array | undefined> {
    const L = this.latent;
    const rows = presetRows(L.preset, numWs, L.custom);
    const seeds = L.samples.map((x) => x.seed);
    const r = await this.run('Mixing grid…', () => this.client.call('latent.mixGrid', { modelId: this.modelArg, rows: seeds.slice(0, 3), cols: seeds.slice(3, 7), ...rows, psi: L.psi, cell: 64 }));
    return r?.png;
  }

  /** Commits the sliders as one edit; with "only inside the mask", only there, and the mask is used up. */
  async commitSliders(layer: Layer) {
    const mask = this.latent.local ? await this.maskFor(layer).toPng() : undefined;
    const state = await this.edit(null, () => this.latent.commitSliders(layer, mask));
    if (state && mask) this.resetMask(layer);
  }

  async mix(layer: Layer, preset: RangePreset, numWs: number) {
    const mixes = [{ fromSeed: this.latent.mixSeed, ...presetRows(preset, numWs) }];
    if (this.latent.local) {
      const mask = await this.maskFor(layer).toPng();
      const state = await this.edit('Mixing…', () => this.client.call('latent.applyLocal', { layerId: layer.id, sliders: [], mixes, mask, feather: 6, healBand: 3 }));
      if (state) this.resetMask(layer);
      return;
    }
    await this.edit('Mixing…', () => this.client.call('latent.apply', { layerId: layer.id, sliders: [], mixes }));
  }

  /**
   * Starts fine-tuning the current generator on a folder (or, with `resume`, continues a stopped run from its
   * checkpoint under the same id); its progress shows in the jobs list and status bar.
   */
  async fineTune(dataDir: string, kimg: number, resume?: { modelId: string; baseId: string }): Promise<void> {
    if (!this.canTrain) return;
    this.trainStarting = true;
    try {
      await this.run(null, async () => {
        const baseId = resume?.baseId ?? this.latent.modelId;
        const r = await this.client.call('train.start', { modelId: baseId, dataDir, kimg, batch: 8, seed: 0, ...(resume ? { resume: resume.modelId } : {}) });
        this.stoppedRun = null;
        this.toast('info', resume ? `Resuming ${r.modelId} from its last checkpoint` : `Fine-tuning into ${r.modelId}; it appears in the model list when done`);
        const off = this.client.on('job.state', async (s) => {
          if (s.id !== r.jobId || s.state === 'running') return;
          off();
          if (s.state === 'done') {
            this.models = await this.client.call('models.list', {});
            this.toast('info', `${r.modelId} is ready`);
          } else {
            this.stoppedRun = { modelId: r.modelId, baseId, dataDir, kimg };
            this.toast('error', s.error ?? `fine-tuning ${s.state}`);
          }
        });
        // The job announces itself before train.start replies; if its event was missed, count it running anyway.
        if (!this.jobs.list.some((j) => j.id === r.jobId)) this.jobs.onState({ id: r.jobId, kind: 'train', state: 'running' });
      });
    } finally {
      this.trainStarting = false;
    }
  }

  cancelJob(id: string) {
    return this.run(null, () => this.client.call('job.cancel', { id }));
  }

  /** Projects an image layer into the generator; the found latent is placed as a new, editable layer. */
  async projectLayer(layer: Layer): Promise<void> {
    await this.place('Projecting…', async () => {
      const { bytes } = await this.client.call('asset.get', { hash: layer.assetHash });
      const r = await this.client.call('latent.project', { image: bytes, modelId: this.modelArg, steps: 200, display: 256, name: `${layer.name} (projected)` });
      this.latent.projection = null;
      this.toast('info', `Projected (loss ${r.loss.toFixed(4)}); ${r.note}`);
      return r.state;
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
      if (as === 'gif') this.download(gif, 'image/gif', `${layer.name}.gif`);
      else this.download(zipSync(Object.fromEntries(frames.map((png, i) => [`frame${String(i).padStart(4, '0')}.png`, png])), { level: 0 }), 'application/zip', `${layer.name}.frames.zip`);
    });
  }
}

const KEY = Symbol('ganvas.editor');

/** Makes the store available to every component below (App calls it once). */
export function provideEditor(editor: Editor): Editor {
  return setContext(KEY, editor);
}

/** The store, from context. */
export function useEditor(): Editor {
  const e = getContext<Editor | undefined>(KEY);
  if (!e) throw new Error('useEditor() outside the app: provideEditor() was not called');
  return e;
}
