/**
 * Importing the ONNX inpainters users already hold (issue 10, item 6): MI-GAN pipelines and LaMa exports, with
 * their conventions detected by probe runs, recorded in model.json and applied at run time. The fixtures in
 * ../shared/fixtures/import (README.md there, sections 4 and 5) carry references computed by running each file
 * in onnxruntime through its own pre- and post-processing: inside the hole, the import must match them within
 * 2/255.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inpaintModel } from '../engine/edit/inpaint-model.js';
import { decode, raster, type Raster } from '../engine/image/raster.js';
import { GraphBuilder } from '../engine/nets/onnx/graph.js';
import type { InpainterIo, ModelCard } from '../engine/runtime/package.js';
import { ModelRegistry, type LoadedModel } from '../engine/runtime/registry.js';
import { writePackage } from '../engine/runtime/write-package.js';
import { tempDir } from './helpers.js';
import { readNpz } from './npz.js';
import { tinyInpainter } from './tiny-nets.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'import');
const need = (...files: string[]) => {
  const missing = files.filter((f) => !existsSync(join(FIXTURES, f)));
  return missing.length ? `SKIPPED: ${missing.join(', ')} not found in ${FIXTURES}` : null;
};
/** `it` when the fixtures are there, else `it.skip` with the reason in the test's name. */
const withFixtures = (files: string[]) => {
  const why = need(...files);
  return (name: string, fn: () => Promise<void>, timeout?: number) => (why ? it.skip(`${name} — ${why}`, fn) : it(name, fn, timeout));
};

const registry = () => new ModelRegistry(tempDir(), tempDir());
const cardOf = (home: string, id: string): ModelCard => JSON.parse(readFileSync(join(home, 'models', id, 'model.json'), 'utf8'));
const withIo = (m: LoadedModel, edit: (io: InpainterIo) => InpainterIo): LoadedModel => ({
  ...m, card: { ...m.card, inpainter: { ...m.card.inpainter!, io: edit(m.card.inpainter!.io!) } },
});

/** The test photo and its mask PNG (white = hole) as the engine decodes them. */
async function photoAndHole(image: string, mask: string): Promise<{ rgb: Raster; hole: Raster }> {
  const rgb = await decode(readFileSync(join(FIXTURES, image)), { name: image, channels: 3 });
  const grey = await decode(readFileSync(join(FIXTURES, mask)), { name: mask, channels: 1 });
  return { rgb, hole: raster(Uint8Array.from(grey.data, (v) => (v >= 128 ? 255 : 0)), grey.width, grey.height, 1) };
}

/** Max |ours − reference| over the hole's pixels and channels; reference is NCHW uint8. */
function maxHoleError(ours: Raster, ref: Uint8Array, hole: Raster): { max: number; pixels: number } {
  const n = ours.width * ours.height;
  let max = 0, pixels = 0;
  for (let i = 0; i < n; i++) {
    if (!hole.data[i]) continue;
    pixels++;
    for (let c = 0; c < 3; c++) max = Math.max(max, Math.abs(ours.data[i * 3 + c]! - ref[c * n + i]!));
  }
  return { max, pixels };
}

/** The NCHW reference image as interleaved RGB. */
const interleave = (nchw: ArrayLike<number>, n: number) => Uint8Array.from({ length: 3 * n }, (_, k) => nchw[(k % 3) * n + Math.floor(k / 3)]!);

