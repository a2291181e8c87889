/**
 * Inpainter I/O conventions (model.json `inpainter.io`, schema in package.ts): establishing them for a bare ONNX
 * file at import, and applying them to tensors at run time.
 *
 * What the file declares (input count, channel dims, element types, fixed sizes) is read from its metadata. What
 * it does not declare is measured by probe runs on a synthetic image, using properties that hold for any
 * inpainter whatever its weights (the import fixtures have random weights, so nothing may rely on a good fill):
 *
 * - mask polarity: a graph erases the hole (its image pixels do not reach the output) and/or composites (the
 *   known pixels come back as given); either shows which mask value marks the hole;
 * - value ranges: a composited graph returns known pixels through an affine map out = a·in + b, which fixes the
 *   pair (image range, output range) up to the three pairs that map identically; the fill's own span breaks
 *   that tie (only [-1, 1] has negatives, only [0, 255] goes past 1.5);
 * - sizes: fixed dims in the file, else the smallest stride multiple at which the graph runs and returns the
 *   size it was given.
 *
 * Each convention can be told instead (`ganvas models import --mask-hole 1 …`); a convention that is neither
 * told nor measurable refuses the import with a message naming it and the flag that sets it.
 */
import { EngineError } from '../api/errors.js';
import type { Feed, Session, Tensor, ValueSpec } from './onnx.js';
import type { InpainterIo } from './package.js';

export type Range = [number, number];

/** Conventions told by the user; each one replaces what the probes would say. */
export interface IoOverrides {
  imageRange?: Range;
  /** The mask value that marks the hole: 1, 0 or 255 (known is then 0, or 1 for float / 255 for uint8 masks). */
  maskHole?: number;
  outputRange?: Range;
  outputRounding?: 'round' | 'truncate';
  /** Whether the engine zeroes the image inside the hole before feeding it. */
  eraseHole?: boolean;
  /** The graph runs at this square size only. */
  size?: number;
  /** Working sizes are multiples of this. */
  multiple?: number;
  /** The longest side a crop is run at (default 2048 for graphs that take any size). */
  maxSide?: number;
}

export interface DetectedInpainter {
  io: InpainterIo;
  sizing: { fixed: number | null; multiple: number; maxSide: number };
}

/** Ganvas's own convention, for cards without `io` (shipped and trained inpainters). */
export const ganvasIo: InpainterIo = {
  layout: 'image+mask',
  names: { image: 'image', mask: 'mask', output: 'output' },
  image: { type: 'float32', range: [-1, 1], eraseHole: false },
  mask: { type: 'float32', hole: 1, known: 0 },
  output: { type: 'float32', range: [-1, 1], rounding: 'round', composited: true },
};

const RANGES: Range[] = [[0, 1], [-1, 1], [0, 255]];
const DEFAULT_MAX_SIDE = 2048;
const fmtRange = (r: readonly number[]) => `${r[0]}..${r[1]}`;
const fmtDims = (dims: readonly (number | string)[]) => `[${dims.map((d) => (d === -1 ? '?' : d)).join(', ')}]`;

/** Parses "0..1", "-1..1", "0..255" (or "0,1"). */
export function parseRange(s: string): Range | null {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(?:\.\.|,)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(s);
  if (!m) return null;
  const r: Range = [Number(m[1]), Number(m[2])];
  return r[1] > r[0] ? r : null;
}

// ---------------------------------------------------------------------------------------------------------------
// Applying conventions: pixels → feeds, output → pixels.

/**
 * rgb: H×W×3 interleaved bytes; hole: H×W, non-zero = fill. Returns the feeds the graph wants, as the card's
 * conventions say: layout, element types, value range, mask values, and erasing of the hole.
 */
