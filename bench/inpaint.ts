/**
 * Inpainting quality on held-out photos (never seen in training): random 256 px crops with procedural free-form
 * masks, filled by our shipped inpainter (the studio's whole pipeline), OpenCV's Telea (python3-opencv) and a
 * mean-colour fill. L1 and PSNR over the hole; SSIM (luma, 11×11 Gaussian) averaged over the hole.
 *
 *   npm run bench:inpaint [-- --json] [-- --crops N]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { photoSources } from '../build/models/photo-sources.js';
import { freeFormMask } from '../engine/edit/free-form-mask.js';
import { mulberry32 } from '../engine/random.js';
import { inpaintRaster } from '../engine/edit/inpaint.js';
import { ModelRegistry } from '../engine/runtime/registry.js';

const S = 256;
const crops = Number(process.argv[process.argv.indexOf('--crops') + 1]) || 64;

function luma(rgb: Uint8Array, i: number): number {
  return (0.299 * rgb[i * 3]! + 0.587 * rgb[i * 3 + 1]! + 0.114 * rgb[i * 3 + 2]!) / 255;
}

/** SSIM map on luma with an 11×11 Gaussian window (σ 1.5), averaged over the hole. */
function ssimInHole(a: Uint8Array, b: Uint8Array, mask: Uint8Array): number {
  const g = Array.from({ length: 11 }, (_, i) => Math.exp(-((i - 5) ** 2) / (2 * 1.5 ** 2)));
  const gs = g.reduce((x, y) => x + y, 0);
  const w = g.map((v) => v / gs);
  const A = Float64Array.from({ length: S * S }, (_, i) => luma(a, i)), B = Float64Array.from({ length: S * S }, (_, i) => luma(b, i));
  const blur = (f: (i: number) => number) => {
    const tmp = new Float64Array(S * S), out = new Float64Array(S * S);
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
      let v = 0;
      for (let k = -5; k <= 5; k++) v += w[k + 5]! * f(y * S + Math.min(S - 1, Math.max(0, x + k)));
      tmp[y * S + x] = v;
    }
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
      let v = 0;
      for (let k = -5; k <= 5; k++) v += w[k + 5]! * tmp[Math.min(S - 1, Math.max(0, y + k)) * S + x]!;
      out[y * S + x] = v;
    }
    return out;
  };
  const ma = blur((i) => A[i]!), mb = blur((i) => B[i]!);
  const saa = blur((i) => A[i]! * A[i]!), sbb = blur((i) => B[i]! * B[i]!), sab = blur((i) => A[i]! * B[i]!);
  const c1 = 0.01 ** 2, c2 = 0.03 ** 2;
  let sum = 0, n = 0;
  for (let i = 0; i < S * S; i++) {
    if (!mask[i]) continue;
    const va = saa[i]! - ma[i]! ** 2, vb = sbb[i]! - mb[i]! ** 2, cov = sab[i]! - ma[i]! * mb[i]!;
    sum += ((2 * ma[i]! * mb[i]! + c1) * (2 * cov + c2)) / ((ma[i]! ** 2 + mb[i]! ** 2 + c1) * (va + vb + c2));
    n++;
  }
  return sum / n;
}

function holeErrors(orig: Uint8Array, fill: Uint8Array, mask: Uint8Array): { l1: number; se: number; n: number } {
  let l1 = 0, se = 0, n = 0;
  for (let i = 0; i < S * S; i++) {
    if (!mask[i]) continue;
    for (let c = 0; c < 3; c++) {
      const d = (fill[i * 3 + c]! - orig[i * 3 + c]!) / 255;
      l1 += Math.abs(d);
      se += d * d;
      n++;
    }
  }
  return { l1, se, n };
}

