/**
 * Object removal on whole held-out photos (never seen in training), on the studio's real path.
 *
 * Each held-out photo (build/models/photo-sources.ts) gets one seeded hole per family, covering 2–40 % of it:
 * free-form brush strokes and object-shaped blobs (bench/inpaint-holes.ts). The hole is first filled with a
 * foreign object, the pixels of another held-out photo at the same place, so nothing under the mask can help.
 * Every method gets the same RGB input and mask:
 *
 *   Ganvas     inpaintRaster (engine/edit/inpaint.ts) with the shipped inpaint256 from ModelRegistry, the path
 *              the editor and `ganvas inpaint` take, at the photo's working size
 *   Telea      cv2.inpaint(img, hole, 3, cv2.INPAINT_TELEA), at the photo's working size
 *   shift-map  cv2.xphoto.inpaint(…, INPAINT_SHIFTMAP), exemplar-based; at most --shiftmap-side px (512) on the
 *              long side, its fill scaled back up: at 1920 px it took 20–210 s per photo on 2 cores
 *
 * (the peers through bench/inpaint_peers.py with Debian's python3-opencv). L1, PSNR and SSIM over the hole are
 * computed once, here (bench/inpaint-metrics.ts), for all methods; each method's hole pixels are put into the
 * original photo first, so a method's changes outside the hole (Ganvas's seam band, shift-map's relabelled
 * border) count for none of them. ms is the inpainting call alone, per photo.
 *
 *   npm run bench:inpaint [-- --quick] [-- --full] [-- --photos N] [-- --seed S] [-- --shiftmap-side PX]
 *                         [-- --no-shiftmap] [-- --json] [-- --out DIR]
 *
 * --quick: 2 photos. --full: photos at their own size (otherwise a long side over 1920 px is scaled to 1920).
 * Writes DIR/inpaint-results.json and DIR/inpaint-grid.png (default bench/out).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import { photoSources, type PhotoSource } from '../build/models/photo-sources.js';
import { defaultInpaintParams, inpaintRaster } from '../engine/edit/inpaint.js';
import { inpaintModel, type InpaintModel } from '../engine/edit/inpaint-model.js';
import { pyramidFill } from '../engine/edit/pyramid-fill.js';
import { raster, resize, toChannels } from '../engine/image/raster.js';
import { mulberry32 } from '../engine/random.js';
import { ModelRegistry } from '../engine/runtime/registry.js';
import { holeFamilies, holeMask, holeRatio, MAX_HOLE, MIN_HOLE, pasteForeign, type HoleFamily } from './inpaint-holes.js';
import { holeScores, holeTruth, type HoleScores } from './inpaint-metrics.js';

// ---------------------------------------------------------------------------------------------------- options
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const option = (name: string, fallback: number): number => {
  const i = argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(argv[i + 1]);
  if (!Number.isFinite(v)) throw new Error(`${name} needs a number`);
  return v;
};
const QUICK = flag('--quick'), FULL = flag('--full');
const CAP = 1920;
const SEED = option('--seed', 2026);
const SHIFTMAP_SIDE = option('--shiftmap-side', 512);
const outDir = (() => { const i = argv.indexOf('--out'); return i >= 0 ? argv[i + 1]! : join(import.meta.dirname, 'out'); })();

const held = photoSources().filter((p) => p.heldOut);
if (held.length < 2) {
  console.error(`${held.length} held-out photos found: install lomiri-wallpapers-16.04, mate-backgrounds and plasma-workspace-wallpapers`);
  process.exit(1);
}
const photos = held.slice(0, Math.min(held.length, option('--photos', QUICK ? 2 : held.length)));

// ------------------------------------------------------------------------------------------------ the cases
interface Case {
  id: string;
  photo: PhotoSource;
  donor: PhotoSource;
  family: HoleFamily;
  /** Size of the photo file (after EXIF rotation) and the size every method but shift-map ran at. */
  original: { width: number; height: number };
  width: number;
  height: number;
  shiftmap: { width: number; height: number };
  hole: number;
}

const hash = (s: string) => { let h = 2166136261; for (const ch of s) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0; return h; };
const fitSide = (w: number, h: number, side: number) => {
  const s = Math.min(1, side / Math.max(w, h));
  return { width: Math.max(1, Math.round(w * s)), height: Math.max(1, Math.round(h * s)) };
};

