/**
 * Turns a pretraining run into a shipped model package in assets/models, with its model card: exports the ONNX
 * graphs from the engine's own nets, measures SWD at three pyramid levels against the data, draws the sample
 * grid through the exported ONNX files, and (where python3-torch is installed) writes the PyTorch twin's outputs
 * on fixed inputs for the engine's equality test.
 *
 *   tsx build/models/export.ts faces64    # after train_generator.py
 *   tsx build/models/export.ts inpaint256 # after train_inpainter.py
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { freeFormMask } from '../../engine/edit/free-form-mask.js';
import { mulberry32 } from '../../engine/random.js';
import { Discriminator } from '../../engine/nets/discriminator.js';
import { Generator } from '../../engine/nets/generator.js';
import { Inpainter } from '../../engine/nets/inpainter.js';
import { readWeights } from '../../engine/nets/weights.js';
import { GeneratorRunner } from '../../engine/edit/generator-runner.js';
import { ModelRegistry } from '../../engine/runtime/registry.js';
import { defaultInpaintParams, inpaintRaster } from '../../engine/edit/inpaint.js';
import { inpaintModel } from '../../engine/edit/inpaint-model.js';
import { decode, encode, fitInside, mosaic, raster, resize, toChannels, type Raster } from '../../engine/image/raster.js';
import { holeMask, pasteForeign } from '../../bench/inpaint-holes.js';
import { writePackage } from '../../engine/runtime/write-package.js';
import type { ModelCard } from '../../engine/runtime/package.js';
import { slicedWassersteinPyramid, type ImageSet } from '../../engine/train/metrics.js';
import { photoSources } from './photo-sources.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const cache = join(here, '..', '.cache');
const assets = join(root, 'assets', 'models');

export const FACES64 = { zDim: 128, wDim: 128, mappingLayers: 4, resolution: 64, channels: { 4: 128, 8: 128, 16: 96, 32: 48, 64: 24 } };
export const INPAINT256 = { resolution: 256, channels: 16, prefill: true, maxSide: 256 };

interface RunLog { steps: number; images: number; seconds: number }
function runLog(run: string): RunLog {
  const lines = readFileSync(join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  const last = lines.filter((l) => l.step !== undefined).at(-1)!;
  const images = last.images ?? last.img ?? Math.round((last.kimg ?? 0) * 1000);
  return { steps: last.step!, images, seconds: Math.round(last.seconds ?? last.t!) };
}

const machine = `${cpus().length}× ${cpus()[0]?.model ?? 'CPU'}, no GPU`;
const toUint8 = (x: number) => Math.max(0, Math.min(255, Math.round((x + 1) * 127.5)));

async function gridPng(images: Float32Array, n: number, size: number, cols: number, file: string): Promise<void> {
  const rows = Math.ceil(n / cols);
  const out = Buffer.alloc(rows * size * cols * size * 3, 255);
  for (let b = 0; b < n; b++) {
    const r = Math.floor(b / cols), c = b % cols;
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let ch = 0; ch < 3; ch++) {
      out[(((r * size + y) * cols * size) + c * size + x) * 3 + ch] = toUint8(images[((b * size + y) * size + x) * 3 + ch]!);
    }
  }
  await sharp(out, { raw: { width: cols * size, height: rows * size, channels: 3 } }).png().toFile(file);
}

function torchReference(kind: 'generator' | 'inpainter', weights: string, out: string): boolean {
  const r = spawnSync('/usr/bin/python3', [join(here, 'reference.py'), kind, weights, out], { cwd: here, encoding: 'utf8' });
  if (r.status !== 0) console.warn(`no PyTorch reference written (${(r.stderr || r.error?.message || '').trim().split('\n').at(-1)})`);
  return r.status === 0;
}

async function faces64(): Promise<void> {
  const run = join(cache, 'runs', 'faces64');
  const weightsFile = join(run, 'weights.gnvw');
  const weights = readWeights(readFileSync(weightsFile));
  const G = new Generator(FACES64);
  G.load(weights, 'G_ema.');
  const D = new Discriminator({ resolution: 64, channels: FACES64.channels });
  D.load(weights, 'D.');
  const log = runLog(run);
  const dir = join(assets, 'faces64');
  const fields = {
    id: 'faces64', name: 'Pixel-art faces, 64 px (StyleGAN2-like)', licence: 'CC0-1.0 (weights and training data)',
    data: 'DiceBear "pixel-art" avatars (CC0-1.0, @dicebear/collection 9.4.3), 16,384 faces rendered from seeds face-0 … face-16383',
    provenance: {
      source: 'shipped' as const, parent: null, steps: log.steps, images: log.images, seconds: log.seconds, machine,
      framework: 'PyTorch 1.13 (Debian python3-torch), 1 thread (the two models trained side by side on the 2 cores); architecture of engine/nets mirrored in build/models/nets.py',
      command: 'tsx build/models/datasets.ts && /usr/bin/python3 build/models/train_generator.py --out build/.cache/runs/faces64 --minutes 122 --threads 1 && tsx build/models/export.ts faces64',
    },
  };
  writePackage(dir, fields, { kind: 'generator', G, D });
  const model = await new ModelRegistry(join(cache, 'no-home'), assets).get('faces64');

  // Samples through the shipped ONNX files, exactly as the studio renders them (8-bit, as users see them).
  const runner = new GeneratorRunner(model);
  const sample = async (n: number, psi: number, seed: number) => {
    const rgb = await runner.synthesize(await runner.wsForSeeds(Array.from({ length: n }, (_, i) => seed * 100_000 + i), psi));
    const all = new Float32Array(n * 64 * 64 * 3);
    rgb.forEach((img, b) => all.set(Float32Array.from(img, (v) => v / 127.5 - 1), b * 64 * 64 * 3));
    return all;
  };
  const n = 1024;
  const faces = readFileSync(join(cache, 'faces64.u8'));
  const real = (offset: number): ImageSet => ({ data: Float32Array.from(faces.subarray(offset * 64 * 64 * 3, (offset + n) * 64 * 64 * 3), (v) => v / 127.5 - 1), count: n, size: 64 });
  const fake: ImageSet = { data: await sample(n, 1, 99), count: n, size: 64 };
  const swd = slicedWassersteinPyramid(fake, real(0));
  const floor = slicedWassersteinPyramid(real(n), real(0));
  const metrics = { swd: swd.levels, swdMean: swd.mean, swdDataVsData: floor.levels, samples: n, psi: 1 };
  writePackage(dir, { ...fields, metrics }, { kind: 'generator', G, D });
  await gridPng(await sample(32, 0.7, 7), 32, 64, 8, join(dir, 'samples.png'));
  await gridPng(await sample(16, 1, 8), 16, 64, 8, join(dir, 'samples-psi1.png'));
  // From the package's own weights: the run's file may have moved on since they were read.
  const hasRef = torchReference('generator', join(dir, 'weights.gnvw'), join(dir, 'reference.gnvw'));
  writeCard(dir, fields, metrics, log, hasRef, [
    `![samples at ψ = 0.7](samples.png)`, '', 'Seeds 0–31 at ψ = 0.7 (top) and 16 more at ψ = 1 (below):', '', '![samples at ψ = 1](samples-psi1.png)',
  ]);
  console.log(JSON.stringify(metrics));
}

/** The previous shipped inpainter, which the prefill model was initialised from (its weights, not its output conv). */
const INPAINT256_PARENT = 'd9363a52611aed488ef44eb789cca0182252bf803c5a02c2b4431ae69a062011';