describe('importing MI-GAN and LaMa inpainters', () => {
  withFixtures(['migan-256-pipeline.onnx', 'migan-256-pipeline.ref.npz', 'ladybird-256.png', 'ladybird-256-mask.png'])(
    'MI-GAN pipeline: detects uint8 I/O with mask 255 = known, any size, and matches onnxruntime in the hole', async () => {
      const home = tempDir();
      const reg = new ModelRegistry(home, tempDir());
      const info = await reg.import(join(FIXTURES, 'migan-256-pipeline.onnx'));
      expect(info).toMatchObject({ id: 'migan-256-pipeline', kind: 'inpainter', source: 'imported' });
      const card = cardOf(home, info.id);
      expect(card.inpainter).toMatchObject({
        multiple: 1, maxSide: 2048,
        io: {
          layout: 'image+mask', names: { image: 'image', mask: 'mask', output: 'result' },
          image: { type: 'uint8', range: [0, 255], eraseHole: false },
          mask: { type: 'uint8', hole: 0, known: 255 },
          output: { type: 'uint8', range: [0, 255], composited: true },
        },
      });
      expect(card.inpainter!.fixed).toBeUndefined();
      expect(card.inpainter!.io!.evidence!.maskHole).toMatch(/^probe: pixels under mask = 0 do not reach the output/);

      const loaded = await reg.get(info.id);
      const model = inpaintModel(loaded);
      expect(model.sizing).toEqual({ maxSide: 2048, multiple: 1, fixed: null });
      const ref = readNpz(join(FIXTURES, 'migan-256-pipeline.ref.npz'));
      const { rgb, hole } = await photoAndHole('ladybird-256.png', 'ladybird-256-mask.png');
      const n = rgb.width * rgb.height;
      // The test's inputs are the reference's: the same photo, and its mask inverted (255 = known).
      expect(rgb.data).toEqual(interleave(ref.image!.data as Uint8Array, n));
      expect(Array.from(hole.data, (v) => (v ? 0 : 255))).toEqual(Array.from(ref.mask!.data as Uint8Array));

      const target = ref.ort_result!.data as Uint8Array;
      const filled = await model.fill(rgb, hole);
      const err = maxHoleError(filled, target, hole);
      console.log(`MI-GAN: max hole error ${err.max}/255 over ${err.pixels} hole pixels`);
      expect(err.pixels).toBe((ref.mask!.data as Uint8Array).filter((v) => v === 0).length);
      expect(err.max).toBeLessThanOrEqual(2);

      // The check can fail: the same file with the mask's polarity flipped is far off.
      const flipped = await inpaintModel(withIo(loaded, (io) => ({ ...io, mask: { ...io.mask, hole: 255, known: 0 } }))).fill(rgb, hole);
      const wrong = maxHoleError(flipped, target, hole);
      console.log(`MI-GAN, mask polarity flipped: max hole error ${wrong.max}/255`);
      expect(wrong.max).toBeGreaterThan(20);
    }, 240_000);

  withFixtures(['lama-256.onnx', 'lama-256.ref.npz', 'dune-256.png', 'dune-256-mask.png'])(
    'LaMa export: detects float 0..1 in, mask 1 = hole, 0..255 out truncated, fixed 256, and matches onnxruntime in the hole', async () => {
      const home = tempDir();
      const reg = new ModelRegistry(home, tempDir());
      const info = await reg.import(join(FIXTURES, 'lama-256.onnx'));
      expect(info).toMatchObject({ id: 'lama-256', kind: 'inpainter', resolution: 256 });
      const card = cardOf(home, info.id);
      expect(card.inpainter).toMatchObject({
        fixed: 256, maxSide: 256,
        io: {
          layout: 'image+mask', names: { image: 'image', mask: 'mask', output: 'output' },
          image: { type: 'float32', range: [0, 1], eraseHole: false },
          mask: { type: 'float32', hole: 1, known: 0 },
          output: { type: 'float32', range: [0, 255], rounding: 'truncate', composited: true },
        },
      });
      expect(card.inpainter!.io!.evidence).toMatchObject({ size: expect.stringMatching(/^declared/), imageRange: expect.stringMatching(/^probe: .*255·in \+ 0/) });

      const loaded = await reg.get(info.id);
      const model = inpaintModel(loaded);
      expect(model.sizing).toEqual({ maxSide: 256, multiple: 1, fixed: 256 });
      const ref = readNpz(join(FIXTURES, 'lama-256.ref.npz'));
      const { rgb, hole } = await photoAndHole('dune-256.png', 'dune-256-mask.png');
      const n = rgb.width * rgb.height;
      expect(Array.from(rgb.data)).toEqual(Array.from(interleave((ref.image!.data as Float32Array).map((v) => Math.round(v * 255)), n)));
      expect(Array.from(hole.data, (v) => (v ? 1 : 0))).toEqual(Array.from(ref.mask!.data as Float32Array));

      const target = ref.ort_output_uint8!.data as Uint8Array;
      const filled = await model.fill(rgb, hole);
      const err = maxHoleError(filled, target, hole);
      console.log(`LaMa: max hole error ${err.max}/255 over ${err.pixels} hole pixels`);
      expect(err.pixels).toBeGreaterThan(1000);
      expect(err.max).toBeLessThanOrEqual(2);

      const flipped = await inpaintModel(withIo(loaded, (io) => ({ ...io, mask: { ...io.mask, hole: 0, known: 1 } }))).fill(rgb, hole);
      const wrong = maxHoleError(flipped, target, hole);
      const scaled = await inpaintModel(withIo(loaded, (io) => ({ ...io, output: { ...io.output, range: [0, 1] } }))).fill(rgb, hole);
      const wrongScale = maxHoleError(scaled, target, hole);
      console.log(`LaMa, mask polarity flipped: max hole error ${wrong.max}/255; output read as 0..1: ${wrongScale.max}/255`);
      expect(wrong.max).toBeGreaterThan(20);
      expect(wrongScale.max).toBeGreaterThan(20);
    }, 240_000);

  withFixtures(['lama-256.onnx', 'lama-256.ref.npz', 'dune-256.png', 'dune-256-mask.png'])(
    'flags override what the probes detect, and the card says so', async () => {
      const home = tempDir();
      const reg = new ModelRegistry(home, tempDir());
      await reg.import(join(FIXTURES, 'lama-256.onnx'), { id: 'lama-told', io: { maskHole: 0, outputRounding: 'round' } });
      const io = cardOf(home, 'lama-told').inpainter!.io!;
      expect(io.mask).toEqual({ type: 'float32', hole: 0, known: 1 });
      expect(io.output.rounding).toBe('round');
      expect(io.evidence!.maskHole).toBe('flag --mask-hole 0 (the probes pointed to 1)');
      expect(io.evidence!.outputRounding).toBe('flag --output-rounding round');
      // Told wrong, it runs as told: the fill no longer matches the reference.
      const ref = readNpz(join(FIXTURES, 'lama-256.ref.npz'));
      const { rgb, hole } = await photoAndHole('dune-256.png', 'dune-256-mask.png');
      const filled = await inpaintModel(await reg.get('lama-told')).fill(rgb, hole);
      expect(maxHoleError(filled, ref.ort_output_uint8!.data as Uint8Array, hole).max).toBeGreaterThan(20);
    }, 240_000);
});