export function encodeInputs(io: InpainterIo, rgb: Uint8Array, hole: Uint8Array, width: number, height: number): Record<string, Feed> {
  const n = width * height;
  if (rgb.length !== 3 * n || hole.length !== n) throw new Error(`encodeInputs: ${rgb.length} + ${hole.length} bytes for ${width}×${height}`);
  const [lo, hi] = io.image.range;
  const erase = io.image.eraseHole;
  const maskValue = (i: number) => (hole[i] ? io.mask.hole : io.mask.known);
  if (io.layout === 'stacked') {
    // One tensor [1, 4, H, W]: RGB then mask, all of the image input's type.
    const data = io.image.type === 'uint8' ? new Uint8Array(4 * n) : new Float32Array(4 * n);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) data[c * n + i] = erase && hole[i] ? 0 : pixelValue(rgb[i * 3 + c]!, lo, hi, io.image.type);
      data[3 * n + i] = maskValue(i);
    }
    return { [io.names.image]: { data, dims: [1, 4, height, width] } };
  }
  const image = io.image.type === 'uint8' ? new Uint8Array(3 * n) : new Float32Array(3 * n);
  const mask = io.mask.type === 'uint8' ? new Uint8Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) {
    mask[i] = maskValue(i);
    for (let c = 0; c < 3; c++) image[c * n + i] = erase && hole[i] ? 0 : pixelValue(rgb[i * 3 + c]!, lo, hi, io.image.type);
  }
  return { [io.names.image]: { data: image, dims: [1, 3, height, width] }, [io.names.mask!]: { data: mask, dims: [1, 1, height, width] } };
}

/** A byte to the graph's units; written as (p·span)/255 + lo so that 0..1 gives exactly NumPy's p / 255. */
function pixelValue(p: number, lo: number, hi: number, type: 'uint8' | 'float32'): number {
  if (type === 'uint8') return p;
  return (p * (hi - lo)) / 255 + lo;
}

/** The graph's output → H×W×3 interleaved bytes, through the recorded range and rounding. */
export function decodeOutput(io: InpainterIo, out: Tensor, width: number, height: number, what: string): Uint8Array {
  const n = width * height;
  if (out.data.length !== 3 * n) throw new EngineError('bad_model', `${what} returned ${out.dims.join('×')} for a ${width}×${height} input`);
  const rgb = new Uint8Array(3 * n);
  if (out.type === 'uint8') {
    for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = out.data[c * n + i]!;
    return rgb;
  }
  const [lo, hi] = io.output.range;
  // A multiplier of exactly 1 for 0..255 outputs keeps truncation exact (37.0 must not become 36.99…).
  const scale = hi - lo === 255 ? 1 : 255 / (hi - lo);
  const toByte = io.output.rounding === 'truncate' ? Math.trunc : Math.round;
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) {
    const v = (out.data[c * n + i]! - lo) * scale;
    rgb[i * 3 + c] = Number.isNaN(v) ? 0 : toByte(Math.max(0, Math.min(255, v)));
  }
  return rgb;
}

// ---------------------------------------------------------------------------------------------------------------
// Establishing conventions at import.

const refuse = (file: string, what: string, why: string, hint: string): never => {
  throw new EngineError('bad_model', `${file}: cannot establish the ${what}: ${why}${hint ? `; ${hint}` : ''}`);
};

const channelDim = (v: ValueSpec) => (v.dims.length === 4 && typeof v.dims[1] === 'number' ? v.dims[1] : null);

