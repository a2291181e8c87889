/**
 * A StyleGAN checkpoint as data: which family it is, its configuration (read from attributes and checked
 * against tensor shapes; channel counts come from the shapes only), its G_ema tensors by name, the stored w_avg,
 * the noise constants and, for StyleGAN3, each layer's magnitude EMA, filters and crops.
 *
 * Families: NVlabs network pickles (StyleGAN2-ADA, StyleGAN3 T and R) and rosinality stylegan2-pytorch `.pt`
 * checkpoints (torch zip or legacy torch.save). The generator is always G_ema (g_ema): G is the un-averaged
 * training copy and renders visibly different images. Nothing in the file is executed (engine/import/pickle.ts).
 */
import { EngineError } from '../api/errors.js';
import { isRecord, type PersistentModule } from './torch-globals.js';
import { loadTorchCheckpoint, type TorchContainer } from './torch-load.js';
import { flattenModule, flattenStateDict, toPlain, type ModuleInfo, type Plain, type Tensor } from './torch-modules.js';

export type { Tensor } from './torch-modules.js';
export type StyleGanFormat = 'stylegan2-ada' | 'stylegan3-t' | 'stylegan3-r' | 'rosinality';

/** One mapping fc layer: `act(x · (W·weightGain)ᵀ + b·biasGain)`. */
export interface MappingLayer { weight: string; bias: string; weightGain: number; biasGain: number; activation: 'lrelu' | 'linear' }

export interface StyleGanConfig {
  zDim: number;
  wDim: number;
  /** Classes of a conditional NVlabs model (0: unconditional). */
  cDim: number;
  resolution: number;
  imgChannels: number;
  /** Rows of ws the synthesis takes. */
  numWs: number;
  mappingLayers: number;
  /**
   * Channels from tensor shapes: StyleGAN2 families by block resolution ('4', '8', …: the block's output),
   * StyleGAN3 by layer name.
   */
  channels: Record<string, number>;
  /** StyleGAN2 families: how the image is assembled across blocks (rosinality is always 'skip'); null for SG3. */
  architecture: 'skip' | 'orig' | 'resnet' | null;
  /** Activations are clamped to ±convClamp (NVlabs); null: no clamp (rosinality). */
  convClamp: number | null;
}

export interface NoiseInput { const: Tensor; strength: number }

export interface Sg3Layer {
  name: string;
  isTorgb: boolean;
  inChannels: number;
  outChannels: number;
  /** [width, height]. */
  inSize: [number, number];
  outSize: [number, number];
  upFactor: number;
  downFactor: number;
  /** [x0, x1, y0, y1] applied after zero insertion; negative values are crops. */
  padding: [number, number, number, number];
  convKernel: number;
  convClamp: number | null;
  /** The input gain is rsqrt(magnitudeEma). */
  magnitudeEma: number;
  /** 1-D FIR taps (R's radial down filter is 2-D); null for ToRGB. */
  upFilter: Tensor | null;
  downFilter: Tensor | null;
  criticallySampled: boolean;
}

export interface Sg3Synthesis {
  input: { channels: number; size: [number, number]; samplingRate: number; bandwidth: number };
  layers: Sg3Layer[];
  outputScale: number;
}

export interface StyleGanCheckpoint {
  format: StyleGanFormat;
  container: TorchContainer;
  fileName: string;
  config: StyleGanConfig;
  /** G_ema's tensors by their state_dict names (NVlabs without the `G_ema.` prefix). */
  tensors: Map<string, Tensor>;
  /** The truncation centre as stored (NVlabs `mapping.w_avg`, rosinality `latent_avg`); null when the file has none. */
  wAvg: Float32Array | null;
  mapping: MappingLayer[];
  /** Fixed noise images by layer (NVlabs 'synthesis.b8.conv0', rosinality 'convs.0'); empty for StyleGAN3. */
  noise: Map<string, NoiseInput>;
  sg3: Sg3Synthesis | null;
  /** NVlabs: every module's class and plain attributes (gains, flags, `_init_kwargs`); empty for rosinality. */
  modules: Map<string, ModuleInfo>;
  /** What else the file says about its training (rosinality `args`, NVlabs `training_set_kwargs`), for provenance. */
  training: Record<string, Plain>;
}

class Problems {
  constructor(readonly what: string) {}
  fail(message: string): never {
    throw new EngineError('bad_model', `${this.what}: ${message}`);
  }
}

