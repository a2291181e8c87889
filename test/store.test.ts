import Database from 'better-sqlite3';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../engine/api/errors.js';
import { Engine } from '../engine/engine.js';
import { migrations } from '../engine/store/migrations.js';
import { ProjectStore } from '../engine/store/project-store.js';
import { makePng, tempDir } from './helpers.js';

const newEngine = (home: string) => new Engine({ host: 'cli', hostDetail: 'test', home });

describe('project store', () => {
  it('records imports, moves and visibility as edits, and undo/redo survive a restart', async () => {
    const home = tempDir();
    const file = join(home, 'p.ganvas');
    let engine = newEngine(home);
    engine.projects.create('P', 640, 480, file);
    let s = await engine.layers.import('a.png', await makePng(200, 100, 1));
    expect(s.width).toBe(200); // the first image sizes an empty project
    expect(s.layers).toHaveLength(1);
    const id = s.layers[0]!.id;
    s = await engine.handlers['layer.update']({ id, patch: { x: 40, y: -7 } });
    s = await engine.handlers['layer.update']({ id, patch: { visible: false } });
    expect(s.layers[0]).toMatchObject({ x: 40, y: -7, visible: false });
    s = await engine.handlers['history.undo']({});
    expect(s.layers[0]).toMatchObject({ x: 40, y: -7, visible: true });
    expect(s.redoLabel).toBe('Hide a.png');
    engine.close();

    engine = newEngine(home);
    s = engine.projects.open(file);
    expect(s.layers[0]).toMatchObject({ id, x: 40, y: -7, visible: true });
    expect(s.canRedo).toBe(true);
    s = await engine.handlers['history.redo']({});
    expect(s.layers[0]!.visible).toBe(false);
    expect((await engine.handlers['history.list']({})).map((h) => h.label)).toEqual(['Import a.png', 'Move a.png', 'Hide a.png']);
    engine.close();
  });

  it('a new edit after undo starts a branch that redo follows; the old state is still replayable', async () => {
    const home = tempDir();
    const engine = newEngine(home);
    engine.projects.create('P', 64, 64, join(home, 'p.ganvas'));
    let s = await engine.layers.import('a.png', await makePng(32, 32, 1));
    const id = s.layers[0]!.id;
    const moved = await engine.handlers['layer.update']({ id, patch: { x: 5 } });
    await engine.handlers['history.undo']({});
    s = await engine.handlers['layer.update']({ id, patch: { opacity: 0.25 } });
    expect(s.layers[0]).toMatchObject({ x: 0, opacity: 0.25 });
    expect(s.canRedo).toBe(false);
    await engine.handlers['history.undo']({});
    s = await engine.handlers['history.redo']({});
    expect(s.layers[0]!.opacity).toBe(0.25);
    const store = ProjectStore.open(join(home, 'p.ganvas'));
    expect(store.stateAt(moved.headEditId).layers[0]!.x).toBe(5);
    store.close();
    engine.close();
  });

  it('reorders and deletes layers, and refuses edits to layers that do not exist without writing anything', async () => {
    const home = tempDir();
    const engine = newEngine(home);
    engine.projects.create('P', 64, 64, join(home, 'p.ganvas'));
    await engine.layers.import('a.png', await makePng(16, 16, 1));
    let s = await engine.layers.import('b.png', await makePng(16, 16, 2));
    const [a, b] = s.layers.map((l) => l.id);
    s = await engine.handlers['layer.reorder']({ id: b!, index: 0 });
    expect(s.layers.map((l) => l.id)).toEqual([b, a]);
    s = await engine.handlers['layer.delete']({ id: b! });
    expect(s.layers.map((l) => l.id)).toEqual([a]);
    const before = s.headEditId;
    await expect((async () => engine.handlers['layer.update']({ id: 'nope', patch: { x: 1 } }))()).rejects.toMatchObject({ code: 'not_found' });
    expect((await engine.handlers['project.state']({})).headEditId).toBe(before);
    engine.close();
  });

  it('stores identical bytes once (content addressing)', async () => {
    const home = tempDir();
    const file = join(home, 'p.ganvas');
    const engine = newEngine(home);
    engine.projects.create('P', 64, 64, file);
    const png = await makePng(20, 20, 3);
    await engine.layers.import('a.png', png);
    await engine.layers.import('a-again.png', png);
    engine.close();
    const db = new Database(file, { readonly: true });
    expect((db.prepare('SELECT COUNT(*) n FROM assets').get() as { n: number }).n).toBe(1);
    expect((db.prepare('SELECT COUNT(*) n FROM edits').get() as { n: number }).n).toBe(2);
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('refuses a non-image and a truncated image without adding an edit', async () => {
    const home = tempDir();
    const engine = newEngine(home);
    engine.projects.create('P', 64, 64, join(home, 'p.ganvas'));
    const png = await makePng(300, 300, 4);
    await expect(engine.layers.import('notes.txt', new TextEncoder().encode('hello'))).rejects.toMatchObject({ code: 'bad_image' });
    await expect(engine.layers.import('cut.png', png.slice(0, png.length >> 1))).rejects.toThrow(/truncated or corrupt/);
    const s = await engine.handlers['project.state']({});
    expect(s.layers).toHaveLength(0);
    expect(s.headEditId).toBeNull();
    engine.close();
  });

  it('refuses files that are not Ganvas projects and leaves them untouched', () => {
    const home = tempDir();
    const text = join(home, 'notes.ganvas');
    writeFileSync(text, 'just some text, long enough to look like a header '.repeat(4));
    const foreign = join(home, 'other.db');
    const db = new Database(foreign);
    db.exec('CREATE TABLE t (x)');
    db.close();
    const foreignBytes = readFileSync(foreign);
    const engine = newEngine(home);
    expect(() => engine.projects.open(text)).toThrow(/not a Ganvas project \(not a SQLite database\)/);
    expect(() => engine.projects.open(foreign)).toThrow(/SQLite database but not a Ganvas project/);
    expect(() => engine.projects.open(join(home, 'missing.ganvas'))).toThrow(EngineError);
    expect(readFileSync(foreign).equals(foreignBytes)).toBe(true);
  });

  it('exports the composite of visible layers with their opacity and position', async () => {
    const home = tempDir();
    const engine = newEngine(home);
    engine.projects.create('P', 4, 4, join(home, 'p.ganvas'));
    const sharp = (await import('sharp')).default;
    const solid = async (r: number, g: number, b: number, size: number) =>
      new Uint8Array(await sharp({ create: { width: size, height: size, channels: 4, background: { r, g, b, alpha: 1 } } }).png().toBuffer());
    let s = await engine.layers.import('red', await solid(255, 0, 0, 4));
    s = await engine.layers.import('blue', await solid(0, 0, 255, 2));
    const blue = s.layers[1]!.id;
    await engine.handlers['layer.update']({ id: blue, patch: { x: 3, y: 3, opacity: 0.5 } }); // hangs off the corner
    const { png, width, height } = await engine.handlers['project.export']({});
    expect([width, height]).toEqual([4, 4]);
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const px = (x: number, y: number) => Array.from(data.subarray((y * 4 + x) * 4, (y * 4 + x) * 4 + 4));
    expect(px(0, 0)).toEqual([255, 0, 0, 255]);
    expect(px(3, 3)).toEqual([128, 0, 128, 255]);
    await engine.handlers['layer.update']({ id: s.layers[0]!.id, patch: { visible: false } });
    const hidden = await sharp((await engine.handlers['project.export']({})).png).raw().toBuffer();
    expect(Array.from(hidden.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    engine.close();
  });
});