const held = photoSources().filter((p) => p.heldOut);
if (held.length === 0) {
  console.error('no held-out photos: install lomiri-wallpapers-16.04, mate-backgrounds and plasma-workspace-wallpapers');
  process.exit(1);
}
const rand = mulberry32(77);
const images: Uint8Array[] = [], masks: Uint8Array[] = [];
for (let k = 0; k < crops; k++) {
  const src = held[k % held.length]!;
  const { data, info } = await sharp(src.path).rotate().resize({ width: 512, height: 512, fit: 'outside' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const y0 = Math.floor(rand() * (info.height - S)), x0 = Math.floor(rand() * (info.width - S));
  const crop = new Uint8Array(S * S * 3);
  for (let y = 0; y < S; y++) crop.set(data.subarray(((y0 + y) * info.width + x0) * 3, ((y0 + y) * info.width + x0 + S) * 3), y * S * 3);
  images.push(crop);
  masks.push(freeFormMask(S, S, rand));
}

const model = await new ModelRegistry(join(tmpdir(), 'ganvas-bench-home')).get('inpaint256');
const methods: Record<string, Uint8Array[]> = { 'Ganvas inpaint256': [], 'OpenCV Telea': [], 'mean colour': [] };
let ourMs = 0;
for (let k = 0; k < crops; k++) {
  const rgba = new Uint8Array(S * S * 4);
  for (let i = 0; i < S * S; i++) { rgba.set(images[k]!.subarray(i * 3, i * 3 + 3), i * 4); rgba[i * 4 + 3] = 255; }
  const t0 = performance.now();
  const out = await inpaintRaster({ data: rgba, width: S, height: S }, masks[k]!, model.sessions.inpainter!, model.card.resolution);
  ourMs += performance.now() - t0;
  methods['Ganvas inpaint256']!.push(Uint8Array.from({ length: S * S * 3 }, (_, j) => out[Math.floor(j / 3) * 4 + (j % 3)]!));
  const mean = [0, 1, 2].map((c) => { let s = 0, n = 0; for (let i = 0; i < S * S; i++) if (!masks[k]![i]) { s += images[k]![i * 3 + c]!; n++; } return Math.round(s / n); });
  methods['mean colour']!.push(Uint8Array.from({ length: S * S * 3 }, (_, j) => (masks[k]![Math.floor(j / 3)] ? mean[j % 3]! : images[k]![j]!)));
}
const io = join(tmpdir(), `ganvas-telea-${process.pid}`);
writeFileSync(`${io}.in`, Buffer.concat([...images, ...masks.map((m) => Uint8Array.from(m, (v) => v * 255))]));
const t0 = performance.now();
const r = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'telea.py'), `${io}.in`, `${io}.out`, String(crops), String(S)], { encoding: 'utf8' });
const teleaMs = performance.now() - t0;
if (r.status !== 0 || !existsSync(`${io}.out`)) {
  console.error(`Telea not measured (${r.stderr.trim().split('\n').at(-1)}): install python3-opencv`);
  delete methods['OpenCV Telea'];
} else {
  const all = readFileSync(`${io}.out`);
  for (let k = 0; k < crops; k++) methods['OpenCV Telea']!.push(new Uint8Array(all.subarray(k * S * S * 3, (k + 1) * S * S * 3)));
}

const rows = Object.entries(methods).map(([name, outs]) => {
  let l1 = 0, se = 0, n = 0, ssim = 0;
  outs.forEach((o, k) => {
    const e = holeErrors(images[k]!, o, masks[k]!);
    l1 += e.l1; se += e.se; n += e.n;
    ssim += ssimInHole(images[k]!, o, masks[k]!);
  });
  return { method: name, holeL1: l1 / n, holePsnr: 10 * Math.log10(1 / (se / n)), holeSsim: ssim / outs.length, msPerImage: name.startsWith('Ganvas') ? ourMs / crops : name.includes('Telea') ? teleaMs / crops : null };
});
if (process.argv.includes('--json')) console.log(JSON.stringify({ crops, heldOut: held.map((h) => h.name), rows }, null, 2));
else {
  console.log(`${crops} crops of ${S}² from ${held.length} held-out photos (${held.map((h) => h.name).join(', ')}), free-form masks 5–50 %`);
  console.log('| method | hole L1 ↓ | hole PSNR ↑ | hole SSIM ↑ | ms / image |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.method} | ${r.holeL1.toFixed(4)} | ${r.holePsnr.toFixed(2)} dB | ${r.holeSsim.toFixed(4)} | ${r.msPerImage === null ? '—' : r.msPerImage.toFixed(0)} |`);
}