async function inpaint256(): Promise<void> {
  const run = join(cache, 'runs', process.env.INPAINT_RUN ?? 'inpaint256-v2');
  const I = new Inpainter(INPAINT256);
  I.load(readWeights(readFileSync(join(run, 'weights.gnvw'))), 'G.');
  const log = runLog(run);
  const dir = join(assets, 'inpaint256');
  const sources = photoSources();
  const heldOut = sources.filter((p) => p.heldOut);
  const fields = {
    id: 'inpaint256', name: 'Photo inpainter, 256 px (gated conv refining a pyramid fill)', licence: 'CC-BY-SA-4.0 (weights; trained on CC-BY-SA / CC-BY / GPL wallpaper photos)',
    data: `random crops of ${sources.length - heldOut.length} Debian wallpaper photos (lomiri-wallpapers-16.04 and -20.04, mate-backgrounds nature/, plasma-workspace-wallpapers; licences per file in build/models/photo-sources.ts); ${heldOut.length} held out: ${heldOut.map((p) => p.name).join(', ')}`,
    provenance: {
      source: 'shipped' as const, parent: INPAINT256_PARENT, steps: log.steps, images: log.images, seconds: log.seconds, machine,
      framework: 'PyTorch 1.13 (Debian python3-torch), 2 threads; architecture of engine/nets mirrored in build/models/nets.py',
      command: 'tsx build/models/datasets.ts --photos-only && cd build/models && /usr/bin/python3 train_inpainter.py --out ../.cache/runs/inpaint256-v2 --minutes 95 --threads 2 --adv 0.005 --init ../../assets/models/inpaint256/weights.gnvw (the previous package; the first 62 min ran with --adv 0.02 and push-pull without relaxation) && cd ../.. && tsx build/models/export.ts inpaint256 && npm run bench:inpaint && tsx build/models/export.ts inpaint256 --card',
    },
  };
  writePackage(dir, fields, { kind: 'inpainter', G: I });
  const model = inpaintModel(await new ModelRegistry(join(cache, 'no-home'), assets).get('inpaint256'));

  // Object removals on held-out photos through the studio's own pipeline: the hole filled with a foreign object
  // first, as in the bench. Rows: input (object to remove), the hole, Ganvas's removal, the original.
  const rand = mulberry32(7);
  const tiles: { r: Raster; x: number; y: number }[] = [];
  const W = 384;
  let top = 0;
  for (let row = 0; row < 4; row++) {
    const src = heldOut[(row * 2) % heldOut.length]!, donor = heldOut[(row * 2 + 3) % heldOut.length]!;
    const photo = await fitInside(await decode(readFileSync(src.path), { channels: 3 }), 1280);
    const other = await resize(await decode(readFileSync(donor.path), { channels: 3 }), photo.width, photo.height);
    const mask = holeMask(row % 2 ? 'objects' : 'strokes', photo.width, photo.height, rand);
    const withObject = pasteForeign(photo.data, other.data, mask);
    const filled = await inpaintRaster(toChannels(raster(withObject, photo.width, photo.height, 3), 4), mask, model, defaultInpaintParams);
    const hole = Uint8Array.from(withObject, (v, i) => (mask[(i / 3) | 0] ? 255 : v));
    const H = Math.round((W * photo.height) / photo.width);
    for (const [col, px] of [withObject, hole, toChannels(raster(filled, photo.width, photo.height, 4), 3).data, photo.data].entries()) {
      tiles.push({ r: await resize(raster(px, photo.width, photo.height, 3), W, H, 'lanczos3'), x: col * (W + 4), y: top });
    }
    top += H + 4;
  }
  writeFileSync(join(dir, 'samples.png'), await encode(await mosaic(4 * (W + 4) - 4, top - 4, tiles), 'png'));
  const hasRef = torchReference('inpainter', join(dir, 'weights.gnvw'), join(dir, 'reference.gnvw'));
  console.log(`inpaint256 exported (${log.steps} steps, ${log.images} images); reference ${hasRef ? 'written' : 'NOT written'}. Next: npm run bench:inpaint && tsx build/models/export.ts inpaint256 --card`);
}