// ---------------------------------------------------------------------------------------------------------------
// Small graphs built here, for what the fixtures do not cover.

/** image [B, 3, H, W] and mask [B, 1, H, W] → out, with `body` wiring the graph. */
function graph(body: (g: GraphBuilder, image: string, mask: string) => string, extraInput = false): Uint8Array {
  const g = new GraphBuilder('test');
  const image = g.input('image', ['batch', 3, 'height', 'width']);
  const mask = g.input('mask', ['batch', 1, 'height', 'width']);
  if (extraInput) g.input('strength', ['batch', 1, 'height', 'width']);
  g.output(body(g, image, mask), 'output', ['batch', 3, 'height', 'width']);
  return g.toBytes();
}

/** Erases the hole (mask 1) but does not composite: sigmoid of a channel-mixing 1×1 conv, no known pixel comes back. */
const MIX = [0, -3, 1.5, 0.7, 1.5, 0, -3, -0.4, -3, 1.5, 0, 0.2];
const nonComposited = () => graph((g, image, mask) => {
  const erased = g.op('Mul', [image, g.op('Sub', [g.scalar('one', 1), mask])]);
  const w = g.const('w', new Float32Array(MIX), [3, 4, 1, 1]);
  const b = g.const('b', new Float32Array([0.1, -0.2, 0.3]), [3]);
  return g.op('Sigmoid', [g.op('Conv', [g.op('Concat', [erased, mask], { axis: 1 }), w, b], { kernel_shape: { ints: [1, 1] } })]);
});