/** Which inputs are the image and the mask, and which output is the image. */
function findLayout(file: string, session: Session): Pick<InpainterIo, 'layout' | 'names'> & { imageSpec: ValueSpec; maskSpec: ValueSpec | null; outSpec: ValueSpec } {
  const ins = session.inputs;
  let layout: InpainterIo['layout'];
  let imageSpec: ValueSpec, maskSpec: ValueSpec | null = null;
  if (ins.length === 1 && channelDim(ins[0]!) === 4) {
    layout = 'stacked';
    imageSpec = ins[0]!;
  } else if (ins.length === 2) {
    layout = 'image+mask';
    const byChannels = (c: number) => ins.filter((v) => channelDim(v) === c);
    const img = byChannels(3), msk = byChannels(1);
    if (img.length !== 1 || msk.length !== 1) {
      // Name the first input that does not look like what it should be.
      const bad = ins.find((v) => channelDim(v) !== 3 && channelDim(v) !== 1) ?? ins[0]!;
      const what = img.length === 1 ? 'mask [B, 1, H, W]' : 'image [B, 3, H, W]';
      throw new EngineError('bad_model', `${file}: input ${bad.name} has shape ${fmtDims(bad.dims)}; ${what} must be ${what.startsWith('image') ? '[?, 3, ?, ?]' : '[?, 1, ?, ?]'}, so the input layout (image + mask) cannot be established`);
    }
    imageSpec = img[0]!;
    maskSpec = msk[0]!;
  } else {
    return refuse(file, 'input layout', `it has ${ins.length} inputs (${ins.map((v) => `${v.name} ${fmtDims(v.dims)}`).join(', ')})`,
      'an inpainter takes image [B, 3, H, W] and mask [B, 1, H, W], or one input [B, 4, H, W] (RGB, then the mask)');
  }
  const outs = session.outputs.filter((v) => channelDim(v) === 3);
  const outSpec = outs[0] ?? (session.outputs.length === 1 && session.outputs[0]!.dims.length === 4 && typeof session.outputs[0]!.dims[1] !== 'number' ? session.outputs[0]! : undefined);
  if (!outSpec) {
    refuse(file, 'output layout', `no output is an image [B, 3, H, W] (${session.outputs.map((v) => `${v.name} ${fmtDims(v.dims)}`).join(', ')})`, '');
  }
  for (const [role, v] of [['image', imageSpec], ['mask', maskSpec], ['output', outSpec!]] as const) {
    if (v && v.type !== 'uint8' && v.type !== 'float32') {
      refuse(file, `${role} type`, `${role === 'output' ? 'output' : 'input'} ${v.name} is ${v.type}`, 'Ganvas feeds and reads uint8 or float32 tensors');
    }
  }
  return { layout, names: { image: imageSpec.name, ...(maskSpec ? { mask: maskSpec.name } : {}), output: outSpec!.name }, imageSpec, maskSpec, outSpec: outSpec! };
}

/** A deterministic, smooth but varied probe image (bytes 24..231 in each channel). */
function probeImage(w: number, h: number): Uint8Array {
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) {
    const v = 128 + 60 * Math.sin(0.19 * x + 0.11 * y + 2.1 * c) + 44 * Math.cos(0.07 * x - 0.23 * y + c);
    rgb[(y * w + x) * 3 + c] = Math.round(v);
  }
  return rgb;
}

/** The probe: a hole R (the centred half of each side), image i0, and i1 = i0 with R's interior inverted. */
interface Probe {
  i0: Uint8Array; i1: Uint8Array;
  /** Pixels well inside R (where i1 differs from i0) and well outside it. */
  inner: number[]; outer: number[];
  /** 1 inside R. */
  inR: Uint8Array;
}

function makeProbe(w: number, h: number): Probe {
  const r = { x0: Math.floor(w / 4), y0: Math.floor(h / 4), x1: w - Math.floor(w / 4), y1: h - Math.floor(h / 4) };
  const M = 5; // margin: an MI-GAN pipeline blends the hole's edge over about 3 px on either side
  const i0 = probeImage(w, h), i1 = i0.slice(), inR = new Uint8Array(w * h);
  const inner: number[] = [], outer: number[] = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = y * w + x;
    const inside = x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1;
    if (inside) inR[i] = 1;
    if (x >= r.x0 + M && x < r.x1 - M && y >= r.y0 + M && y < r.y1 - M) {
      inner.push(i);
      for (let c = 0; c < 3; c++) i1[i * 3 + c] = 255 - i0[i * 3 + c]!;
    } else if (x < r.x0 - M - 1 || x >= r.x1 + M + 1 || y < r.y0 - M - 1 || y >= r.y1 + M + 1) {
      outer.push(i);
    }
  }
  return { i0, i1, inner, outer, inR };
}