const MIN_RESOLUTION = 8;
const MAX_RESOLUTION = 4096;

function checkResolution(p: Problems, r: unknown, where: string, powerOfTwo: boolean): number {
  if (typeof r !== 'number' || !Number.isInteger(r) || r < MIN_RESOLUTION || r > MAX_RESOLUTION || (powerOfTwo && (r & (r - 1)) !== 0)) {
    p.fail(`${where} gives a resolution of ${String(r)}; Ganvas imports ${powerOfTwo ? 'power-of-two ' : ''}resolutions from ${MIN_RESOLUTION} to ${MAX_RESOLUTION} px`);
  }
  return r;
}

const num = (v: Plain | undefined): number | undefined => (typeof v === 'number' ? v : undefined);

/** Reads a checkpoint file's bytes. `fileName` names it in messages. */
export function readStyleGanCheckpoint(bytes: Uint8Array, fileName: string): StyleGanCheckpoint {
  const p: Problems = new Problems(fileName);
  const { value, container } = loadTorchCheckpoint(bytes, fileName);
  if (value instanceof Map) {
    const g = value.get('G_ema');
    if (isRecord(g, 'module')) return readNvlabs(p, g as PersistentModule, container, toPlain(value.get('training_set_kwargs') ?? null, fileName));
    const r = value.get('g_ema');
    if (r instanceof Map) return readRosinality(p, r, value, container);
    p.fail(wrongKind([...value.keys()].map(String)));
  }
  if (isRecord(value, 'module')) {
    const m = value as PersistentModule;
    if (m.className === 'Generator') return readNvlabs(p, m, container, null);
    p.fail(`it holds one ${m.className} module, not a generator (a StyleGAN checkpoint has G_ema)`);
  }
  p.fail(`it holds ${describe(value)}, not a StyleGAN checkpoint (NVlabs pickles have G_ema, rosinality checkpoints g_ema)`);
}

function wrongKind(keys: string[]): string {
  const has = (k: string) => keys.includes(k);
  const shown = keys.slice(0, 8).join(', ') + (keys.length > 8 ? ', …' : '');
  if ((has('D') || has('d')) && !has('G') && !has('g')) return `it holds a discriminator (${shown}) but no generator: import the snapshot that has G_ema (or g_ema)`;
  if (has('G') || has('g')) return `it holds ${has('G') ? 'G' : 'g'} but no ${has('G') ? 'G_ema' : 'g_ema'}: Ganvas imports only the averaged generator, which renders the images training reports`;
  return `it is not a StyleGAN checkpoint: it holds ${shown || 'an empty dict'} (NVlabs pickles have G_ema, rosinality checkpoints g_ema)`;
}

