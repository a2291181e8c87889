import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { EngineError } from '../api/errors.js';

const TensorType = z.enum(['uint8', 'float32']);
/** [value of pixel 0, value of pixel 255]: [0, 255], [0, 1], [-1, 1]… */
const ValueRange = z.tuple([z.number(), z.number()]).refine(([lo, hi]) => Number.isFinite(lo) && Number.isFinite(hi) && hi > lo, 'a range [lo, hi] with lo < hi');

/**
 * An inpainter graph's I/O conventions, as established at import (engine/runtime/inpainter-io.ts: read from the
 * file's declared types and shapes, measured by probe runs, or told by `ganvas models import` flags) and
 * applied at run time by the adapter in engine/edit/inpaint-model.ts. It covers the files users already hold:
 * MI-GAN pipelines (uint8 in and out, mask 255 = known), LaMa exports (float 0..1 in, mask 1 = hole, float
 * 0..255 out), Ganvas's own convention (float [-1, 1], mask 1 = hole) and one-input [B, 4, H, W] exports.
 * Sizes (fixed or a multiple) live beside it in `inpainter.fixed` / `multiple` / `maxSide`.
 */
export const InpainterIo = z.object({
  /** 'image+mask': inputs image [B, 3, H, W] and mask [B, 1, H, W]; 'stacked': one input [B, 4, H, W], RGB then mask. */
  layout: z.enum(['image+mask', 'stacked']),
  /** Graph value names: the image input (the 4-channel one when stacked), the mask input (image+mask only), the output. */
  names: z.object({ image: z.string().min(1), mask: z.string().min(1).optional(), output: z.string().min(1) }),
  image: z.object({
    type: TensorType,
    range: ValueRange,
    /**
     * true: the engine sets the image to 0 (in the graph's units) inside the hole before feeding it, for graphs
     * that read the hole's pixels (trained on erased input). false: pixels are fed as they are; the graph
     * erases the hole itself (an MI-GAN pipeline also blends the hole's edge with them).
     */
    eraseHole: z.boolean(),
  }),
  /** Mask values: `hole` marks pixels to fill, `known` the rest (MI-GAN: 0 and 255; LaMa and Ganvas: 1 and 0). */
  mask: z.object({ type: TensorType, hole: z.number(), known: z.number() }).refine((m) => m.hole !== m.known, 'mask.hole and mask.known must differ'),
  output: z.object({
    type: TensorType,
    range: ValueRange,
    /** A float output to 8 bits: round to nearest, or truncate as NumPy's astype(uint8) does (LaMa's post-processing). */
    rounding: z.enum(['round', 'truncate']),
    /** Known pixels come back as given (the graph composites); the engine keeps only hole pixels either way. */
    composited: z.boolean(),
  }),
  /** How each convention was established ('declared', 'probe: …', 'flag …'), shown by `ganvas models import`. */
  evidence: z.record(z.string(), z.string()).optional(),
});
export type InpainterIo = z.infer<typeof InpainterIo>;

/**
 * model.json: what a model package is, where it came from and how it was made. ONNX files serve inference; a
 * package the studio can fine-tune also carries its weights (GNVW, engine/nets/weights.ts).
 */