/** Least-squares fit y = a·x + b over the given pixels (all channels); rel = rms residual / std(y). */
function affineFit(x: ArrayLike<number>, y: ArrayLike<number>, pixels: number[], n: number): { a: number; b: number; rel: number } {
  let sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0, k = 0;
  for (const i of pixels) for (let c = 0; c < 3; c++) {
    const xv = x[c * n + i]!, yv = y[c * n + i]!;
    sx += xv; sy += yv; sxx += xv * xv; sxy += xv * yv; syy += yv * yv; k++;
  }
  const vx = sxx / k - (sx / k) ** 2, vy = Math.max(0, syy / k - (sy / k) ** 2);
  if (!(vx > 0)) return { a: 0, b: 0, rel: Infinity };
  const a = (sxy / k - (sx / k) * (sy / k)) / vx, b = sy / k - a * (sx / k);
  let ss = 0;
  for (const i of pixels) for (let c = 0; c < 3; c++) ss += (y[c * n + i]! - a * x[c * n + i]! - b) ** 2;
  const rms = Math.sqrt(ss / k);
  return { a, b, rel: vy > 0 ? rms / Math.sqrt(vy) : Infinity }; // a constant output never counts as coming back
}

const meanAbsDiff = (p: ArrayLike<number>, q: ArrayLike<number>, pixels: number[], n: number) => {
  let s = 0;
  for (const i of pixels) for (let c = 0; c < 3; c++) s += Math.abs(p[c * n + i]! - q[c * n + i]!);
  return s / (3 * pixels.length);
};

/** The image values a probe fed, channel-planar, as numbers (for the affine fit). */
function fedValues(io: InpainterIo, rgb: Uint8Array, n: number): Float64Array {
  const [lo, hi] = io.image.range;
  const x = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) x[c * n + i] = pixelValue(rgb[i * 3 + c]!, lo, hi, io.image.type);
  return x;
}

const close = (v: number, target: number, tol: number) => Math.abs(v - target) <= tol;
/** out = a·in + b, with b shown as 0 when it is rounding noise. */
const fmtMap = (a: number, b: number) => `out = ${Number(a.toPrecision(4))}·in ${Math.abs(b) < 1e-6 * Math.max(1, Math.abs(a)) ? '+ 0' : `${b < 0 ? '−' : '+'} ${Number(Math.abs(b).toPrecision(3))}`}`;

/**
 * Establishes an inpainter file's conventions and working size, from its metadata, probe runs and the user's
 * overrides. Throws EngineError('bad_model') naming the first convention that cannot be established.
 */