describe('inpainter conventions on small graphs', () => {
  it('refuses a file with three inputs, naming the input layout', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'three.onnx'), graph((g, image, mask) => g.op('Add', [image, g.op('Mul', [mask, 'strength'])]), true));
    const reg = registry();
    await expect(reg.import(join(dir, 'three.onnx'))).rejects.toThrow(/three\.onnx: cannot establish the input layout: it has 3 inputs \(image \[batch, 3, height, width\], mask .*, strength .*\)/);
    expect(reg.list().models).toEqual([]);
  });

  it('refuses a file whose output does not depend on the mask, naming the mask polarity', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'maskless.onnx'), graph((g, image, mask) => g.op('Add', [image, g.op('Mul', [mask, g.scalar('zero', 0)])])));
    await expect(registry().import(join(dir, 'maskless.onnx'))).rejects.toThrow(/maskless\.onnx: cannot establish the mask polarity \(which mask value marks the hole\): the output does not depend on the mask/);
  });

  it('refuses a non-compositing file whose value ranges cannot be measured, then imports it when told them', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'raw.onnx'), nonComposited());
    const home = tempDir();
    const reg = new ModelRegistry(home, tempDir());
    await expect(reg.import(join(dir, 'raw.onnx'))).rejects.toThrow(/raw\.onnx: cannot establish the image range: known pixels do not come back through the output .*; pass --image-range \(0\.\.1, -1\.\.1 or 0\.\.255\) --output-range/);
    expect(readdirSync(join(home, 'models'))).toEqual([]);

    // The polarity was still measured (the graph erases the hole); the ranges come from the flags.
    const m = await reg.import(join(dir, 'raw.onnx'), { io: { imageRange: [0, 1], outputRange: [0, 1] } });
    const card = cardOf(home, m.id);
    expect(card.inpainter).toMatchObject({ multiple: 1, io: { mask: { hole: 1, known: 0 }, image: { range: [0, 1] }, output: { range: [0, 1], rounding: 'round', composited: false } } });
    expect(card.inpainter!.io!.evidence).toMatchObject({ imageRange: 'flag --image-range 0..1', outputRange: 'flag --output-range 0..1', maskHole: expect.stringMatching(/^probe/) });

    // And it runs as told: the fill is the graph's own maths on 0..1 pixels, rounded.
    const w = 9, h = 7, n = w * h;
    const rgb = raster(Uint8Array.from({ length: 3 * n }, (_, i) => (i * 37) % 256), w, h, 3);
    const hole = raster(Uint8Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 255 : 0)), w, h, 1);
    const out = await inpaintModel(await reg.get(m.id)).fill(rgb, hole);
    const bias = [0.1, -0.2, 0.3];
    for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) {
      const known = hole.data[i] ? 0 : 1;
      let z = bias[c]! + MIX[c * 4 + 3]! * (1 - known);
      for (let k = 0; k < 3; k++) z += MIX[c * 4 + k]! * (rgb.data[i * 3 + k]! / 255) * known;
      expect(Math.abs(out.data[i * 3 + c]! - 255 / (1 + Math.exp(-z)))).toBeLessThanOrEqual(0.5 + 1e-3);
    }
  });

  it('detects a one-input [B, 4, H, W] file returning 0..1, and one whose symbolic size hides a fixed 256', async () => {
    const dir = tempDir();
    // input [B, 4, H, W] = RGB in 0..1 then the mask (1 = hole) → a composited 0..1 image with a sigmoid fill.
    const g = new GraphBuilder('stacked');
    const input = g.input('input', ['batch', 4, 'height', 'width']);
    const [rgb, mask] = g.ops('Split', [input, g.int64('split', [3, 1])], { axis: 1 }, 2) as [string, string];
    const known = g.op('Sub', [g.scalar('one', 1), mask]);
    const erased = g.op('Mul', [rgb, known]);
    const fill = g.op('Sigmoid', [g.op('Conv', [g.op('Concat', [erased, mask], { axis: 1 }), g.const('w', new Float32Array(MIX), [3, 4, 1, 1])], { kernel_shape: { ints: [1, 1] } })]);
    g.output(g.op('Add', [erased, g.op('Mul', [fill, mask])]), 'inpainted', ['batch', 3, 'height', 'width']);
    writeFileSync(join(dir, 'stacked.onnx'), g.toBytes());
    // image [B, 3, H, W] reshaped to [1, 3, 256, 256] inside: runs at 256 only, though its dims are symbolic.
    writeFileSync(join(dir, 'only256.onnx'), graph((b, image, m) => {
      const fixed = b.op('Reshape', [image, b.int64('shape', [1, 3, 256, 256])]);
      return b.op('Add', [b.op('Mul', [fixed, b.op('Sub', [b.scalar('one', 1), m])]), b.op('Mul', [m, b.scalar('grey', 0.5)])]);
    }));
    const home = tempDir();
    const reg = new ModelRegistry(home, tempDir());
    await reg.import(join(dir, 'stacked.onnx'));
    await reg.import(join(dir, 'only256.onnx'));
    expect(cardOf(home, 'stacked').inpainter).toMatchObject({
      multiple: 1,
      io: { layout: 'stacked', names: { image: 'input', output: 'inpainted' }, image: { type: 'float32', range: [0, 1] }, mask: { type: 'float32', hole: 1, known: 0 }, output: { range: [0, 1], rounding: 'round', composited: true } },
    });
    expect(cardOf(home, 'stacked').inpainter!.io!.names.mask).toBeUndefined();
    const only = cardOf(home, 'only256');
    expect(only.inpainter).toMatchObject({ fixed: 256, io: { mask: { hole: 1 } } });
    expect(only.inpainter!.io!.evidence!.size).toMatch(/^probe: runs at 256×256 only/);
    // The stacked file fills as its graph says: known pixels back, the hole from the sigmoid of the erased input.
    const w = 8, h = 8, n = w * h;
    const img = raster(Uint8Array.from({ length: 3 * n }, (_, i) => (i * 29) % 256), w, h, 3);
    const hole = raster(Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 255 : 0)), w, h, 1);
    const out = await inpaintModel(await reg.get('stacked')).fill(img, hole);
    for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) {
      const expected = hole.data[i] ? 255 / (1 + Math.exp(-MIX[c * 4 + 3]!)) : img.data[i * 3 + c]!;
      expect(Math.abs(out.data[i * 3 + c]! - expected)).toBeLessThanOrEqual(0.5 + 1e-3);
    }
  });

  it('detects Ganvas\'s own convention in a bare export, and fills exactly as its package does', async () => {
    const dir = tempDir();
    const net = tinyInpainter(3);
    writeFileSync(join(dir, 'own.onnx'), net.toOnnx());
    const shipped = tempDir();
    writePackage(join(shipped, 'pkg'), { id: 'pkg', name: 'pkg', licence: 'CC0-1.0', data: 'none', provenance: { source: 'shipped', parent: null } }, { kind: 'inpainter', G: net });
    const home = tempDir();
    const reg = new ModelRegistry(home, shipped);
    await reg.import(join(dir, 'own.onnx'));
    const card = cardOf(home, 'own');
    expect(card.inpainter).toMatchObject({
      multiple: 4,
      io: { image: { type: 'float32', range: [-1, 1], eraseHole: false }, mask: { type: 'float32', hole: 1, known: 0 }, output: { type: 'float32', range: [-1, 1], rounding: 'round', composited: true } },
    });
    const w = 32, h = 24, n = w * h;
    const rgb = raster(Uint8Array.from({ length: 3 * n }, (_, i) => (i * 53 + (i >> 7)) % 256), w, h, 3);
    const hole = raster(Uint8Array.from({ length: n }, (_, i) => ((i % w) > 8 && (i % w) < 20 && i / w > 6 && i / w < 18 ? 255 : 0)), w, h, 1);
    const imported = await inpaintModel(await reg.get('own')).fill(rgb, hole);
    const own = await inpaintModel(await reg.get('pkg')).fill(rgb, hole);
    expect(imported.data).toEqual(own.data);
  });

  it('ganvas models import: shows what it detected, refuses naming the convention, and takes flags', () => {
    const home = tempDir();
    const file = join(tempDir(), 'raw.onnx');
    writeFileSync(file, nonComposited());
    const bin = join(import.meta.dirname, '..', 'bin', 'ganvas.js');
    const refused = spawnSync(process.execPath, [bin, '--home', home, 'models', 'import', file], { encoding: 'utf8' });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/ganvas: raw\.onnx: cannot establish the image range: .*pass --image-range/);
    const ok = spawnSync(process.execPath, [bin, '--home', home, 'models', 'import', file, '--image-range', '0..1', '--output-range', '0..1', '--output-rounding', 'truncate'], { encoding: 'utf8' });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/installed raw \(inpainter/);
    expect(ok.stdout).toMatch(/image: +float32 in 0\.\.1 +\[flag --image-range 0\.\.1\]/);
    expect(ok.stdout).toMatch(/mask: +float32, 1 = hole, 0 = known +\[probe: pixels under mask = 1 do not reach the output/);
    expect(ok.stdout).toMatch(/output: +float32 in 0\.\.1, truncated to 8 bits/);
    expect(cardOf(home, 'raw').provenance.command).toBe('ganvas models import raw.onnx --image-range 0..1 --output-range 0..1 --output-rounding truncate');
    const bad = spawnSync(process.execPath, [bin, '--home', home, 'models', 'import', file, '--mask-hole', '2'], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--mask-hole.*expected 1, 0 or 255/);
  }, 120_000);
});
