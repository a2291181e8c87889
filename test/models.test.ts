import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../engine/engine.js';
import { ModelRegistry } from '../engine/runtime/registry.js';
import { writePackage } from '../engine/runtime/write-package.js';
import { ProjectStore } from '../engine/store/project-store.js';
import { tempDir } from './helpers.js';
import { tinyGenerator, tinyInpainter } from './tiny-nets.js';

const fields = (id: string) => ({ id, name: id, licence: 'CC0-1.0', data: 'none', provenance: { source: 'shipped' as const, parent: null } });

function setup() {
  const home = tempDir();
  const shipped = tempDir();
  writePackage(join(shipped, 'gen'), fields('gen'), { kind: 'generator', G: tinyGenerator() });
  writePackage(join(shipped, 'inp'), fields('inp'), { kind: 'inpainter', G: tinyInpainter() });
  return { home, shipped, registry: new ModelRegistry(home, shipped) };
}

const editCard = (dir: string, edit: (card: Record<string, any>) => void) => {
  const card = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  edit(card);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(card));
};

describe('model packages', () => {
  it('lists packages and opens checked onnxruntime sessions for them', async () => {
    const { registry } = setup();
    const { models, problems } = registry.list();
    expect(problems).toEqual([]);
    expect(models.map((m) => [m.id, m.kind, m.resolution, m.styleBased])).toEqual([['gen', 'generator', 16, true], ['inp', 'inpainter', 32, false]]);
    const gen = await registry.get('gen');
    expect(Object.keys(gen.sessions).sort()).toEqual(['mapping', 'synthesis']);
    const inp = await registry.get('inp');
    const out = await inp.sessions.inpainter!.run({ image: { data: new Float32Array(3 * 32 * 32), dims: [1, 3, 32, 32] }, mask: { data: new Float32Array(32 * 32).fill(1), dims: [1, 1, 32, 32] } });
    expect(out.output!.dims).toEqual([1, 3, 32, 32]);
  });

  it('imports a bare ONNX inpainter after checking its signature, and refuses a second with the same id', async () => {
    const { home, registry } = setup();
    const file = join(tempDir(), 'my-inpainter.onnx');
    writeFileSync(file, tinyInpainter(4).toOnnx());
    const m = await registry.import(file, { licence: 'MIT' });
    expect(m).toMatchObject({ id: 'my-inpainter', kind: 'inpainter', source: 'imported', licence: 'MIT' });
    expect(registry.list().models.map((x) => x.id)).toContain('my-inpainter');
    await expect(registry.import(file)).rejects.toThrow(/already installed/);
    expect(home).toBeTruthy();
  });

  it('refuses ONNX files whose inputs do not match, naming the mismatch, and installs nothing', async () => {
    const { registry, home } = setup();
    const dir = tempDir();
    // A mapping network has two inputs, like an inpainter, but they are z [B, 16] and psi [1].
    writeFileSync(join(dir, 'wrong.onnx'), tinyGenerator().mapping.toOnnx());
    await expect(registry.import(join(dir, 'wrong.onnx'))).rejects.toThrow(/wrong\.onnx: input z has shape \[batch, 16\]; image \[B, 3, H, W\] must be \[\?, 3, \?, \?\], so the input layout \(image \+ mask\) cannot be established/);
    writeFileSync(join(dir, 'junk.onnx'), 'not a model at all');
    await expect(registry.import(join(dir, 'junk.onnx'))).rejects.toThrow(/junk\.onnx is not a model onnxruntime can load/);
    const real = tinyInpainter().toOnnx();
    writeFileSync(join(dir, 'cut.onnx'), real.subarray(0, real.length >> 1));
    await expect(registry.import(join(dir, 'cut.onnx'))).rejects.toThrow(/cut\.onnx is not a model onnxruntime can load/);
    expect(registry.list().models.map((m) => m.id)).toEqual(['gen', 'inp']);
    expect(spawnSync('ls', ['-A', join(home, 'models')], { encoding: 'utf8' }).stdout.trim()).toBe('');
  });

  it('refuses a package whose model.json lies about shapes, whose weights do not fit, or whose files changed', async () => {
    const { registry, shipped } = setup();
    const liar = join(tempDir(), 'liar');
    cpSync(join(shipped, 'gen'), liar, { recursive: true });
    editCard(liar, (c) => { c.id = 'liar'; c.generator.numWs = 12; });
    await expect(registry.import(liar)).rejects.toThrow(/synthesis\.onnx: input ws has shape \[batch, 6, 16\]; ws \[B, 12, 16\] must be \[\?, 12, 16\]/);

    const wrongWeights = join(tempDir(), 'wrongweights');
    cpSync(join(shipped, 'gen'), wrongWeights, { recursive: true });
    editCard(wrongWeights, (c) => { c.id = 'wrongweights'; c.generator.channels['16'] = 12; });
    await expect(registry.import(wrongWeights)).rejects.toThrow(/weights do not fit the network model\.json describes: G_ema\.synthesis\.blocks\.2\.conv0\.bias has shape \[8\] but the net needs \[12\]/);

    const changed = join(tempDir(), 'changed');
    cpSync(join(shipped, 'gen'), changed, { recursive: true });
    const w = readFileSync(join(changed, 'weights.gnvw'));
    w[w.length - 1] = w[w.length - 1]! ^ 0xff;
    writeFileSync(join(changed, 'weights.gnvw'), w);
    await expect(registry.import(changed)).rejects.toThrow(/do not match model\.json's hash/);
    expect(registry.list().models.map((m) => m.id)).toEqual(['gen', 'inp']);
  });

  it('are recorded in a project when it is opened, and shown by models.list', async () => {
    const { home, shipped } = setup();
    const engine = new Engine({ host: 'cli', hostDetail: 'test', home, shippedModels: shipped });
    const file = join(home, 'p.ganvas');
    engine.projects.create('p', 100, 100, file);
    const listed = await engine.handlers['models.list']({});
    expect(listed.map((m) => m.id)).toEqual(['gen', 'inp']);
    engine.close();
    const store = ProjectStore.open(file);
    expect(store.models().map((m) => [m.id, m.hash])).toEqual(listed.map((m) => [m.id, m.hash]));
    store.close();
  });

  it('ganvas models list/import on the command line', () => {
    const { home, shipped } = setup();
    const bin = join(import.meta.dirname, '..', 'bin', 'ganvas.js');
    const file = join(tempDir(), 'wrong.onnx');
    writeFileSync(file, tinyGenerator().mapping.toOnnx());
    const r = spawnSync(process.execPath, [bin, '--home', home, 'models', 'import', file], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/ganvas: wrong\.onnx: input z has shape/);
    const inp = join(tempDir(), 'extra.onnx');
    writeFileSync(inp, tinyInpainter().toOnnx());
    expect(execFileSync(process.execPath, [bin, '--home', home, 'models', 'import', inp, '--licence', 'MIT'], { encoding: 'utf8' })).toMatch(/installed extra \(inpainter/);
    const list = execFileSync(process.execPath, [bin, '--home', home, 'models', 'list'], { encoding: 'utf8', env: { ...process.env } });
    expect(list).toMatch(/extra\s+inpainter/);
    expect(list).toMatch(/licence: MIT/);
    void shipped;
  });
});

describe('models.importFile (an .onnx dropped on the editor)', () => {
  it('installs the bytes under their file name, and a second drop of the same id is refused without a trace', async () => {
    const { home, shipped } = setup();
    const engine = new Engine({ host: 'cli', hostDetail: 'test', home, shippedModels: shipped });
    const bytes = tinyInpainter(9).toOnnx();
    const info = await engine.handlers['models.importFile']({ name: 'My Inpainter.onnx', bytes });
    expect([info.kind, info.source]).toEqual(['inpainter', 'imported']);
    const installed = await engine.registry.get(info.id);
    expect(Buffer.from(readFileSync(join(installed.dir, installed.card.files.inpainter!))).equals(Buffer.from(bytes))).toBe(true);
    await expect(engine.handlers['models.importFile']({ name: 'My Inpainter.onnx', bytes })).rejects.toThrow(/already installed/);
    expect(engine.models.list().filter((m) => m.id === info.id)).toHaveLength(1);
    engine.close();
  });
});