export async function detectInpainterIo(session: Session, file: string, over: IoOverrides = {}): Promise<DetectedInpainter> {
  const evidence: Record<string, string> = {};
  const { layout, names, imageSpec, maskSpec, outSpec } = findLayout(file, session);
  evidence.layout = `declared: ${session.inputs.map((v) => `${v.name} ${v.type} ${fmtDims(v.dims)}`).join(', ')} → ${outSpec.name} ${outSpec.type} ${fmtDims(outSpec.dims)}`;
  const imageType = imageSpec.type as 'uint8' | 'float32';
  const maskType = (maskSpec ?? imageSpec).type as 'uint8' | 'float32';
  const outType = outSpec.type as 'uint8' | 'float32';

  // A working io: what is known so far, with placeholders the probes below replace.
  const io: InpainterIo = {
    layout, names,
    image: { type: imageType, range: imageType === 'uint8' ? [0, 255] : over.imageRange ?? [0, 1], eraseHole: over.eraseHole ?? false },
    mask: { type: maskType, hole: 1, known: 0 },
    output: { type: outType, range: outType === 'uint8' ? [0, 255] : over.outputRange ?? [0, 1], rounding: 'round', composited: false },
  };
  if (imageType === 'uint8' && over.imageRange && fmtRange(over.imageRange) !== '0..255') {
    refuse(file, 'image range', `input ${names.image} is uint8, so its range is 0..255, not ${fmtRange(over.imageRange)}`, '');
  }
  if (outType === 'uint8' && over.outputRange && fmtRange(over.outputRange) !== '0..255') {
    refuse(file, 'output range', `output ${names.output} is uint8, so its range is 0..255, not ${fmtRange(over.outputRange)}`, '');
  }
  const maskPair = (hole: number): { hole: number; known: number } => ({ hole, known: hole !== 0 ? 0 : maskType === 'uint8' ? 255 : 1 });
  // Probe outputs by (size, image, mask value in R): the size probe's run is the polarity probes' first.
  const cache = new Map<string, ArrayLike<number>>();
  const run = async (rgb: Uint8Array, hole: Uint8Array, w: number, h: number, mask: { hole: number; known: number }, key?: string) => {
    const k = key && `${w}x${h}:${key}:${mask.hole}`;
    if (k && cache.has(k)) return cache.get(k)!;
    const out = await session.runTensors(encodeInputs({ ...io, mask: { type: maskType, ...mask } }, rgb, hole, w, h), { quiet: true });
    const t = out[names.output];
    if (!t) throw new Error(`no output ${names.output}`);
    if (t.dims.length !== 4 || t.dims[1] !== 3 || t.dims[2] !== h || t.dims[3] !== w) throw new Error(`returned ${fmtDims(t.dims)} for ${w}×${h}`);
    for (const v of t.data) if (!Number.isFinite(v)) throw new Error('returned NaN or infinite values');
    if (k) cache.set(k, t.data);
    return t.data;
  };

  // --- Size: told, fixed by the file, or the smallest stride multiple the graph runs at.
  const hDim = imageSpec.dims[2], wDim = imageSpec.dims[3];
  let fixed: number | null = null, multiple = 1, probeW = 0, probeH = 0;
  const values = maskType === 'uint8' ? [255, 0] : [1, 0];
  const firstMask = maskPair(values[0]!);
  if (over.size) {
    fixed = over.size;
    evidence.size = `flag --size ${over.size}`;
  } else if (typeof hDim === 'number' && hDim > 0 && typeof wDim === 'number' && wDim > 0) {
    if (hDim !== wDim) refuse(file, 'working size', `input ${names.image} is fixed at ${wDim}×${hDim}`, 'Ganvas runs fixed-size inpainters at a square size only');
    fixed = hDim;
    evidence.size = `declared: ${names.image} is fixed at ${hDim}×${wDim}`;
  }
  if (fixed) {
    probeW = probeH = fixed;
    try {
      const p = makeProbe(fixed, fixed);
      await run(p.i0, p.inR, fixed, fixed, firstMask, 'i0');
    } catch (err) {
      refuse(file, 'working size', `it does not run at ${fixed}×${fixed} (${(err as Error).message.split('\n')[0]})`, 'pass --size N for the size it was exported at');
    }
  } else {
    const tried: string[] = [];
    const candidates = over.multiple ? [over.multiple] : [1, 2, 4, 8, 16, 32, 64];
    const odd = (v: number) => (v % 2 ? v : v + 1);
    for (const m of candidates) {
      // Odd multiples of m, different in each direction, so a size that is also a multiple of 2m is never tried.
      const k = odd(Math.ceil(64 / m));
      const w = m * k, h = m * (k + 2);
      try {
        const p = makeProbe(w, h);
        await run(p.i0, p.inR, w, h, firstMask, 'i0');
        multiple = m;
        probeW = w;
        probeH = h;
        break;
      } catch (err) {
        tried.push(`${w}×${h}: ${(err as Error).message.split('\n')[0]!.slice(0, 120)}`);
      }
    }
    if (!probeW && !over.multiple) {
      // Symbolic dims but one size inside (e.g. an FFT exported as matmuls sized at export): try the usual ones.
      for (const s of [256, 512]) {
        try {
          const p = makeProbe(s, s);
          await run(p.i0, p.inR, s, s, firstMask, 'i0');
          fixed = s;
          probeW = probeH = s;
          evidence.size = `probe: runs at ${s}×${s} only (not at ${tried.length} smaller sizes)`;
          break;
        } catch { /* try the next */ }
      }
    }
    if (!probeW) refuse(file, 'working size', `it runs at none of ${tried.map((t) => t.split(':')[0]).join(', ')} (${tried[0] ?? ''})`, 'pass --size N (the one size it runs at) or --multiple N');
    if (!fixed) evidence.size = over.multiple ? `flag --multiple ${over.multiple}` : `probe: runs at any size that is a multiple of ${multiple} (${probeW}×${probeH} returned ${probeW}×${probeH})`;
  }

  // --- Mask polarity. R marked with value v, the rest with the other; runs with image i0 and with i1 (i0 with
  // R's interior inverted). The hole value is the one under which R's pixels do not reach the output
  // (erasing graphs) and/or under which the rest comes back as given (compositing graphs).
  const p = makeProbe(probeW, probeH);
  const n = probeW * probeH;
  const outs = new Map<number, { o0: ArrayLike<number>; o1: ArrayLike<number> }>();
  for (const v of values) {
    try {
      outs.set(v, { o0: await run(p.i0, p.inR, probeW, probeH, maskPair(v), 'i0'), o1: await run(p.i1, p.inR, probeW, probeH, maskPair(v), 'i1') });
    } catch (err) {
      refuse(file, 'mask polarity', `a probe run failed (${(err as Error).message.split('\n')[0]})`, 'pass --mask-hole');
    }
  }
  const [va, vb] = values as [number, number];
  const A = outs.get(va)!, B = outs.get(vb)!;
  const x0 = fedValues(io, p.i0, n);
  // Sensitivity of the output to R's pixels, with R marked va / vb.
  const sens = { [va]: meanAbsDiff(A.o0, A.o1, p.inner, n), [vb]: meanAbsDiff(B.o0, B.o1, p.inner, n) } as Record<number, number>;
  // Which region comes back as an affine map of the input, with R marked va / vb.
  const passes = (o: ArrayLike<number>) => ({ inner: affineFit(x0, o, p.inner, n).rel, outer: affineFit(x0, o, p.outer, n).rel });
  const passA = passes(A.o0), passB = passes(B.o0);
  const maskEffect = meanAbsDiff(A.o0, B.o0, [...p.inner, ...p.outer], n);
  let eraseVote: number | null = null, compositeVote: number | null = null;
  {
    const [lo, hi] = [Math.min(sens[va]!, sens[vb]!), Math.max(sens[va]!, sens[vb]!)];
    if (hi > 0 && lo <= hi / 4) eraseVote = sens[va]! < sens[vb]! ? va : vb;
  }
  {
    // A region comes back as given when its affine fit is exact to float precision and the other region's is
    // clearly not (a graph whose fill follows its input, e.g. a refining one, still misses by 1e-3 or more).
    const back = (yes: number, no: number) => yes < 1e-3 && no > Math.max(1e-4, 100 * yes);
    // R comes back when marked v → v is "known", so the hole value is the other one.
    if (back(passA.inner, passA.outer) && back(passB.outer, passB.inner)) compositeVote = vb;
    else if (back(passA.outer, passA.inner) && back(passB.inner, passB.outer)) compositeVote = va;
  }
  const fmtSens = `${sens[va]!.toPrecision(3)} with R = ${va}, ${sens[vb]!.toPrecision(3)} with R = ${vb}`;
  let hole: number;
  if (over.maskHole !== undefined) {
    hole = over.maskHole;
    const measured = eraseVote ?? compositeVote;
    evidence.maskHole = `flag --mask-hole ${hole}${measured !== null && measured !== hole ? ` (the probes pointed to ${measured})` : ''}`;
  } else if (maskEffect === 0) {
    return refuse(file, 'mask polarity (which mask value marks the hole)', 'the output does not depend on the mask', 'pass --mask-hole if it does on real images');
  } else if (eraseVote !== null && compositeVote !== null && eraseVote !== compositeVote) {
    return refuse(file, 'mask polarity (which mask value marks the hole)', `the probes disagree (erasing points to ${eraseVote}, compositing to ${compositeVote})`, 'pass --mask-hole');
  } else if (eraseVote !== null || compositeVote !== null) {
    hole = (eraseVote ?? compositeVote)!;
    const how: string[] = [];
    if (eraseVote !== null) how.push(`pixels under mask = ${hole} do not reach the output (mean change ${fmtSens})`);
    if (compositeVote !== null) how.push(`pixels under mask = ${maskPair(hole).known} come back as given`);
    evidence.maskHole = `probe: ${how.join('; ')}`;
  } else {
    return refuse(file, 'mask polarity (which mask value marks the hole)', `the output follows the image as much under either mask value (mean change ${fmtSens}) and no region comes back as given`, 'pass --mask-hole 1, 0 or 255');
  }
  io.mask = { type: maskType, ...maskPair(hole) };
  // Ranges are measured on the run whose known region the probes identified (the told polarity if they could not).
  const measuredHole = eraseVote ?? compositeVote ?? hole;
  const right = measuredHole === va ? A : B;
  if (over.eraseHole === undefined) {
    // Graphs that read the hole's pixels were trained on erased input; graphs that erase it get them as they are.
    io.image.eraseHole = sens[hole]! > Math.max(1e-6, 0.01 * sens[hole === va ? vb : va]!);
    evidence.eraseHole = io.image.eraseHole ? 'probe: the graph reads the pixels under the hole, so the engine zeroes them' : 'probe: the graph ignores the pixels under the hole (fed as they are)';
  } else {
    evidence.eraseHole = `flag ${over.eraseHole ? '--erase-hole' : '--no-erase-hole'}`;
  }

  // --- Value ranges, from the known pixels: out = a·in + b where the graph composites.
  const fit = affineFit(x0, right.o0, p.outer, n);
  const composited = fit.rel < 1e-3 && fit.a > 0;
  const usable = fit.rel < 0.1 && fit.a > 0; // a trained, non-compositing graph still roughly returns the known pixels
  io.output.composited = composited;
  evidence.composited = `probe: known pixels ${composited ? 'come back as given' : usable ? 'come back approximately' : 'do not come back'} (${fmtMap(fit.a, fit.b)}, relative residual ${fit.rel.toPrecision(2)})`;
  // The fill's own span (a graph that reads the hole's pixels is shown it erased, so its fill is its own).
  let hMin = 0, hMax = 0;
  const fillRange = async (): Promise<Range> => {
    const o = io.image.eraseHole ? await run(p.i0, p.inR, probeW, probeH, maskPair(measuredHole), 'erased') : right.o0;
    hMin = Infinity;
    hMax = -Infinity;
    for (const i of p.inner) for (let c = 0; c < 3; c++) { hMin = Math.min(hMin, o[c * n + i]!); hMax = Math.max(hMax, o[c * n + i]!); }
    // Only -1..1 has negatives (a clear share of the span, not a linear output's undershoot); only 0..255 passes 1.5.
    return hMin < -0.02 || hMin < -0.25 * (hMax - hMin) ? [-1, 1] : hMax > 1.5 ? [0, 255] : [0, 1];
  };
  // How far a measured map may sit from a usual range's: exact for a compositing graph, loose for a rough return.
  const share = composited ? 0.02 : 0.15;
  const snap = (r: Range): Range => {
    const width = r[1] - r[0];
    return RANGES.find((c) => close(r[0], c[0], share * width) && close(r[1], c[1], share * width)) ?? [Number(r[0].toPrecision(4)), Number(r[1].toPrecision(4))];
  };
  const imageKnown = imageType === 'uint8' || over.imageRange !== undefined;
  const outKnown = outType === 'uint8' || over.outputRange !== undefined;
  const measured = composited ? 'probe: known pixels come back as' : 'probe: known pixels come back roughly as';
  if (imageType === 'uint8') evidence.imageRange = 'declared: uint8';
  else if (over.imageRange) evidence.imageRange = `flag --image-range ${fmtRange(over.imageRange)}`;
  if (outType === 'uint8') evidence.outputRange = 'declared: uint8';
  else if (over.outputRange) evidence.outputRange = `flag --output-range ${fmtRange(over.outputRange)}`;
  const mapping = fmtMap(fit.a, fit.b);
  if (!imageKnown || !outKnown) {
    if (!usable) {
      refuse(file, imageKnown ? 'output range' : 'image range', `known pixels do not come back through the output (${mapping} fits with relative residual ${fit.rel.toPrecision(2)}), so the scale cannot be measured`,
        `pass ${imageKnown ? '' : '--image-range (0..1, -1..1 or 0..255) '}${outKnown ? '' : '--output-range'}`.trim());
    }
    if (imageKnown) {
      const [lo, hi] = io.image.range;
      io.output.range = snap([fit.a * lo + fit.b, fit.a * hi + fit.b]);
      evidence.outputRange = `${measured} ${mapping} with the image in ${fmtRange(io.image.range)}`;
    } else if (outKnown) {
      const [lo, hi] = io.output.range;
      io.image.range = snap([(lo - fit.b) / fit.a, (hi - fit.b) / fit.a]);
      evidence.imageRange = `${measured} ${mapping} with the output in ${fmtRange(io.output.range)}`;
    } else {
      // Both float and untold: the pairs of usual ranges whose affine map matches the fit.
      const tol = (r: Range) => share * (r[1] - r[0]);
      const pairs = RANGES.flatMap((ri) => RANGES.map((ro) => ({ ri, ro, a: (ro[1] - ro[0]) / (ri[1] - ri[0]), b: 0 })))
        .map((q) => ({ ...q, b: q.ro[0] - q.a * q.ri[0] }))
        .filter((q) => close(fit.a, q.a, share * q.a) && close(fit.b, q.b, tol(q.ro)));
      let pick = pairs[0];
      if (pairs.length > 1) {
        const fr = await fillRange();
        pick = pairs.find((q) => fmtRange(q.ro) === fmtRange(fr));
        if (pick) evidence.outputRange = `${measured} ${mapping} (same range in and out); the fill spans ${hMin.toPrecision(3)}..${hMax.toPrecision(3)}, so ${fmtRange(fr)}`;
      } else if (pick) {
        evidence.outputRange = `${measured} ${mapping}`;
      }
      if (!pick) {
        refuse(file, 'image range', `${mapping} fits no pair of the usual ranges (0..1, -1..1, 0..255)`, 'pass --image-range and --output-range');
      }
      io.image.range = pick!.ri;
      io.output.range = pick!.ro;
      evidence.imageRange = evidence.outputRange!;
    }
  }

  // --- Rounding: not observable; NumPy's astype(uint8) truncates an output already in 0..255.
  if (outType === 'uint8') {
    io.output.rounding = 'round';
  } else if (over.outputRounding) {
    io.output.rounding = over.outputRounding;
    evidence.outputRounding = `flag --output-rounding ${over.outputRounding}`;
  } else {
    io.output.rounding = io.output.range[1] - io.output.range[0] >= 128 ? 'truncate' : 'round';
    evidence.outputRounding = io.output.rounding === 'truncate'
      ? 'default for a float output in pixel units (NumPy astype(uint8) truncates); --output-rounding round to change'
      : 'default for a normalised float output; --output-rounding truncate to change';
  }
  io.evidence = evidence;
  return {
    io,
    sizing: fixed ? { fixed, multiple: 1, maxSide: fixed } : { fixed: null, multiple, maxSide: over.maxSide ?? DEFAULT_MAX_SIDE },
  };
}