function describe(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return `a list of ${v.length} items`;
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (isRecord(v, 'tensor')) return 'a single tensor';
  if (isRecord(v, 'ndarray')) return 'a numpy array';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

function readNvlabs(p: Problems, root: PersistentModule, container: TorchContainer, trainingSet: Plain): StyleGanCheckpoint {
  const flat = flattenModule(root, `${p.what} (G_ema)`);
  const attrs = flat.modules.get('')!.attrs;
  const need = (name: string, shape?: (number | null)[]): Tensor => {
    const t = flat.tensors.get(name);
    if (!t) p.fail(`G_ema has no tensor ${name}: the checkpoint is incomplete`);
    if (shape && (t.shape.length !== shape.length || shape.some((d, i) => d !== null && t.shape[i] !== d))) {
      p.fail(`G_ema's ${name} has shape [${t.shape}]; expected [${shape.map((d) => d ?? '?')}]`);
    }
    return t;
  };
  const mod = (path: string): ModuleInfo => {
    const m = flat.modules.get(path);
    if (!m) p.fail(`G_ema has no module ${path}: the checkpoint is incomplete`);
    return m;
  };
  const zDim = num(attrs.z_dim), cDim = num(attrs.c_dim) ?? 0, wDim = num(attrs.w_dim);
  if (zDim === undefined || wDim === undefined || !(zDim > 0) || !(wDim > 0)) p.fail('G_ema does not say its z_dim and w_dim: it is not a StyleGAN generator');
  const resolution = checkResolution(p, attrs.img_resolution, 'G_ema.img_resolution', mod('synthesis').attrs.layer_names === undefined);
  const imgChannels = num(attrs.img_channels) ?? 3;

  // Mapping: fc0 … fc{n-1}, and an embedding of c when conditional.
  const mapping: MappingLayer[] = [];
  for (let i = 0; flat.modules.has(`mapping.fc${i}`); i++) {
    const a = flat.modules.get(`mapping.fc${i}`)!.attrs;
    const w = need(`mapping.fc${i}.weight`, [null, null]);
    need(`mapping.fc${i}.bias`, [w.shape[0]!]);
    const weightGain = num(a.weight_gain), biasGain = num(a.bias_gain);
    if (weightGain === undefined || biasGain === undefined) p.fail(`mapping.fc${i} does not record its weight_gain and bias_gain`);
    mapping.push({ weight: `mapping.fc${i}.weight`, bias: `mapping.fc${i}.bias`, weightGain, biasGain, activation: a.activation === 'linear' ? 'linear' : 'lrelu' });
  }
  if (!mapping.length) p.fail('G_ema.mapping has no fc layers: the checkpoint is incomplete');
  const declaredLayers = num(mod('mapping').attrs.num_layers);
  if (declaredLayers !== undefined && declaredLayers !== mapping.length) p.fail(`G_ema.mapping says ${declaredLayers} layers but holds ${mapping.length}`);
  let embedOut = 0;
  if (cDim > 0) embedOut = need('mapping.embed.weight', [null, cDim]).shape[0]!;
  const fc0In = flat.tensors.get('mapping.fc0.weight')!.shape[1]!;
  if (fc0In !== zDim + embedOut) p.fail(`mapping.fc0 takes ${fc0In} features; z_dim ${zDim} and c_dim ${cDim} need ${zDim + embedOut}`);
  if (flat.tensors.get(mapping[mapping.length - 1]!.weight)!.shape[0] !== wDim) p.fail(`the last mapping layer does not output w_dim ${wDim} features`);
  const wAvg = need('mapping.w_avg', [wDim]).data;

  const isSg3 = mod('synthesis').attrs.layer_names !== undefined || flat.modules.has('synthesis.input');
  const common = { container, fileName: p.what, tensors: flat.tensors, wAvg, mapping, modules: flat.modules, training: { training_set_kwargs: trainingSet } };
  if (isSg3) {
    const { sg3, channels, format, convClamp } = readSg3(p, flat.modules, flat.tensors, flat.absent, need, resolution);
    const numWs = sg3.layers.length + 1;
    if (num(attrs.num_ws) !== undefined && num(attrs.num_ws) !== numWs) p.fail(`G_ema says num_ws ${num(attrs.num_ws)} but its synthesis has ${sg3.layers.length} layers and an input (${numWs} rows)`);
    return { ...common, format, noise: new Map(), sg3, config: { zDim, wDim, cDim, resolution, imgChannels, numWs, mappingLayers: mapping.length, channels, architecture: null, convClamp } };
  }
  const { channels, architecture, convClamp, noise, numWs } = readSg2Synthesis(p, flat.modules, flat.tensors, need, resolution, imgChannels);
  if (num(attrs.num_ws) !== undefined && num(attrs.num_ws) !== numWs) p.fail(`G_ema says num_ws ${num(attrs.num_ws)} but its synthesis uses ${numWs}`);
  return { ...common, format: 'stylegan2-ada', noise, sg3: null, config: { zDim, wDim, cDim, resolution, imgChannels, numWs, mappingLayers: mapping.length, channels, architecture, convClamp } };
}

type Need = (name: string, shape?: (number | null)[]) => Tensor;

function readSg2Synthesis(p: Problems, modules: Map<string, ModuleInfo>, tensors: Map<string, Tensor>, need: Need, resolution: number, imgChannels: number) {
  const channels: Record<string, number> = {};
  const noise = new Map<string, NoiseInput>();
  let convClamp: number | null = null;
  let numWs = 0;
  const blocks: number[] = [];
  for (let r = 4; r <= resolution; r *= 2) blocks.push(r);
  for (const [path] of modules) {
    const m = /^synthesis\.b(\d+)$/.exec(path);
    if (m && !blocks.includes(Number(m[1]))) p.fail(`G_ema.synthesis has a block b${m[1]} beyond its img_resolution ${resolution}`);
  }
  const archAttr = modules.get(`synthesis.b${resolution}`)?.attrs.architecture;
  const architecture = archAttr === 'orig' || archAttr === 'resnet' || archAttr === 'skip' ? (archAttr as 'skip' | 'orig' | 'resnet') : null;
  if (!architecture) p.fail(`G_ema's last block does not record a known architecture (${JSON.stringify(archAttr ?? null)}; expected skip, orig or resnet)`);

  const layer = (path: string, inCh: number) => {
    const w = need(`${path}.weight`, [null, inCh, null, null]);
    need(`${path}.bias`, [w.shape[0]!]);
    need(`${path}.affine.weight`, [inCh, null]);
    need(`${path}.affine.bias`, [inCh]);
    if (path.endsWith('conv0')) need(`${path}.resample_filter`, [null, null]);
    const a = modules.get(path)?.attrs ?? {};
    const clamp = a.conv_clamp;
    if (typeof clamp === 'number') convClamp = clamp;
    if (a.use_noise !== false && tensors.has(`${path}.noise_const`)) {
      const r = Number(/b(\d+)/.exec(path)![1]);
      const c = need(`${path}.noise_const`, [r, r]);
      noise.set(path, { const: c, strength: need(`${path}.noise_strength`).data[0]! });
    } else if (a.use_noise === true) {
      p.fail(`G_ema has no tensor ${path}.noise_const: the checkpoint is incomplete`);
    }
    numWs++;
    return w.shape[0]!;
  };
  let prev = 0;
  for (const r of blocks) {
    const b = `synthesis.b${r}`;
    if (!modules.has(b)) p.fail(`G_ema.synthesis has no block b${r} (img_resolution ${resolution} needs b4 … b${resolution}): the checkpoint is incomplete`);
    let ch: number;
    if (r === 4) {
      const c = need(`${b}.const`, [null, 4, 4]);
      ch = layer(`${b}.conv1`, c.shape[0]!);
    } else {
      const mid = layer(`${b}.conv0`, prev);
      ch = layer(`${b}.conv1`, mid);
      if (architecture === 'resnet') need(`${b}.skip.weight`, [ch, prev, 1, 1]);
    }
    channels[String(r)] = ch;
    if (r > 4 && architecture === 'skip') need(`${b}.resample_filter`, [null, null]);
    if (architecture === 'skip' || r === resolution) {
      need(`${b}.torgb.weight`, [imgChannels, ch, 1, 1]);
      need(`${b}.torgb.bias`, [imgChannels]);
      need(`${b}.torgb.affine.weight`, [ch, null]);
      need(`${b}.torgb.affine.bias`, [ch]);
    }
    prev = ch;
  }
  numWs++; // the last block's ToRGB takes its own row
  return { channels, architecture, convClamp, noise, numWs };
}

function readSg3(p: Problems, modules: Map<string, ModuleInfo>, tensors: Map<string, Tensor>, absent: Set<string>, need: Need, resolution: number) {
  const pair = (v: Plain | undefined, what: string): [number, number] => {
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0] as number, v[1] as number];
    if (typeof v === 'number') return [v, v];
    p.fail(`${what} is not a [width, height] pair`);
  };
  const syn = modules.get('synthesis')!.attrs;
  const names = syn.layer_names;
  if (!Array.isArray(names) || !names.length || !names.every((n) => typeof n === 'string')) p.fail('G_ema.synthesis has no layer_names');
  const inp = modules.get('synthesis.input');
  if (!inp) p.fail('G_ema has no module synthesis.input: the checkpoint is incomplete');
  const inChannels = num(inp.attrs.channels);
  if (!inChannels) p.fail('synthesis.input does not record its channels');
  for (const t of ['weight', 'freqs', 'phases', 'transform', 'affine.weight', 'affine.bias']) need(`synthesis.input.${t}`);
  need('synthesis.input.freqs', [inChannels, 2]);
  need('synthesis.input.transform', [3, 3]);
  const input = {
    channels: inChannels, size: pair(inp.attrs.size, 'synthesis.input.size'),
    samplingRate: num(inp.attrs.sampling_rate) ?? p.fail('synthesis.input has no sampling_rate'),
    bandwidth: num(inp.attrs.bandwidth) ?? p.fail('synthesis.input has no bandwidth'),
  };
  const channels: Record<string, number> = {};
  let convClamp: number | null = null;
  let radial = false;
  let prev = inChannels;
  const layers: Sg3Layer[] = (names as string[]).map((name) => {
    const path = `synthesis.${name}`;
    const a = modules.get(path)?.attrs;
    if (!a) p.fail(`G_ema has no layer ${path}: the checkpoint is incomplete`);
    const isTorgb = a.is_torgb === true;
    const w = need(`${path}.weight`, [null, prev, null, null]);
    need(`${path}.bias`, [w.shape[0]!]);
    need(`${path}.affine.weight`, [prev, null]);
    need(`${path}.affine.bias`, [prev]);
    const ema = need(`${path}.magnitude_ema`).data[0]!;
    if (!(ema > 0)) p.fail(`${path}.magnitude_ema is ${ema}; it must be positive`);
    const filter = (k: string): Tensor | null => {
      if (tensors.has(`${path}.${k}`)) return tensors.get(`${path}.${k}`)!;
      if (absent.has(`${path}.${k}`) && isTorgb) return null;
      p.fail(`G_ema has no tensor ${path}.${k}: the checkpoint is incomplete`);
    };
    const padding = a.padding;
    if (!Array.isArray(padding) || padding.length !== 4 || !padding.every((x) => typeof x === 'number')) p.fail(`${path} does not record its padding`);
    const convKernel = num(a.conv_kernel) ?? w.shape[2]!;
    if (!isTorgb && (convKernel === 1 || a.down_radial === true)) radial = true;
    if (typeof a.conv_clamp === 'number') convClamp = a.conv_clamp;
    const l: Sg3Layer = {
      name, isTorgb, inChannels: prev, outChannels: w.shape[0]!,
      inSize: pair(a.in_size, `${path}.in_size`), outSize: pair(a.out_size, `${path}.out_size`),
      upFactor: num(a.up_factor) ?? p.fail(`${path} has no up_factor`), downFactor: num(a.down_factor) ?? p.fail(`${path} has no down_factor`),
      padding: padding as [number, number, number, number], convKernel,
      convClamp: typeof a.conv_clamp === 'number' ? a.conv_clamp : null, magnitudeEma: ema,
      upFilter: filter('up_filter'), downFilter: filter('down_filter'), criticallySampled: a.is_critically_sampled === true,
    };
    channels[name] = l.outChannels;
    prev = l.outChannels;
    return l;
  });
  const last = layers[layers.length - 1]!;
  if (!last.isTorgb) p.fail('the last synthesis layer is not a ToRGB layer');
  if (last.outSize[0] !== resolution || last.outSize[1] !== resolution) p.fail(`the last layer outputs ${last.outSize.join('×')} px, but img_resolution is ${resolution}`);
  const outputScale = num(syn.output_scale) ?? p.fail('G_ema.synthesis has no output_scale');
  return { sg3: { input, layers, outputScale }, channels, format: (radial ? 'stylegan3-r' : 'stylegan3-t') as StyleGanFormat, convClamp };
}