interface BenchRow { method: string; cases: number; holeL1: number; holePsnr: number; holeSsim: number; msPerPhoto: number | null }
interface BenchResults { model: { hash: string; sizing: { maxSide: number } }; tables: { group: string; rows: BenchRow[] }[]; runsAt: Record<string, string>; notes: string[]; cases: unknown[] }

/**
 * The model card of the shipped inpainter, from its model.json and the object-removal bench's results for this
 * exact package (bench/out/inpaint-results.json, matched by hash); the bench's overall figures also go into
 * model.json's metrics (which the package hash does not cover).
 */
function inpaint256Card(): void {
  const dir = join(assets, 'inpaint256');
  const cardFile = join(dir, 'model.json');
  const card = JSON.parse(readFileSync(cardFile, 'utf8')) as ModelCard;
  const results = JSON.parse(readFileSync(join(root, 'bench', 'out', 'inpaint-results.json'), 'utf8')) as BenchResults;
  if (results.model.hash !== card.hash) throw new Error(`bench/out/inpaint-results.json measured ${results.model.hash.slice(0, 12)}, not this package (${card.hash.slice(0, 12)}): run npm run bench:inpaint first`);
  const all = results.tables.find((t) => t.group === 'all holes')!;
  const ours = all.rows[0]!;
  card.metrics = { bench: 'npm run bench:inpaint (object removal, held-out photos)', cases: ours.cases, holeL1: ours.holeL1, holePsnr: ours.holePsnr, holeSsim: ours.holeSsim, msPerPhoto: ours.msPerPhoto };
  writeFileSync(cardFile, JSON.stringify(card, null, 2) + '\n');
  const p = card.provenance;
  const table = (t: { group: string; rows: BenchRow[] }) => [
    `**${t.group}**`, '', '| method | hole L1 ↓ | hole PSNR ↑ | hole SSIM ↑ | ms / photo |', '|---|---|---|---|---|',
    ...t.rows.map((r) => `| ${r.method} | ${r.holeL1.toFixed(4)} | ${r.holePsnr.toFixed(2)} dB | ${r.holeSsim.toFixed(4)} | ${r.msPerPhoto === null ? '—' : r.msPerPhoto.toFixed(0)} |`), '',
  ];
  const lines = [
    `# ${card.name}`, '',
    `- **id**: \`${card.id}\` · **hash** \`${card.hash.slice(0, 16)}…\``,
    `- **licence**: ${card.licence}`,
    `- **data**: ${card.data}. Images from Python packages' sample data were never used.`,
    `- **what it is**: the gated-conv net of engine/nets/inpainter.ts (${card.inpainter?.channels} base channels), fed the hole already filled by the classical push-pull + harmonic relaxation fill (engine/edit/pyramid-fill.ts) and trained to correct it (fill = clamp(prefill + residual)); the studio runs it on each crop at the crop's own scale up to ${card.inpainter?.maxSide} px and, for larger crops, adds its upsampled correction to the full-resolution classical fill.`,
    `- **training**: ${p.steps?.toLocaleString('en')} steps, ${p.images?.toLocaleString('en')} images, ${((p.seconds ?? 0) / 60).toFixed(0)} min wall time on ${p.machine}, initialised from the previous shipped model (${p.parent?.slice(0, 12)}); holes half DeepFill-style strokes, half object silhouettes, 2–50 % of each 128–256 px crop; L1 on the hole (×6) and the rest, plus a small hinge SN-PatchGAN term`,
    `- **framework**: ${p.framework}`,
    `- **reproduce**: \`${p.command}\``,
    `- **engine equality**: reference.gnvw holds the PyTorch twin's outputs on fixed inputs; test/shipped-models.test.ts checks the engine (tfjs and ONNX) against them`,
    '', '## Object removal on held-out photos (`npm run bench:inpaint`)', '',
    `${all.rows[0]!.cases} holes on the held-out photos at their own size (long side capped at 1920 px), each hole first filled with a foreign object cut from another photo. Ganvas runs the studio's own path (${results.runsAt.ganvas}).`, '',
    ...results.tables.flatMap(table),
    ...results.notes.map((n) => `- ${n}`), '',
    '## Object removals', '',
    'Held-out photos, through the studio\'s pipeline: the object to remove (pasted from another photo), the hole, Ganvas\'s removal, the original.', '',
    '![object removals on held-out photos](samples.png)', '',
  ];
  writeFileSync(join(dir, 'MODEL_CARD.md'), lines.join('\n'));
  console.log(`wrote ${join(dir, 'MODEL_CARD.md')}`);
}