/** One line per convention, for `ganvas models import`. */
export function describeIo(io: InpainterIo, sizing: { fixed?: number | null; multiple?: number; maxSide?: number }): string[] {
  const ev = io.evidence ?? {};
  const how = (k: string) => (ev[k] ? `  [${ev[k]}]` : '');
  const inputs = io.layout === 'stacked' ? `${io.names.image} [1, 4, H, W] (RGB, then mask)` : `${io.names.image} [1, 3, H, W] + ${io.names.mask} [1, 1, H, W]`;
  return [
    `layout:  ${inputs} → ${io.names.output}${how('layout')}`,
    `size:    ${sizing.fixed ? `fixed ${sizing.fixed}×${sizing.fixed}` : `multiples of ${sizing.multiple ?? 1}, up to ${sizing.maxSide ?? DEFAULT_MAX_SIDE} px`}${how('size')}`,
    `image:   ${io.image.type} in ${fmtRange(io.image.range)}${how('imageRange')}`,
    `hole:    ${io.image.eraseHole ? 'zeroed by the engine' : 'pixels fed as they are'}${how('eraseHole')}`,
    `mask:    ${io.mask.type}, ${io.mask.hole} = hole, ${io.mask.known} = known${how('maskHole')}`,
    `output:  ${io.output.type} in ${fmtRange(io.output.range)}${io.output.type === 'float32' ? `, ${io.output.rounding === 'truncate' ? 'truncated' : 'rounded'} to 8 bits` : ''}${how('outputRange')}`,
    ...(io.output.type === 'float32' ? [`         rounding${how('outputRounding')}`] : []),
    `         ${io.output.composited ? 'composited (known pixels come back as given)' : 'not composited'}${how('composited')}`,
  ];
}