/** rosinality's Generator defaults, which its checkpoints do not store. */
const ROSINALITY_LR_MLP = 0.01;

function readRosinality(p: Problems, gEma: Map<unknown, unknown>, top: Map<unknown, unknown>, container: TorchContainer): StyleGanCheckpoint {
  const tensors = flattenStateDict(gEma, `${p.what} (g_ema)`);
  const args = toPlain(top.get('args') ?? null, p.what);
  const argsObj = args && typeof args === 'object' && !Array.isArray(args) ? args : {};
  if (typeof argsObj.arch === 'string' && argsObj.arch !== 'stylegan2') p.fail(`its generator architecture is ${argsObj.arch}; Ganvas imports rosinality's stylegan2 generators`);
  const need: Need = (name, shape) => {
    const t = tensors.get(name);
    if (!t) p.fail(`g_ema has no tensor ${name}: the checkpoint is incomplete`);
    if (shape && (t.shape.length !== shape.length || shape.some((d, i) => d !== null && t.shape[i] !== d))) {
      p.fail(`g_ema's ${name} has shape [${t.shape}]; expected [${shape.map((d) => d ?? '?')}]`);
    }
    return t;
  };
  let nMlp = 0;
  while (tensors.has(`style.${nMlp + 1}.weight`)) nMlp++;
  if (!nMlp) p.fail('g_ema has no mapping layers (style.1.weight …): it is not a rosinality StyleGAN2 generator');
  const zDim = need('style.1.weight', [null, null]).shape[1]!;
  const wDim = need(`style.${nMlp}.weight`, [null, null]).shape[0]!;
  const mapping: MappingLayer[] = [];
  for (let i = 1; i <= nMlp; i++) {
    const w = need(`style.${i}.weight`, [null, null]);
    need(`style.${i}.bias`, [w.shape[0]!]);
    mapping.push({ weight: `style.${i}.weight`, bias: `style.${i}.bias`, weightGain: ROSINALITY_LR_MLP / Math.sqrt(w.shape[1]!), biasGain: ROSINALITY_LR_MLP, activation: 'lrelu' });
  }
  let upBlocks = 0;
  while (tensors.has(`to_rgbs.${upBlocks}.conv.weight`)) upBlocks++;
  const log2 = upBlocks + 2;
  if (log2 > Math.log2(MAX_RESOLUTION)) p.fail(`g_ema has ${upBlocks} upsampling blocks, a resolution of 2^${log2} px; Ganvas imports resolutions from ${MIN_RESOLUTION} to ${MAX_RESOLUTION} px`);
  const resolution = checkResolution(p, 2 ** log2, 'the number of to_rgbs blocks', true);
  if (typeof argsObj.size === 'number' && argsObj.size !== resolution) p.fail(`its args say size ${argsObj.size} but g_ema's blocks make ${resolution} px`);

  const channels: Record<string, number> = {};
  const noise = new Map<string, NoiseInput>();
  const input = need('input.input', [1, null, 4, 4]);
  const styled = (path: string, inCh: number, k: number, outCh: number | null) => {
    const w = need(`${path}.conv.weight`, [1, outCh, inCh, k, k]);
    need(`${path}.conv.modulation.weight`, [inCh, wDim]);
    need(`${path}.conv.modulation.bias`, [inCh]);
    return w.shape[1]!;
  };
  const noiseFor = (path: string, index: number, r: number) => {
    noise.set(path, { const: need(`noises.noise_${index}`, [1, 1, r, r]), strength: need(`${path}.noise.weight`, [1]).data[0]! });
  };
  let ch = styled('conv1', input.shape[1]!, 3, null);
  need('conv1.activate.bias', [ch]);
  noiseFor('conv1', 0, 4);
  channels['4'] = ch;
  styled('to_rgb1', ch, 1, 3);
  need('to_rgb1.bias', [1, 3, 1, 1]);
  for (let k = 0; k < upBlocks; k++) {
    const r = 8 << k;
    const up = `convs.${2 * k}`, plain = `convs.${2 * k + 1}`;
    const mid = styled(up, ch, 3, null);
    need(`${up}.conv.blur.kernel`, [null, null]);
    need(`${up}.activate.bias`, [mid]);
    noiseFor(up, 2 * k + 1, r);
    ch = styled(plain, mid, 3, null);
    need(`${plain}.activate.bias`, [ch]);
    noiseFor(plain, 2 * k + 2, r);
    styled(`to_rgbs.${k}`, ch, 1, 3);
    need(`to_rgbs.${k}.bias`, [1, 3, 1, 1]);
    need(`to_rgbs.${k}.upsample.kernel`, [null, null]);
    channels[String(r)] = ch;
  }
  if (tensors.has(`convs.${2 * upBlocks}.conv.weight`)) p.fail(`g_ema has more convs than to_rgbs blocks: the checkpoint is damaged`);
  const latentAvg = top.get('latent_avg');
  let wAvg: Float32Array | null = null;
  if (isRecord(latentAvg, 'tensor')) {
    const t = flattenStateDict(new Map([['latent_avg', latentAvg]]), p.what).get('latent_avg')!;
    if (t.data.length !== wDim) p.fail(`latent_avg has ${t.data.length} values; w has ${wDim}`);
    wAvg = t.data;
  }
  const numWs = 2 * log2 - 2;
  return {
    format: 'rosinality', container, fileName: p.what, tensors, wAvg, mapping, noise, sg3: null, modules: new Map(),
    config: { zDim, wDim, cDim: 0, resolution, imgChannels: 3, numWs, mappingLayers: nMlp, channels, architecture: 'skip', convClamp: null },
    training: { args },
  };
}
