/**
 * Result tests of the latent studio, through the contract's handlers only (`engine.handlers['latent.apply']` …):
 * every latent the engine computes is compared with the formula evaluated here, and every image with a render of
 * that latent made here — the package's own mapping.onnx and synthesis.onnx run by this file's onnxruntime
 * sessions, converted to bytes and scaled up (nearest) by this file's code. The pipeline is deterministic (ONNX
 * with stored noise, float32 latents), so latents and pixels are compared exactly.
 *
 * The tiny generator (test/tiny-nets.ts: 16 px, 6 rows of w+, w of 16) keeps the file to a few seconds. Its rows are
 * read, per engine/nets/synthesis.ts, as: row 0 → block 0 conv1; row 1 → block 0 toRGB and block 1 conv0; row 2 →
 * block 1 conv1; row 3 → block 1 toRGB and block 2 conv0; row 4 → block 2 conv1; row 5 → block 2 toRGB.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMaskPng } from '../engine/edit/inpaint.js';
import { zFromSeed } from '../engine/edit/latent-space.js';
import { Engine } from '../engine/engine.js';
import type { Generator } from '../engine/nets/generator.js';
import { writePackage } from '../engine/runtime/write-package.js';
import { writeOraclePackage } from './oracle-inpainters.js';
import { TINY_G, tinyGenerator } from './tiny-nets.js';

const R = TINY_G.resolution, W = TINY_G.wDim, L = 6; // model size, w width, rows of w+

let home: string;
let engine: Engine;
let G: Generator;
let mappingSession: ort.InferenceSession;
let synthesisSession: ort.InferenceSession;
let oracleId: string;

beforeAll(async () => {
  // One engine and project for the whole file (the cases use their own layers): test/helpers' tempDir is removed
  // after each test, so this file keeps its own folder.
  home = mkdtempSync(join(tmpdir(), 'ganvas-latent-results-'));
  const shipped = join(home, 'shipped');
  G = tinyGenerator(1);
  writePackage(join(shipped, 'gen'), { id: 'gen', name: 'gen', licence: 'CC0-1.0', data: 'none', provenance: { source: 'shipped', parent: null } }, { kind: 'generator', G });
  // The white oracle fills every hole pixel with 255: the healed band's expected pixels are known exactly.
  oracleId = writeOraclePackage(shipped, 'white', { maxSide: 256 });
  engine = new Engine({ host: 'cli', hostDetail: 'test', home, shippedModels: shipped });
  engine.projects.create('p', 512, 512, join(home, 'p.ganvas'));
  const opts = { executionProviders: ['cpu'], intraOpNumThreads: 1 };
  mappingSession = await ort.InferenceSession.create(join(shipped, 'gen', 'mapping.onnx'), opts);
  synthesisSession = await ort.InferenceSession.create(join(shipped, 'gen', 'synthesis.onnx'), opts);
}, 60_000);

afterAll(() => {
  engine?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

// ---- the reference, computed here -------------------------------------------------------------------------

/** w for z at truncation ψ, by the package's mapping.onnx. */
async function mapW(z: Float32Array, psi: number): Promise<Float32Array> {
  const out = await mappingSession.run({ z: new ort.Tensor('float32', z, [1, z.length]), psi: new ort.Tensor('float32', Float32Array.of(psi), [1]) });
  return Float32Array.from(out.w!.data as Float32Array);
}

/** w+ of a seed: its w on every row. */
async function wsOfSeed(seed: number, psi: number): Promise<Float32Array> {
  const w = await mapW(zFromSeed(seed, TINY_G.zDim), psi);
  const ws = new Float32Array(L * W);
  for (let l = 0; l < L; l++) ws.set(w, l * W);
  return ws;
}

/** RGBA (opaque) at the model's size: synthesis.onnx on w+, [-1, 1] → round((x + 1)·127.5) clamped to 0..255. */
async function render(ws: Float32Array): Promise<Uint8Array> {
  const { image } = await synthesisSession.run({ ws: new ort.Tensor('float32', ws, [1, L, W]) });
  const x = image!.data as Float32Array;
  const out = new Uint8Array(R * R * 4);
  for (let p = 0; p < R * R; p++) {
    for (let c = 0; c < 3; c++) out[p * 4 + c] = Math.max(0, Math.min(255, Math.round((x[c * R * R + p]! + 1) * 127.5)));
    out[p * 4 + 3] = 255;
  }
  return out;
}