function writeCard(dir: string, fields: { id: string; name: string; licence: string; data: string; provenance: { command: string; framework: string } }, metrics: Record<string, unknown>, log: RunLog, hasRef: boolean, samples: string[]): void {
  const swd = metrics.swd as { size: number; swd: number }[];
  const floor = metrics.swdDataVsData as { size: number; swd: number }[] | undefined;
  const lines = [
    `# ${fields.name}`, '',
    `- **id**: \`${fields.id}\``,
    `- **licence**: ${fields.licence}`,
    `- **data**: ${fields.data}`,
    `- **training**: ${log.steps.toLocaleString('en')} steps, ${log.images.toLocaleString('en')} images, ${(log.seconds / 60).toFixed(0)} min wall time on ${machine}`,
    `- **framework**: ${fields.provenance.framework}`,
    `- **reproduce**: \`${fields.provenance.command}\``,
    `- **engine equality**: ${hasRef ? 'reference.gnvw holds the PyTorch twin\'s outputs on fixed inputs; test/shipped-models.test.ts checks the engine (tfjs and ONNX) against them' : 'not written (python3-torch absent at export)'}`,
    '', '## Metrics', '',
    '| pyramid level | SWD ×10³ (samples vs data) |' + (floor ? ' SWD ×10³ (data vs other data: the floor) |' : ''),
    '|---|---|' + (floor ? '---|' : ''),
    ...swd.map((l, i) => `| ${l.size} px | ${l.swd.toFixed(1)} |` + (floor ? ` ${floor[i]!.swd.toFixed(1)} |` : '')),
    '',
    ...Object.entries(metrics).filter(([k]) => !/swd/i.test(k)).map(([k, v]) => `- ${k}: ${typeof v === 'number' ? +v.toFixed(4) : String(v)}`),
    '', '## Samples', '', ...samples, '',
  ];
  writeFileSync(join(dir, 'MODEL_CARD.md'), lines.join('\n'));
}

const which = process.argv[2];
if (which === 'faces64') await faces64();
else if (which === 'inpaint256' && process.argv.includes('--card')) inpaint256Card();
else if (which === 'inpaint256') await inpaint256();
else {
  console.error('usage: tsx build/models/export.ts faces64|inpaint256');
  process.exit(1);
}