async function loadRgb(path: string, width: number, height: number, fit: 'fill' | 'cover'): Promise<Uint8Array> {
  const { data, info } = await sharp(path, { limitInputPixels: false }).autoOrient().resize(width, height, { fit, kernel: 'lanczos3' })
    .toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== 3) throw new Error(`${path}: decoded ${info.width}×${info.height}×${info.channels}`);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

const work = mkdtempSync(join(tmpdir(), 'ganvas-bench-inpaint-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
process.on('SIGINT', () => process.exit(130));
const file = (c: Case | string, what: string) => join(work, `${typeof c === 'string' ? c : c.id}.${what}`);
const readRgb = (c: Case, what: string) => new Uint8Array(readFileSync(file(c, what)));

const t0 = performance.now();
const cases: Case[] = [];
console.log(`Object removal on ${photos.length} of ${held.length} held-out photos, ${holeFamilies.length} holes each (seed ${SEED}); ${FULL ? 'photos at their own size' : `long side capped at ${CAP} px (--full: own size)`}`);
for (const photo of photos) {
  const meta = await sharp(photo.path, { limitInputPixels: false }).metadata();
  const turned = (meta.orientation ?? 1) >= 5;
  const original = { width: turned ? meta.height! : meta.width!, height: turned ? meta.width! : meta.height! };
  const size = FULL ? original : fitSide(original.width, original.height, CAP);
  const truth = await loadRgb(photo.path, size.width, size.height, 'fill');
  for (const family of holeFamilies) {
    const rand = mulberry32(SEED ^ hash(`${photo.name}/${family}`));
    const others = held.filter((p) => p !== photo);
    const donor = others[Math.floor(rand() * others.length)]!;
    const mask = holeMask(family, size.width, size.height, rand);
    const input = pasteForeign(truth, await loadRgb(donor.path, size.width, size.height, 'cover'), mask);
    const c: Case = {
      id: `${photo.name}.${family}`, photo, donor, family, original, width: size.width, height: size.height,
      shiftmap: fitSide(size.width, size.height, SHIFTMAP_SIDE), hole: holeRatio(mask),
    };
    writeFileSync(file(c, 'truth.rgb'), truth);
    writeFileSync(file(c, 'input.rgb'), input);
    writeFileSync(file(c, 'mask'), Uint8Array.from(mask, (v) => (v ? 255 : 0)));
    cases.push(c);
  }
  console.log(`  ${photo.name}: ${original.width}×${original.height}${size.width !== original.width ? ` → ${size.width}×${size.height}` : ''}; holes ${cases.slice(-holeFamilies.length).map((c) => `${c.family} ${(c.hole * 100).toFixed(0)} % (object from ${c.donor.name})`).join(', ')}`);
}
const phases: Record<string, number> = { prepare: (performance.now() - t0) / 1000 };
let tPhase = performance.now();
const phaseDone = (name: string) => { phases[name] = (performance.now() - tPhase) / 1000; tPhase = performance.now(); };

// ------------------------------------------------------------------------------------------------- methods
type Method = 'ganvas' | 'pyramid' | 'telea' | 'shiftmap';
const label: Record<Method | 'input', string> = { ganvas: 'Ganvas inpaint256', pyramid: 'pyramid fill alone (the net\'s prefill)', telea: 'OpenCV Telea', shiftmap: 'OpenCV shift-map', input: 'foreign object left in' };
const ms: Record<Method, Map<string, number>> = { ganvas: new Map(), pyramid: new Map(), telea: new Map(), shiftmap: new Map() };
const ran: Method[] = [];
const notes: string[] = [];

// Ganvas: the shipped package through the registry (a fresh home, so no user model can shadow it).
const home = join(work, 'home');
// --model-dir DIR: a package folder to measure instead of the shipped one (a training run's export, say).
const modelDir = (() => { const i = argv.indexOf('--model-dir'); return i >= 0 ? argv[i + 1]! : null; })();
const loaded = modelDir ? await new ModelRegistry(home, dirname(modelDir)).get(basename(modelDir)) : await new ModelRegistry(home).get('inpaint256');
const shipped = inpaintModel(loaded);
// --max-side N: run the net at another cap than its card states (to choose the cap the card should state).
const model: InpaintModel = argv.includes('--max-side') ? { ...shipped, sizing: { ...shipped.sizing, maxSide: option('--max-side', shipped.sizing.maxSide) }, fill: shipped.fill } : shipped;
{
  // One untimed call first, as the peers' import of cv2 is untimed: onnxruntime's first run allocates.
  const s = 256, rgba = new Uint8Array(s * s * 4).fill(128), m = new Uint8Array(s * s);
  for (let y = 100; y < 150; y++) m.fill(1, y * s + 100, y * s + 150);
  await inpaintRaster(raster(rgba, s, s, 4), m, model, defaultInpaintParams);
}
for (const [k, c] of cases.entries()) {
  const rgb = readRgb(c, 'input.rgb'), mask = new Uint8Array(readFileSync(file(c, 'mask')));
  const rgba = new Uint8Array(c.width * c.height * 4);
  for (let i = 0; i < c.width * c.height; i++) { rgba[i * 4] = rgb[i * 3]!; rgba[i * 4 + 1] = rgb[i * 3 + 1]!; rgba[i * 4 + 2] = rgb[i * 3 + 2]!; rgba[i * 4 + 3] = 255; }
  let regions = 0;
  const t = performance.now();
  const out = await inpaintRaster(raster(rgba, c.width, c.height, 4), mask, model, defaultInpaintParams, (_, total) => { regions = total; });
  ms.ganvas.set(c.id, performance.now() - t);
  const outRgb = new Uint8Array(c.width * c.height * 3);
  for (let i = 0; i < c.width * c.height; i++) { outRgb[i * 3] = out[i * 4]!; outRgb[i * 3 + 1] = out[i * 4 + 1]!; outRgb[i * 3 + 2] = out[i * 4 + 2]!; }
  writeFileSync(file(c, 'ganvas.rgb'), outRgb);
  console.error(`  ganvas ${k + 1}/${cases.length} ${c.id}: ${(ms.ganvas.get(c.id)! / 1000).toFixed(1)} s, ${regions} crop(s)`);
}
ran.push('ganvas');
phaseDone('ganvas');

// The classical fill the net refines, alone, through the same pipeline at each crop's own size: what the net adds.
if (loaded.card.inpainter?.prefill === 'pyramid') {
  const pyramid: InpaintModel = { sizing: { maxSide: 1 << 16, multiple: 1, fixed: null }, fill: async (rgb, hole) => pyramidFill(rgb, hole) };
  for (const c of cases) {
    const rgb = readRgb(c, 'input.rgb'), mask = new Uint8Array(readFileSync(file(c, 'mask')));
    const t = performance.now();
    const out = await inpaintRaster(toChannels(raster(rgb, c.width, c.height, 3), 4), mask, pyramid, defaultInpaintParams);
    ms.pyramid.set(c.id, performance.now() - t);
    writeFileSync(file(c, 'pyramid.rgb'), toChannels(raster(out, c.width, c.height, 4), 3).data);
  }
  ran.push('pyramid');
  phaseDone('pyramid');
}

// The peers, one Python process for all photos, after Ganvas so that they never share the cores.
const PY = '/usr/bin/python3', peersScript = join(import.meta.dirname, 'inpaint_peers.py');
const probe = spawnSync(PY, [peersScript, '--probe'], { encoding: 'utf8' });
let peerInfo: { ok: boolean; why?: string; cv2?: string; threads?: number; shiftmap?: boolean; shiftmapWhy?: string } = { ok: false };
if (probe.error) peerInfo = { ok: false, why: `${PY} could not be started (${probe.error.message})` };
else {
  try { peerInfo = JSON.parse(probe.stdout.trim().split('\n').at(-1)!); } catch { peerInfo = { ok: false, why: `the probe failed: ${probe.stderr.trim().split('\n').at(-1)}` }; }
}
if (!peerInfo.ok) {
  notes.push(`Telea and shift-map could not run: ${peerInfo.why} (apt-get install python3-opencv; Debian's, for ${PY})`);
} else {
  const peers: Method[] = ['telea'];
  if (flag('--no-shiftmap')) notes.push('shift-map skipped (--no-shiftmap)');
  else if (!peerInfo.shiftmap) notes.push(`shift-map could not run: ${peerInfo.shiftmapWhy}`);
  else peers.push('shiftmap');
  const manifest = { dir: work, methods: peers, cases: cases.map((c) => ({ id: c.id, width: c.width, height: c.height, shiftmap: [c.shiftmap.width, c.shiftmap.height] })) };
  writeFileSync(file('manifest', 'json'), JSON.stringify(manifest));
  const r = spawnSync(PY, [peersScript, file('manifest', 'json')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  if (r.status !== 0) notes.push(`the peers failed (exit ${r.status ?? r.signal}); see the messages above`);
  else {
    const times = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, Partial<Record<Method, number>>>;
    for (const m of peers) {
      for (const c of cases) ms[m].set(c.id, times[c.id]![m]!);
      ran.push(m);
    }
  }
}

phaseDone('peers');

// ------------------------------------------------------------------------------------------------- metrics
/** A method's hole pixels in the original photo: what every metric reads, for every method alike. */
function composite(truth: Uint8Array, out: Uint8Array, mask: Uint8Array): Uint8Array {
  const r = new Uint8Array(truth);
  for (let i = 0; i < mask.length; i++) if (mask[i]) { r[i * 3] = out[i * 3]!; r[i * 3 + 1] = out[i * 3 + 1]!; r[i * 3 + 2] = out[i * 3 + 2]!; }
  return r;
}
type Row = Method | 'input';
const rows: Row[] = [...ran, 'input'];
const scores = new Map<string, Partial<Record<Row, HoleScores>>>();
for (const c of cases) {
  const truth = readRgb(c, 'truth.rgb'), mask = new Uint8Array(readFileSync(file(c, 'mask')));
  const s: Partial<Record<Row, HoleScores>> = {};
  const t = holeTruth(truth, mask, c.width, c.height);
  for (const m of rows) {
    const out = composite(truth, readRgb(c, m === 'input' ? 'input.rgb' : `${m}.rgb`), mask);
    s[m] = holeScores(t, out);
    if (m !== 'input') writeFileSync(file(c, `${m}.final.rgb`), out);
  }
  scores.set(c.id, s);
}

phaseDone('metrics');

interface Summary { method: string; cases: number; holeL1: number; holePsnr: number; holeSsim: number; msPerPhoto: number | null; ganvasMsOverThis: number | null }
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
function summarise(subset: Case[]): Summary[] {
  const ganvasMs = ran.includes('ganvas') ? mean(subset.map((c) => ms.ganvas.get(c.id)!)) : null;
  return rows.map((m) => {
    const sc = subset.map((c) => scores.get(c.id)![m]!);
    const t = m === 'input' ? null : mean(subset.map((c) => ms[m].get(c.id)!));
    return {
      method: label[m], cases: subset.length,
      holeL1: mean(sc.map((s) => s.l1)), holePsnr: mean(sc.map((s) => s.psnr)), holeSsim: mean(sc.map((s) => s.ssim)),
      msPerPhoto: t, ganvasMsOverThis: t !== null && ganvasMs !== null ? ganvasMs / t : null,
    };
  });
}
const groups: { name: string; subset: Case[] }[] = [
  ...holeFamilies.map((f) => ({ name: f === 'strokes' ? 'free-form strokes' : 'object-shaped blobs', subset: cases.filter((c) => c.family === f) })),
  { name: 'all holes', subset: cases },
];
const tables = groups.map((g) => ({ group: g.name, rows: summarise(g.subset) }));

// -------------------------------------------------------------------------------------------------- report
const sizeRange = (list: { width: number; height: number }[]) => {
  const by = [...list].sort((a, b) => a.width * a.height - b.width * b.height);
  return by[0]!.width === by.at(-1)!.width && by[0]!.height === by.at(-1)!.height ? `${by[0]!.width}×${by[0]!.height}` : `${by[0]!.width}×${by[0]!.height} to ${by.at(-1)!.width}×${by.at(-1)!.height}`;
};
const shiftUp = ran.includes('shiftmap') && cases.some((c) => c.shiftmap.width !== c.width);
const runsAt: Record<Row, string> = {
  ganvas: `${sizeRange(cases)} (each crop at ≤ ${model.sizing.maxSide} px inside)`,
  pyramid: sizeRange(cases),
  telea: sizeRange(cases),
  shiftmap: shiftUp ? `${sizeRange(cases.map((c) => c.shiftmap))}, fill upscaled` : sizeRange(cases),
  input: '—',
};
const fmtRatio = (r: number | null) => (r === null ? '—' : `${r < 0.1 ? r.toFixed(3) : r.toFixed(2)}× (Ganvas ${r <= 1 ? `${(1 / r).toFixed(1)}× faster` : `${r.toFixed(1)}× slower`})`);
const printTables = () => {
  for (const t of tables) {
    const holes = groups.find((g) => g.name === t.group)!.subset.map((c) => c.hole * 100);
    console.log(`\n${t.group}: ${holes.length} holes on ${new Set(groups.find((g) => g.name === t.group)!.subset.map((c) => c.photo)).size} photos, hole ${Math.min(...holes).toFixed(0)}–${Math.max(...holes).toFixed(0)} % (mean ${mean(holes).toFixed(0)} %)`);
    console.log('| method | runs at | hole L1 ↓ | hole PSNR ↑ | hole SSIM ↑ | ms / photo | Ganvas ms ÷ this |');
    console.log('|---|---|---|---|---|---|---|');
    for (const [i, r] of t.rows.entries()) {
      console.log(`| ${r.method} | ${runsAt[rows[i]!]} | ${r.holeL1.toFixed(4)} | ${r.holePsnr.toFixed(2)} dB | ${r.holeSsim.toFixed(4)} | ${r.msPerPhoto === null ? '—' : r.msPerPhoto.toFixed(0)} | ${rows[i] === 'ganvas' || rows[i] === 'input' ? '—' : fmtRatio(r.ganvasMsOverThis)} |`);
    }
  }
};

const footnotes = [
  `Holes: ${MIN_HOLE * 100}–${MAX_HOLE * 100} % of the photo, each first filled with the pixels of another held-out photo at the same place.`,
  'Metrics over hole pixels only, each method\'s hole pixels put into the original photo: L1 and PSNR over the hole\'s pixels × RGB in [0, 1]; SSIM on luma (BT.601), 11×11 Gaussian σ 1.5, on the whole image, averaged over windows centred in the hole. Per photo, then the mean over photos.',
  `ms: the inpainting call alone, per photo (Ganvas: inpaintRaster with onnxruntime at 2 threads, after one untimed warm-up; peers: the cv2 calls${shiftUp ? ', shift-map including its down- and upscaling' : ''}). Machine: ${cpus().length}× ${cpus()[0]?.model ?? 'CPU'}, load ${loadavg()[0]!.toFixed(1)} at the end (shared with other jobs: timings are noisy).`,
  ...(shiftUp ? [`Shift-map ran at ≤ ${SHIFTMAP_SIDE} px on the long side (--shiftmap-side), its fill scaled back up, which costs it quality (--shiftmap-side 1920 runs it at the photos' size: 20–210 s per photo on the 2-core dev machine, and not predictably less at 1024).`] : []),
  ...notes,
];

// The sheet: input (hole outlined), the methods, the truth; rows alternate hole families over the photos.
async function sheet(path: string): Promise<void> {
  const picks: Case[] = [];
  for (let k = 0; k < photos.length && picks.length < 4; k++) picks.push(cases.find((c) => c.photo === photos[k] && c.family === holeFamilies[k % holeFamilies.length])!);
  for (const c of cases) if (picks.length < 4 && !picks.includes(c)) picks.push(c);
  const cols: { title: string; what: string }[] = [
    { title: 'input (object; hole outlined)', what: 'input.rgb' },
    ...(['telea', 'shiftmap', 'ganvas'] as Method[]).filter((m) => ran.includes(m)).map((m) => ({ title: label[m], what: `${m}.final.rgb` })),
    { title: 'ground truth', what: 'truth.rgb' },
  ];
  const TW = 360, GAP = 6, HEAD = 26, CAP_H = 20;
  const heights = picks.map((c) => Math.round((TW * c.height) / c.width));
  const W = cols.length * TW + (cols.length + 1) * GAP;
  const H = HEAD + heights.reduce((a, h) => a + h + CAP_H + GAP, 0) + GAP;
  const layers: OverlayOptions[] = [];
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const text = (s: string, w: number, h: number, size: number) => Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><text x="4" y="${h - 6}" font-family="DejaVu Sans, sans-serif" font-size="${size}" fill="#222">${esc(s)}</text></svg>`);
  cols.forEach((col, j) => layers.push({ input: text(col.title, TW, HEAD, 15), left: GAP + j * (TW + GAP), top: 0 }));
  let top = HEAD;
  for (const [r, c] of picks.entries()) {
    const th = heights[r]!;
    const sc = scores.get(c.id)!;
    const caption = `${c.photo.name} · ${c.family} ${(c.hole * 100).toFixed(0)} % · SSIM ${(['telea', 'shiftmap', 'ganvas'] as Method[]).filter((m) => ran.includes(m)).map((m) => `${m} ${sc[m]!.ssim.toFixed(3)}`).join(', ')}`;
    layers.push({ input: text(caption, W - 2 * GAP, CAP_H, 12), left: GAP, top });
    top += CAP_H;
    const holeSmall = (await resize(raster(new Uint8Array(readFileSync(file(c, 'mask'))), c.width, c.height, 1), TW, th, 'linear')).data;
    for (const [j, col] of cols.entries()) {
      const tile = (await resize(raster(readRgb(c, col.what), c.width, c.height, 3), TW, th, 'lanczos3')).data;
      if (j === 0) {
        for (let y = 0; y < th; y++) for (let x = 0; x < TW; x++) {
          const inHole = (xx: number, yy: number) => xx >= 0 && yy >= 0 && xx < TW && yy < th && holeSmall[yy * TW + xx]! >= 128;
          if (inHole(x, y) && (!inHole(x - 1, y) || !inHole(x + 1, y) || !inHole(x, y - 1) || !inHole(x, y + 1))) tile.set([255, 0, 255], (y * TW + x) * 3);
        }
      }
      layers.push({ input: Buffer.from(tile.buffer, tile.byteOffset, tile.byteLength), raw: { width: TW, height: th, channels: 3 }, left: GAP + j * (TW + GAP), top });
    }
    top += th + GAP;
  }
  await sharp({ create: { width: W, height: H, channels: 3, background: '#ffffff' } }).composite(layers).png().toFile(path);
}

mkdirSync(outDir, { recursive: true });
const gridPath = join(outDir, 'inpaint-grid.png'), jsonPath = join(outDir, 'inpaint-results.json');
await sheet(gridPath);
phaseDone('sheet');
const result = {
  bench: 'object removal on held-out photos', seed: SEED, quick: QUICK, full: FULL, cap: FULL ? null : CAP, shiftmapSide: SHIFTMAP_SIDE,
  model: { id: loaded.card.id, hash: loaded.card.hash, sizing: model.sizing, params: defaultInpaintParams },
  opencv: peerInfo.ok ? { version: peerInfo.cv2, threads: peerInfo.threads } : null,
  machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg(), node: process.version },
  runsAt, notes: footnotes,
  tables,
  cases: cases.map((c) => ({
    id: c.id, photo: c.photo.name, licence: c.photo.licence, donor: c.donor.name, family: c.family, original: c.original,
    size: { width: c.width, height: c.height }, shiftmapSize: c.shiftmap, hole: c.hole,
    ms: Object.fromEntries(ran.map((m) => [m, ms[m].get(c.id)])), scores: scores.get(c.id),
  })),
  wallSeconds: (performance.now() - t0) / 1000, phaseSeconds: phases,
};
writeFileSync(jsonPath, JSON.stringify(result, null, 2) + '\n');

if (flag('--json')) console.log(JSON.stringify(result, null, 2));
else {
  printTables();
  console.log('');
  for (const f of footnotes) console.log(`- ${f}`);
  console.log(`\nWrote ${jsonPath} and ${gridPath} (${result.wallSeconds.toFixed(0)} s in all: ${Object.entries(phases).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(', ')}).`);
}