/** Nearest-neighbour upscale by a whole factor: every model pixel becomes a k × k block. */
function upscale(rgba: Uint8Array, from: number, to: number): Uint8Array {
  const k = to / from;
  expect(Number.isInteger(k)).toBe(true);
  const out = new Uint8Array(to * to * 4);
  for (let y = 0; y < to; y++) for (let x = 0; x < to; x++) {
    const s = (Math.floor(y / k) * from + Math.floor(x / k)) * 4;
    out.set(rgba.subarray(s, s + 4), (y * to + x) * 4);
  }
  return out;
}

const renderAt = async (ws: Float32Array, display: number) => upscale(await render(ws), R, display);

/** Decoded RGBA of a PNG, with its size. */
async function pixels(png: Uint8Array): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

async function layerPixels(assetHash: string): Promise<Uint8Array> {
  return (await pixels((await engine.handlers['asset.get']({ hash: assetHash })).bytes)).data;
}

/** Exact equality with a short message instead of a 16 kB diff. */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array, what: string) {
  expect(actual.length, `${what}: size`).toBe(expected.length);
  const bad = actual.findIndex((v, i) => v !== expected[i]);
  expect(bad, `${what}: first differing byte`).toBe(-1);
}

const differ = (a: Uint8Array, b: Uint8Array) => a.length !== b.length || a.some((v, i) => v !== b[i]);

async function place(seed: number, psi: number, display: number) {
  const state = await engine.handlers['latent.place']({ seed, psi, display });
  return state.layers.at(-1)!;
}

const latentOf = async (layerId: string) => (await engine.handlers['latent.get']({ layerId })).ws;

// ---- the tests ------------------------------------------------------------------------------------------------

