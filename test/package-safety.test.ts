import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelRegistry } from '../engine/runtime/registry.js';
import { writePackage } from '../engine/runtime/write-package.js';
import { tempDir } from './helpers.js';
import { tinyInpainter } from './tiny-nets.js';

const fields = (id: string, source: 'shipped' | 'imported' = 'shipped') => ({ id, name: id, licence: 'CC0-1.0', data: 'none', provenance: { source, parent: null } });

function setup() {
  const home = tempDir();
  const shipped = tempDir();
  writePackage(join(shipped, 'inp'), fields('inp'), { kind: 'inpainter', G: tinyInpainter() });
  const pkg = join(tempDir(), 'mine');
  writePackage(pkg, fields('mine', 'imported'), { kind: 'inpainter', G: tinyInpainter() });
  return { home, shipped, pkg, registry: new ModelRegistry(home, shipped) };
}

const installed = (home: string) => (existsSync(join(home, 'models')) ? readdirSync(join(home, 'models')) : []);

describe('model package imports (issue 12)', () => {
  it('refuses a package file that is a symlink, instead of installing what it points at', async () => {
    const { home, pkg, registry } = setup();
    const onnx = readdirSync(pkg).find((f) => f.endsWith('.onnx'))!;
    const outside = join(tempDir(), 'elsewhere.onnx');
    renameSync(join(pkg, onnx), outside);
    symlinkSync(outside, join(pkg, onnx));
    await expect(registry.import(pkg)).rejects.toThrow(new RegExp(`mine/${onnx.replace('.', '\\.')} is a symbolic link`));
    expect(installed(home)).toEqual([]);
  });

  it('refuses a FIFO named by model.json at once instead of hanging on it', async () => {
    const { home, pkg, registry } = setup();
    const onnx = readdirSync(pkg).find((f) => f.endsWith('.onnx'))!;
    const bytes = readFileSync(join(pkg, onnx));
    execFileSync('rm', [join(pkg, onnx)]);
    execFileSync('mkfifo', [join(pkg, onnx)]);
    const t0 = Date.now();
    await expect(registry.import(pkg)).rejects.toThrow(/not a plain file \(a pipe, socket or device\)/);
    expect(Date.now() - t0).toBeLessThan(5000);
    // A symlink to a FIFO likewise.
    execFileSync('rm', [join(pkg, onnx)]);
    const fifo = join(tempDir(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    symlinkSync(fifo, join(pkg, onnx));
    await expect(registry.import(pkg)).rejects.toThrow(/symbolic link/);
    expect(installed(home)).toEqual([]);
    void bytes;
  }, 15_000);

  it('installs model.json and the files it names only: links and extra files out of the package stay out', async () => {
    const { home, pkg, registry } = setup();
    const secret = tempDir();
    writeFileSync(join(secret, 'id_rsa'), 'PRIVATE');
    symlinkSync(secret, join(pkg, 'leak'));
    symlinkSync(join(secret, 'id_rsa'), join(pkg, 'key'));
    writeFileSync(join(pkg, 'notes.txt'), 'extra');
    const m = await registry.import(pkg);
    expect(m.id).toBe('mine');
    const files = readdirSync(join(home, 'models', 'mine')).sort();
    expect(files).not.toContain('leak');
    expect(files).not.toContain('key');
    expect(files).not.toContain('notes.txt');
    expect(files).toContain('model.json');
  });

  it('refuses a package that claims the id of a shipped model, and ignores one already there', async () => {
    const { home, shipped, registry } = setup();
    const fake = join(tempDir(), 'inp');
    cpSync(join(shipped, 'inp'), fake, { recursive: true });
    const card = JSON.parse(readFileSync(join(fake, 'model.json'), 'utf8'));
    card.provenance.source = 'imported';
    writeFileSync(join(fake, 'model.json'), JSON.stringify(card));
    await expect(registry.import(fake)).rejects.toThrow(/inp is the id of a model shipped with Ganvas/);
    mkdirSync(join(home, 'models'), { recursive: true });
    cpSync(fake, join(home, 'models', 'inp'), { recursive: true });
    const { models, problems } = registry.list();
    expect(models.filter((m) => m.id === 'inp').map((m) => m.source)).toEqual(['shipped']);
    expect(problems.join()).toMatch(/may not take the id of a shipped model/);
  });

  it('cleans staging left by a killed import on start, and never names a staging folder in an error', async () => {
    const { home, shipped, pkg } = setup();
    const models = join(home, 'models');
    mkdirSync(join(models, '.import-999999999-abcdef'), { recursive: true }); // a pid that does not run
    mkdirSync(join(models, '.import-0123456789ab'), { recursive: true }); // the old, pid-less form
    mkdirSync(join(models, `.import-${process.pid}-abcdef`), { recursive: true }); // a live import: kept
    const registry = new ModelRegistry(home, shipped);
    expect(installed(home)).toEqual([`.import-${process.pid}-abcdef`]);
    const w = readdirSync(pkg).find((f) => f.endsWith('.onnx'))!;
    const b = readFileSync(join(pkg, w));
    b[b.length - 1] = b[b.length - 1]! ^ 0xff;
    writeFileSync(join(pkg, w), b);
    const err = await registry.import(pkg).catch((e: Error) => e);
    expect(String(err)).toMatch(/mine: the files do not match/);
    expect(String(err)).not.toMatch(/\.import-/);
  });

  it('says what is wrong with a folder without model.json and with a FIFO given as the file', async () => {
    const { registry } = setup();
    const dir = tempDir();
    await expect(registry.import(dir)).rejects.toThrow(/is a folder without model\.json: import a model package folder, or an \.onnx file/);
    const fifo = join(dir, 'x.onnx');
    execFileSync('mkfifo', [fifo]);
    await expect(registry.import(fifo)).rejects.toThrow(/not a file or a folder/);
  });
});