export const ModelCard = z.object({
  format: z.literal('ganvas-model-1'),
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'an id of lower-case letters, digits, dot, dash or underscore'),
  name: z.string().min(1).max(120),
  kind: z.enum(['generator', 'inpainter']),
  resolution: z.number().int().min(8).max(4096),
  generator: z.object({
    zDim: z.number().int().positive(),
    wDim: z.number().int().positive().optional(),
    numWs: z.number().int().positive().optional(),
    mappingLayers: z.number().int().positive().optional(),
    channels: z.record(z.string(), z.number().int().positive()).optional(),
  }).optional(),
  inpainter: z.object({
    channels: z.number().int().positive().optional(),
    /** The longest side a crop is run at; larger crops are scaled down to it (fully convolutional nets only). */
    maxSide: z.number().int().min(8).max(8192).optional(),
    /** Working sizes are multiples of this (the net's total stride). */
    multiple: z.number().int().min(1).max(256).optional(),
    /** A classical fill the engine puts in the hole before the net refines it (engine/edit/pyramid-fill.ts). */
    prefill: z.enum(['pyramid']).optional(),
    /** The one square size the graph runs at (e.g. a LaMa export whose FFT was sized at export); crops are resized to it. */
    fixed: z.number().int().min(8).max(8192).optional(),
    /** How the graph wants its tensors; absent for Ganvas's own inpainters (float32 [-1, 1], mask 1 = hole). */
    io: InpainterIo.optional(),
  }).passthrough().optional(),
  licence: z.string().min(1),
  data: z.string().min(1),
  provenance: z.object({
    source: z.enum(['shipped', 'imported', 'trained']),
    parent: z.string().nullable().default(null),
    command: z.string().optional(),
    steps: z.number().optional(),
    images: z.number().optional(),
    seconds: z.number().optional(),
    machine: z.string().optional(),
    framework: z.string().optional(),
  }),
  metrics: z.record(z.string(), z.unknown()).optional(),
  /** role → file name in the package: mapping, synthesis, generator (z → image, for z-only imports), inpainter, weights. */
  files: z.partialRecord(z.enum(['mapping', 'synthesis', 'generator', 'inpainter', 'weights']), z.string().regex(/^\w[\w.-]*$/, 'a plain file name in the package folder')),
  /** sha256 over the files, role by role in name order: identifies this exact version. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ModelCard = z.infer<typeof ModelCard>;

export function packageHash(files: Record<string, Uint8Array>): string {
  const h = createHash('sha256');
  for (const role of Object.keys(files).sort()) {
    h.update(role).update('\0').update(createHash('sha256').update(files[role]!).digest('hex')).update('\n');
  }
  return h.digest('hex');
}

/** The largest file a model package may hold (an ONNX graph or GNVW weights). */
export const MAX_MODEL_FILE_BYTES = 2 * 1024 * 1024 * 1024 - 1;
const MAX_CARD_BYTES = 1024 * 1024;

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;

/**
 * Reads a file of a model package, which must be a plain file: a symlink is refused, not followed (O_NOFOLLOW),
 * and a FIFO, socket or device is refused without blocking on it (O_NONBLOCK, then fstat of what was opened).
 * Returns null when nothing is there. `label` names the file in messages (never an internal folder).
 */
export function readPlainFile(path: string, label: string, max = MAX_MODEL_FILE_BYTES): Uint8Array | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | NOFOLLOW | NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP' || code === 'EMLINK') throw new EngineError('bad_model', `${label} is a symbolic link; a model package holds plain files only`);
    if (code === 'EISDIR') throw new EngineError('bad_model', `${label} is a folder where a file was expected`);
    throw new EngineError('bad_model', `${label} cannot be read (${code ?? 'error'})`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new EngineError('bad_model', `${label} is a folder where a file was expected`);
    if (!st.isFile()) throw new EngineError('bad_model', `${label} is not a plain file (a pipe, socket or device); a model package holds plain files only`);
    if (st.size > max) throw new EngineError('bad_model', `${label} is larger than the ${Math.floor(max / 1024 / 1024)} MiB limit for a model file`);
    const out = new Uint8Array(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, out, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    if (off !== st.size) throw new EngineError('bad_model', `${label} changed while it was read`);
    return out;
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads model.json and every file it names; refuses a missing file, a malformed card or a changed file, and any
 * file that is not a plain file (readPlainFile). `name` is what messages call the package (default: the folder's
 * name; an import passes the user's own name so that no staging folder is ever named).
 */
export function readPackage(dir: string, name = basename(dir)): { card: ModelCard; files: Record<string, Uint8Array> } {
  const what = name;
  const cardBytes = readPlainFile(join(dir, 'model.json'), `${what}/model.json`, MAX_CARD_BYTES);
  if (!cardBytes) throw new EngineError('bad_model', `${what} is not a model package: it has no model.json`);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cardBytes).toString('utf8'));
  } catch (err) {
    throw new EngineError('bad_model', `${what}/model.json is not valid JSON (${(err as Error).message})`);
  }
  const parsed = ModelCard.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EngineError('bad_model', `${what}/model.json: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const card = parsed.data;
  const files: Record<string, Uint8Array> = {};
  for (const [role, file] of Object.entries(card.files)) {
    const bytes = readPlainFile(join(dir, file), `${what}/${file}`);
    if (!bytes) throw new EngineError('bad_model', `${what}: model.json names ${file} (${role}) but the file is missing`);
    files[role] = bytes;
  }
  const actual = packageHash(files);
  if (actual !== card.hash) throw new EngineError('bad_model', `${what}: the files do not match model.json's hash (a file was changed or damaged)`);
  return { card, files };
}