describe('latent results against references computed in the test', () => {
  it('a seed is w = mapping(zFromSeed(seed), ψ) on every row, and its layer is that latent\'s render', async () => {
    // This pins what "the z of a seed" means (engine/edit/latent-space.ts zFromSeed); the variation and mix-from-seed
    // references below build on it.
    const layer = await place(3, 0.7, 64);
    const expected = await wsOfSeed(3, 0.7);
    expect(await latentOf(layer.id)).toEqual(expected);
    expectSameBytes(await layerPixels(layer.assetHash), await renderAt(expected, 64), 'placed layer');
    const [sample] = (await engine.handlers['latent.sample']({ seeds: [3], psi: 0.7, display: 32 })).images;
    expectSameBytes((await pixels(sample!)).data, await renderAt(expected, 32), 'sample');
  });

  it('a slider moves only its rows: ws + α·σ·d on rows start..end, the other rows unchanged, and renders that', async () => {
    const layer = await place(11, 0.7, 64);
    const ws = await latentOf(layer.id);
    const [dir] = await engine.handlers['direction.compute']({ method: 'ganspace', count: 1, start: 0, end: 5 });
    const alpha = 2.5, start = 1, end = 3;
    // float32 storage of the double-precision sum: the same rounding the stored latent went through.
    const expected = Float32Array.from(ws, (v, i) => {
      const row = Math.floor(i / W);
      return row >= start && row <= end ? v + alpha * dir!.sigma * dir!.vector[i % W]! : v;
    });
    // The move is visible: the latent and the render differ from the slider on all rows, so a test of "the right
    // rows" can tell them apart.
    const everyRow = Float32Array.from(ws, (v, i) => v + alpha * dir!.sigma * dir!.vector[i % W]!);
    expect(differ(await render(expected), await render(everyRow))).toBe(true);

    const slider = { directionId: dir!.id, alpha, start, end };
    const preview = await engine.handlers['latent.preview']({ layerId: layer.id, sliders: [slider], mixes: [] });
    expectSameBytes(preview.rgba, await render(expected), 'slider preview');
    const state = await engine.handlers['latent.apply']({ layerId: layer.id, sliders: [slider], mixes: [] });
    const stored = await latentOf(layer.id);
    expect(stored.slice(0, start * W)).toEqual(ws.slice(0, start * W));
    expect(stored.slice((end + 1) * W)).toEqual(ws.slice((end + 1) * W));
    expect(stored).toEqual(expected);
    const after = state.layers.find((l) => l.id === layer.id)!;
    expectSameBytes(await layerPixels(after.assetHash), await renderAt(expected, 64), 'slider commit');
  });

  it('a mix takes rows start..end from its source (a layer, or a seed at ψ = 1) and the rest from the target', async () => {
    const target = await place(21, 0.7, 64);
    const source = await place(22, 0.5, 64);
    const t = await latentOf(target.id), s = await latentOf(source.id);
    const seedW = await wsOfSeed(23, 1); // a seed source is mapped at ψ = 1 whatever ψ the target was placed at
    const mixes = [{ fromLayerId: source.id, start: 0, end: 1 }, { fromSeed: 23, start: 4, end: 5 }];
    const expected = Float32Array.from(t, (v, i) => {
      const row = Math.floor(i / W);
      return row <= 1 ? s[i]! : row >= 4 ? seedW[i]! : v;
    });
    const preview = await engine.handlers['latent.preview']({ layerId: target.id, sliders: [], mixes });
    expectSameBytes(preview.rgba, await render(expected), 'mix preview');
    const state = await engine.handlers['latent.apply']({ layerId: target.id, sliders: [], mixes });
    expect(await latentOf(target.id)).toEqual(expected);
    expect(await latentOf(source.id)).toEqual(s); // the source layer is left as it was
    expectSameBytes(await layerPixels(state.layers.find((l) => l.id === target.id)!.assetHash), await renderAt(expected, 64), 'mix commit');
  });

  it('an analogy places exactly A − B + C and its render', async () => {
    const [a, b, c] = [await place(31, 0.7, 32), await place(32, 1, 32), await place(33, 0.5, 32)];
    const [A, B, C] = [await latentOf(a.id), await latentOf(b.id), await latentOf(c.id)];
    const state = await engine.handlers['latent.analogy']({ a: a.id, b: b.id, c: c.id, display: 32 });
    const placed = state.layers.at(-1)!;
    const expected = Float32Array.from(A, (v, i) => v - B[i]! + C[i]!);
    expect(await latentOf(placed.id)).toEqual(expected);
    expectSameBytes(await layerPixels(placed.assetHash), await renderAt(expected, 32), 'analogy');
  });

  it('variation k is ws + strength · zFromSeed(seed·1000 + k) on every row, and its render', async () => {
    const layer = await place(41, 0.7, 32);
    const ws = await latentOf(layer.id);
    const strength = 0.5, seed = 2;
    const v = await engine.handlers['latent.variations']({ layerId: layer.id, count: 3, strength, seed });
    expect(v.latents).toHaveLength(3);
    for (let k = 0; k < 3; k++) {
      const step = zFromSeed(seed * 1000 + k, W);
      const expected = Float32Array.from(ws, (x, i) => x + strength * step[i % W]!);
      expect(v.latents[k], `variation ${k}`).toEqual(expected);
      expectSameBytes((await pixels(v.images[k]!)).data, await render(expected), `variation ${k} image`);
    }
  });

  it('an interpolation starts and ends on its keyframes\' renders and passes through the middle one; the GIF has every frame', async () => {
    const middle = await place(51, 0.7, 32);
    const psi = 0.7, frames = 13, display = 32;
    const r = await engine.handlers['latent.interpolate']({ keys: [{ seed: 52 }, { layerId: middle.id }, { seed: 53 }], frames, space: 'w', method: 'lerp', psi, display, delayMs: 50 });
    expect(r.frames).toHaveLength(frames);
    // Frames sit at t = f / (frames − 1); with 13 frames over two segments, frame 6 is exactly the middle keyframe.
    expectSameBytes((await pixels(r.frames[0]!)).data, await renderAt(await wsOfSeed(52, psi), display), 'first frame');
    expectSameBytes((await pixels(r.frames[6]!)).data, await renderAt(await latentOf(middle.id), display), 'middle frame');
    expectSameBytes((await pixels(r.frames[12]!)).data, await renderAt(await wsOfSeed(53, psi), display), 'last frame');
    expect(differ((await pixels(r.frames[3]!)).data, (await pixels(r.frames[0]!)).data)).toBe(true);
    // Scrubbing the timeline (latent.frame, RGBA at the model's size) reaches the same keyframes at t = 0, ½ and 1;
    // in z the path runs through the seeds' z and is mapped at the path's ψ.
    const keys = [{ seed: 52 }, { layerId: middle.id }, { seed: 53 }];
    for (const [t, ws] of [[0, await wsOfSeed(52, psi)], [0.5, await latentOf(middle.id)], [1, await wsOfSeed(53, psi)]] as const) {
      expectSameBytes((await engine.handlers['latent.frame']({ keys, t, space: 'w', method: 'slerp', psi })).rgba, await render(ws), `timeline at t = ${t}`);
    }
    for (const [t, seed] of [[0, 54], [1, 55]] as const) {
      const frame = await engine.handlers['latent.frame']({ keys: [{ seed: 54 }, { seed: 55 }], t, space: 'z', method: 'slerp', psi: 0.5 });
      expectSameBytes(frame.rgba, await render(await wsOfSeed(seed, 0.5)), `z path at t = ${t}`);
    }

    // The GIF: its frames decoded here (LZW, each frame's own palette) are the PNG frames quantised. gifenc bins
    // colours by their top 5 bits per channel (bins 8 levels wide; a 16 px render has ≤ 256 colours, so no bins
    // merge) and a palette entry is its bin's rounded mean. applyPalette maps a whole bin to the entry nearest the
    // bin's first pixel, which lies within that pixel's own bin mean, ≤ 12 per channel (√(3·7²) ≈ 12.1); another
    // pixel of the bin is ≤ 7 from the first: so no channel moves by more than 19.
    const gif = decodeGif(r.gif);
    expect([gif.width, gif.height]).toEqual([display, display]);
    expect(gif.frames).toHaveLength(frames);
    const pngs = await Promise.all(r.frames.map(async (f) => (await pixels(f)).data));
    const errors = (frame: GifFrame, png: Uint8Array) => {
      let worst = 0, sum = 0;
      for (let i = 0; i < png.length; i += 4) for (let c = 0; c < 3; c++) {
        const e = Math.abs(png[i + c]! - frame.rgb[(i / 4) * 3 + c]!);
        worst = Math.max(worst, e);
        sum += e;
      }
      return { worst, mean: sum / ((png.length / 4) * 3) };
    };
    for (const [f, frame] of gif.frames.entries()) {
      expect(frame.delayCs).toBe(5);
      expect(errors(frame, pngs[f]!).worst, `GIF frame ${f}`).toBeLessThanOrEqual(19);
    }
    // In order: the GIF's first and last frames are nearer their own PNG frame than the other end's.
    expect(errors(gif.frames[0]!, pngs[0]!).mean).toBeLessThan(errors(gif.frames[0]!, pngs[frames - 1]!).mean);
    expect(errors(gif.frames[frames - 1]!, pngs[frames - 1]!).mean).toBeLessThan(errors(gif.frames[frames - 1]!, pngs[0]!).mean);
  });

  it('mixing-grid cell (i, j) is the render of column seed j with rows start..end of row seed i; the edges are the sources', async () => {
    const rows = [61, 62], cols = [63, 64, 65], start = 0, end = 2, psi = 0.7, cell = 32;
    const { png } = await engine.handlers['latent.mixGrid']({ rows, cols, start, end, psi, cell });
    const grid = await pixels(png);
    expect([grid.width, grid.height]).toEqual([(cols.length + 1) * cell, (rows.length + 1) * cell]);
    const tile = (tx: number, ty: number) => {
      const out = new Uint8Array(cell * cell * 4);
      for (let y = 0; y < cell; y++) out.set(grid.data.subarray(((ty * cell + y) * grid.width + tx * cell) * 4, ((ty * cell + y) * grid.width + (tx + 1) * cell) * 4), y * cell * 4);
      return out;
    };
    const rowWs = await Promise.all(rows.map((s) => wsOfSeed(s, psi))), colWs = await Promise.all(cols.map((s) => wsOfSeed(s, psi)));
    for (const [j, ws] of colWs.entries()) expectSameBytes(tile(j + 1, 0), await renderAt(ws, cell), `column ${j} source`);
    for (const [i, ws] of rowWs.entries()) expectSameBytes(tile(0, i + 1), await renderAt(ws, cell), `row ${i} source`);
    for (let i = 0; i < rows.length; i++) for (let j = 0; j < cols.length; j++) {
      const mix = Float32Array.from(colWs[j]!, (v, k) => {
        const row = Math.floor(k / W);
        return row >= start && row <= end ? rowWs[i]![k]! : v;
      });
      expectSameBytes(tile(j + 1, i + 1), await renderAt(mix, cell), `cell (${i}, ${j})`);
    }
  });

  it('SeFa directions are the eigenvectors of the chosen rows\' modulation weights AᵀA: orthonormal, Av = λv, λ descending', async () => {
    // The affine (style) weights are read from the generator object itself, not from the package the engine reads.
    const params = new Map([...G.namedParams()].map(([n, p]) => [n, p.variable]));
    /** Σ over the layers of s²·AᵀA, A = [w, channels]; s² = 1 or the layer's 1 / mean squared column norm. */
    const gram = (layers: string[], normalise: boolean) => {
      const M = new Float64Array(W * W);
      for (const name of layers) {
        const v = params.get(`synthesis.${name}.conv.affine.weight`);
        expect(v, name).toBeDefined();
        const [inDim, outDim] = v!.shape as [number, number];
        expect(inDim).toBe(W);
        const a = v!.dataSync() as Float32Array;
        let sq = 0;
        for (const x of a) sq += x * x;
        const s2 = normalise ? outDim / sq : 1;
        for (let c = 0; c < outDim; c++) for (let i = 0; i < W; i++) for (let j = 0; j < W; j++) M[i * W + j] = M[i * W + j]! + a[i * outDim + c]! * a[j * outDim + c]! * s2;
      }
      return M;
    };
    const dot = (x: ArrayLike<number>, y: ArrayLike<number>) => { let s = 0; for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!; return s; };
    const expectEigenbasis = async (start: number, end: number, M: Float64Array) => {
      const dirs = await engine.handlers['direction.compute']({ method: 'sefa', count: W, start, end });
      expect(dirs).toHaveLength(W);
      const vs = dirs.map((d) => Float64Array.from(d.vector));
      const scale = Math.max(...M.map(Math.abs));
      const lambdas: number[] = [];
      for (const [k, v] of vs.entries()) {
        for (const [m, u] of vs.entries()) expect(Math.abs(dot(v, u) - (k === m ? 1 : 0)), `rows ${start}–${end}: v${k}·v${m}`).toBeLessThan(1e-5);
        const Mv = Float64Array.from({ length: W }, (_, i) => dot(M.subarray(i * W, (i + 1) * W), v));
        const lambda = dot(v, Mv);
        expect(Math.hypot(...Mv.map((x, i) => x - lambda * v[i]!)) / scale, `rows ${start}–${end}: ‖Mv − λv‖ for v${k}`).toBeLessThan(1e-5);
        lambdas.push(lambda);
      }
      // W orthonormal eigenvectors are all of them, so descending λ means the first ones are the top directions.
      for (let k = 1; k < W; k++) expect(lambdas[k]!).toBeLessThanOrEqual(lambdas[k - 1]! + 1e-9 * scale);
      expect(lambdas[0]! - lambdas[W - 1]!).toBeGreaterThan(1e-3 * scale);
    };
    // One row: row 2 is styled by block 1 conv1 alone, and a single layer's normalisation is one factor that moves
    // no eigenvector, so the reference is plain AᵀA.
    await expectEigenbasis(2, 2, gram(['blocks.1.conv1'], false));
    // Rows 0–2: block 0 conv1, block 1 conv0 and conv1 (toRGB styles are not SeFa's, as in Shen & Zhou's code), each
    // layer's A normalised to unit mean squared column norm (engine/edit/directions.ts) so the layers weigh alike.
    await expectEigenbasis(0, 2, gram(['blocks.0.conv1', 'blocks.1.conv0', 'blocks.1.conv1'], true));
  });

  it('a masked local edit is the edited render deep inside the mask, the original outside the band, and the inpainter\'s fill in the band', async () => {
    const display = 64, feather = 4, band = 3;
    const layer = await place(71, 0.7, display);
    const ws = await latentOf(layer.id);
    const [dir] = await engine.handlers['direction.compute']({ method: 'ganspace', count: 1, start: 0, end: 5 });
    // A blob that is not a box: an ellipse with a bar through it, so band and feather follow a curved edge.
    const mask = new Uint8Array(display * display);
    for (let y = 0; y < display; y++) for (let x = 0; x < display; x++) {
      if (((x - 30) / 18) ** 2 + ((y - 32) / 14) ** 2 <= 1 || (x >= 40 && x < 56 && y >= 26 && y < 38)) mask[y * display + x] = 1;
    }
    const slider = { directionId: dir!.id, alpha: 4, start: 0, end: 5 };
    const state = await engine.handlers['latent.applyLocal']({
      layerId: layer.id, sliders: [slider], mixes: [], mask: await encodeMaskPng(mask, display, display), feather, healBand: band, inpainterId: oracleId,
    });
    const after = state.layers.find((l) => l.id === layer.id)!;
    expect(after.latent).toEqual({ ...layer.latent, localEdits: 1 }); // still linked to its own latent, now with an edit inside a mask over its render
    const out = await layerPixels(after.assetHash);
    const original = await layerPixels(layer.assetHash);
    expectSameBytes(original, await renderAt(ws, display), 'layer before the edit');
    const edited = await renderAt(Float32Array.from(ws, (v, i) => v + 4 * dir!.sigma * dir!.vector[i % W]!), display);

    // Exact Euclidean distance of each pixel to the other side of the mask's edge, by brute force within 8 px
    // (farther: Infinity, which every check below treats as far).
    const reach = 8;
    const dist = new Float64Array(display * display).fill(Infinity);
    for (let y = 0; y < display; y++) for (let x = 0; x < display; x++) {
      const p = y * display + x;
      for (let yy = Math.max(0, y - reach); yy <= Math.min(display - 1, y + reach); yy++) for (let xx = Math.max(0, x - reach); xx <= Math.min(display - 1, x + reach); xx++) {
        if (mask[yy * display + xx] !== mask[p]) dist[p] = Math.min(dist[p]!, Math.hypot(xx - x, yy - y));
      }
    }
    // The engine's band is the pixels within `band` chamfer px of the edge (chamfer ≥ Euclidean, by at most 8.3 %),
    // and the inpainter's blend reaches 2 px beyond the band. So: Euclidean ≤ band / 1.083 is surely in the band;
    // beyond band + 2 (+ 0.5 for the blend's last pixel) surely untouched by the heal.
    const clear = band + 2.5;
    let deep = 0, far = 0, healed = 0;
    const wrong: string[] = [];
    const check = (p: number, want: ArrayLike<number>, where: string) => {
      const got = Array.from(out.subarray(p * 4, p * 4 + 4));
      if (got.some((v, c) => v !== want[c])) wrong.push(`${where} at ${p % display},${Math.floor(p / display)}: ${got} instead of ${Array.from(want)}`);
    };
    for (let p = 0; p < dist.length; p++) {
      const d = dist[p]!;
      if (mask[p] && d > Math.max(clear, feather)) {
        deep++;
        check(p, edited.subarray(p * 4, p * 4 + 4), 'deep inside');
      } else if (!mask[p] && d > clear) {
        far++;
        check(p, original.subarray(p * 4, p * 4 + 4), 'outside');
      } else if (d <= band / 1.083) {
        healed++;
        check(p, [255, 255, 255, 255], 'band');
      } else if (out[p * 4 + 3] !== 255) wrong.push(`alpha at ${p}`);
    }
    expect(wrong.slice(0, 5), `${wrong.length} wrong pixels`).toEqual([]);
    expect(deep).toBeGreaterThan(300);
    expect(far).toBeGreaterThan(2000);
    expect(healed).toBeGreaterThan(300);
    // The edited render differs from the original where it is checked, so each region tells the two apart.
    let deepDiffers = 0;
    for (let p = 0; p < dist.length; p++) if (mask[p] && dist[p]! > clear && differ(edited.subarray(p * 4, p * 4 + 3), original.subarray(p * 4, p * 4 + 3))) deepDiffers++;
    expect(deepDiffers).toBeGreaterThan(100);
    expect((await engine.handlers['history.rerender']({ editId: state.headEditId! })).identical).toBe(true);
  });
});

// ---- a GIF reader (the repo has an encoder only) ---------------------------------------------------------------

interface GifFrame { rgb: Uint8Array; delayCs: number }

/** Decodes a GIF89a whose frames each cover the whole screen with a local or global palette (what gifenc writes). */
function decodeGif(b: Uint8Array): { width: number; height: number; frames: GifFrame[] } {
  expect(new TextDecoder().decode(b.subarray(0, 6))).toBe('GIF89a');
  const width = b[6]! | (b[7]! << 8), height = b[8]! | (b[9]! << 8);
  let p = 13;
  let global: Uint8Array | null = null;
  if (b[10]! & 0x80) { const n = 3 * (1 << ((b[10]! & 7) + 1)); global = b.subarray(p, p + n); p += n; }
  const frames: GifFrame[] = [];
  let delayCs = 0;
  const subBlocks = () => {
    const parts: number[] = [];
    for (let n = b[p++]!; n > 0; n = b[p++]!) { for (let i = 0; i < n; i++) parts.push(b[p + i]!); p += n; }
    return Uint8Array.from(parts);
  };
  for (;;) {
    const tag = b[p++];
    if (tag === 0x3b) break;
    if (tag === 0x21) {
      const label = b[p++];
      const data = subBlocks();
      if (label === 0xf9) delayCs = data[1]! | (data[2]! << 8);
    } else if (tag === 0x2c) {
      const fw = b[p + 4]! | (b[p + 5]! << 8), fh = b[p + 6]! | (b[p + 7]! << 8), flags = b[p + 8]!;
      expect([b[p]! | (b[p + 1]! << 8), b[p + 2]! | (b[p + 3]! << 8), fw, fh]).toEqual([0, 0, width, height]);
      expect(flags & 0x40, 'interlaced').toBe(0);
      p += 9;
      let palette = global;
      if (flags & 0x80) { const n = 3 * (1 << ((flags & 7) + 1)); palette = b.subarray(p, p + n); p += n; }
      const minCode = b[p++]!;
      const indices = lzw(subBlocks(), minCode, fw * fh);
      const rgb = new Uint8Array(fw * fh * 3);
      for (let i = 0; i < indices.length; i++) rgb.set(palette!.subarray(indices[i]! * 3, indices[i]! * 3 + 3), i * 3);
      frames.push({ rgb, delayCs });
    } else throw new Error(`unexpected GIF block 0x${tag?.toString(16)} at ${p - 1}`);
  }
  return { width, height, frames };
}

/** GIF's variable-width LZW (codes LSB-first, clear and end codes, 12-bit cap). */
function lzw(data: Uint8Array, minCode: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  const clear = 1 << minCode, end = clear + 1;
  let dict: number[][] = [];
  const reset = () => { dict = Array.from({ length: clear + 2 }, (_, i) => [i]); };
  reset();
  let size = minCode + 1, bits = 0, acc = 0, n = 0, prev: number[] | null = null;
  for (let i = 0; i < data.length && n < count;) {
    while (bits < size && i < data.length) { acc |= data[i++]! << bits; bits += 8; }
    if (bits < size) break;
    const code = acc & ((1 << size) - 1);
    acc >>>= size; bits -= size;
    if (code === clear) { reset(); size = minCode + 1; prev = null; continue; }
    if (code === end) break;
    const entry: number[] = code < dict.length ? dict[code]! : prev ? [...prev, prev[0]!] : [];
    for (const v of entry) if (n < count) out[n++] = v;
    if (prev) dict.push([...prev, entry[0]!]);
    prev = entry;
    if (dict.length === 1 << size && size < 12) size++;
  }
  expect(n, 'decoded GIF pixels').toBe(count);
  return out;
}

describe('refusals that keep results right (each was a plausible wrong result before)', () => {
  let e2: Engine;
  let home2: string;
  beforeAll(async () => {
    home2 = mkdtempSync(join(tmpdir(), 'ganvas-latent-refusals-'));
    const shipped = join(home2, 'shipped');
    for (const [id, seed] of [['gen-a', 1], ['gen-b', 2]] as const) {
      writePackage(join(shipped, id), { id, name: id, licence: 'CC0-1.0', data: 'none', provenance: { source: 'shipped', parent: null } }, { kind: 'generator', G: tinyGenerator(seed) });
    }
    e2 = new Engine({ host: 'cli', hostDetail: 'test', home: home2, shippedModels: shipped });
    await e2.call('project.create', { name: 'q', width: 256, height: 256, path: 'q.ganvas' }); // in the library folder
  }, 60_000);
  afterAll(() => {
    e2?.close();
    if (home2) rmSync(home2, { recursive: true, force: true });
  });
  const placeOn = async (modelId: string, seed: number, psi = 0.7) => (await e2.call('latent.place', { modelId, seed, psi, display: 32 })).layers.at(-1)!;

  it('placed samples land where they cover no other sample, each in one edit', async () => {
    const before = (await e2.call('history.list', {})).length;
    const placed = [];
    for (const seed of [21, 22, 23]) placed.push(await placeOn('gen-b', seed));
    expect((await e2.call('history.list', {})).length).toBe(before + 3);
    const all = (await e2.call('project.state', {})).layers.filter((l) => l.latent);
    for (const a of placed) {
      expect(a.x >= 0 && a.y >= 0 && a.x + a.width <= 256 && a.y + a.height <= 256, `${a.name} inside the document`).toBe(true);
      for (const b of all) if (b.id !== a.id) {
        const ov = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)) * Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
        expect(ov, `${a.name} over ${b.name}`).toBe(0);
      }
    }
  });

  it('a mix from a layer of another generator of the same shape is refused, not mixed', async () => {
    const a = await placeOn('gen-a', 1), b = await placeOn('gen-b', 2);
    await expect(e2.call('latent.apply', { layerId: a.id, sliders: [], mixes: [{ fromLayerId: b.id, start: 0, end: 2 }] })).rejects.toThrow(/comes from another model \(gen-b\)/);
  });

  it('a whole-layer edit over an edit inside a mask is refused (it would redraw it); another masked edit is not', async () => {
    const a = await placeOn('gen-a', 3);
    const mask = await encodeMaskPng(Uint8Array.from({ length: 32 * 32 }, (_, i) => (i % 32 < 16 ? 1 : 0)), 32, 32);
    const vector = Float32Array.from({ length: W }, (_, i) => (i === 0 ? 1 : 0));
    const local = await e2.call('latent.applyLocal', { layerId: a.id, sliders: [{ vector, alpha: 2, start: 0, end: 5 }], mixes: [], mask, feather: 2, healBand: 0 });
    expect(local.layers.find((l) => l.id === a.id)!.latent!.localEdits).toBe(1);
    await expect(e2.call('latent.apply', { layerId: a.id, sliders: [{ vector, alpha: 1, start: 0, end: 5 }], mixes: [] })).rejects.toThrow(/has 1 edit inside a mask/);
    await expect(e2.call('latent.preview', { layerId: a.id, sliders: [{ vector, alpha: 1, start: 0, end: 5 }], mixes: [] })).rejects.toThrow(/inside a mask/);
    await e2.call('latent.applyLocal', { layerId: a.id, sliders: [{ vector, alpha: -1, start: 0, end: 5 }], mixes: [], mask, feather: 2, healBand: 0 });
    const undone = await e2.call('history.undo', {});
    expect(undone.layers.find((l) => l.id === a.id)!.latent!.localEdits).toBe(1);
    const back = await e2.call('history.undo', {});
    expect(back.layers.find((l) => l.id === a.id)!.latent!.localEdits).toBeUndefined();
    await e2.call('latent.apply', { layerId: a.id, sliders: [{ vector, alpha: 1, start: 0, end: 5 }], mixes: [] });
  });

  it('reversed or too-long row ranges are refused by the mixing grid and by tagged-set directions', async () => {
    await expect(e2.call('latent.mixGrid', { modelId: 'gen-a', rows: [1], cols: [2], start: 3, end: 1, psi: 1, cell: 16 })).rejects.toThrow(/layer range 3–1 is outside 0–5/);
    await expect(e2.call('latent.mixGrid', { modelId: 'gen-a', rows: [1], cols: [2], start: 0, end: 6, psi: 1, cell: 16 })).rejects.toThrow(/layer range 0–6 is outside 0–5/);
    const p = await placeOn('gen-a', 5), n = await placeOn('gen-a', 6);
    await expect(e2.call('direction.fromSets', { name: 'x', positive: [p.id], negative: [n.id], method: 'mean', start: 4, end: 60 })).rejects.toThrow(/layer range 4–60 is outside 0–5/);
  });

  it('a slider is labelled and recorded at the position it was applied (clamped to ±10σ)', async () => {
    const a = await placeOn('gen-a', 7);
    const vector = Float32Array.from({ length: W }, (_, i) => (i === 1 ? 1 : 0));
    await e2.call('latent.apply', { layerId: a.id, sliders: [{ vector, alpha: 1e9, start: 0, end: 0 }], mixes: [] });
    const last = (await e2.call('history.list', {})).at(-1)!;
    expect(last.label).toMatch(/^direction \+10σ on /);
    const { ws } = await e2.call('latent.get', { layerId: a.id });
    const before = await (async () => { await e2.call('history.undo', {}); const r = (await e2.call('latent.get', { layerId: a.id })).ws; await e2.call('history.redo', {}); return r; })();
    expect(ws[1]! - before[1]!).toBeCloseTo(10, 4);
  });

  it('a z path through a layer placed at another ψ is refused; at its ψ, the path starts exactly at the layer', async () => {
    const a = await placeOn('gen-a', 11, 0.7);
    await expect(e2.call('latent.frame', { modelId: 'gen-a', keys: [{ layerId: a.id }, { seed: 12 }], t: 0, space: 'z', method: 'slerp', psi: 1 })).rejects.toThrow(/placed at ψ 0\.7/);
    const f = await e2.call('latent.frame', { modelId: 'gen-a', keys: [{ layerId: a.id }, { seed: 12 }], t: 0, space: 'z', method: 'slerp', psi: 0.7 });
    const { ws } = await e2.call('latent.get', { layerId: a.id });
    const r = await e2.call('latent.preview', { layerId: a.id, sliders: [], mixes: [] });
    expect(ws.length).toBe(L * W);
    expectSameBytes(f.rgba, r.rgba, 'frame at t = 0 vs the layer');
  });
});
