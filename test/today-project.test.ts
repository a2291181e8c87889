import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Engine } from '../engine/engine.js';
import { ProjectStore } from '../engine/store/project-store.js';
import { migrations } from '../engine/store/migrations.js';
import { tempDir } from './helpers.js';

// A project made on the day op versions were introduced (schema v3, no op_version column) by
// test/fixtures/make-today-project.ts with the shipped models: import, move, inpaint, latent.place, latent.edit.
const fixtures = join(import.meta.dirname, 'fixtures', 'projects');
const expected = JSON.parse(readFileSync(join(fixtures, 'today.expected.json'), 'utf8'));

function copyOfToday(): { home: string; file: string } {
  const home = tempDir();
  const file = join(home, 'today.ganvas');
  copyFileSync(join(fixtures, 'today.ganvas'), file); // opening migrates it: never the committed file itself
  return { home, file };
}

const newEngine = (home: string) => new Engine({ host: 'cli', hostDetail: 'test', home });
const rgba = async (png: Uint8Array) => sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
const withoutPath = <T extends { path: string }>({ path: _p, ...rest }: T) => rest;

describe("a project file in today's format", () => {
  it('is a schema v3 file of five edits, as made (the fixture itself is not a newer file)', () => {
    const { file } = copyOfToday(); // even a read-only connection leaves -wal and -shm beside the file it reads
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    expect(db.prepare('SELECT kind FROM edits ORDER BY id').pluck().all()).toEqual(['layer.add', 'layer.update', 'inpaint', 'latent.place', 'latent.edit']);
    db.close();
  });

  it('reopens (migrated to the current schema, its edits stamped v1) with exactly the document and history it was saved with', async () => {
    const { home, file } = copyOfToday();
    const engine = newEngine(home);
    const state = engine.projects.open(file);
    expect(withoutPath(state)).toEqual(expected.state);
    expect((await engine.handlers['history.list']({})).map(({ createdAt: _c, ...h }) => h)).toEqual(expected.history);
    engine.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    expect(db.prepare('SELECT DISTINCT op_version FROM edits').pluck().all()).toEqual([1]);
    db.close();
  });

  it('re-renders each generated edit pixel-exactly with the shipped models', async () => {
    const { home, file } = copyOfToday();
    const engine = newEngine(home);
    engine.projects.open(file);
    const [photo, inpainted, face] = expected.state.layers as { assetHash: string }[];
    const stored = async (hash: string) => (await engine.handlers['asset.get']({ hash })).bytes;

    // edit 3, the inpaint: its result layer's pixels, which keep the photo's away from the hole (30..60 × 20..44)
    const inpaint = await engine.handlers['history.rerender']({ editId: 3 });
    expect(inpaint.identical).toBe(true);
    const again = await rgba(inpaint.png), kept = await rgba(await stored(inpainted!.assetHash)), source = await rgba(await stored(photo!.assetHash));
    expect(again.data.equals(kept.data)).toBe(true);
    let changedInHole = 0;
    for (let y = 0; y < 72; y++) for (let x = 0; x < 96; x++) {
      const i = (y * 96 + x) * 4;
      const same = again.data.subarray(i, i + 4).equals(source.data.subarray(i, i + 4));
      if (x >= 30 && x < 60 && y >= 20 && y < 44) changedInHole += same ? 0 : 1;
      else if (x < 22 || x >= 68 || y < 12 || y >= 52) expect(same).toBe(true);
    }
    expect(changedInHole).toBeGreaterThan(30 * 24 / 2);

    // edit 5, the latent edit: the face layer as it is now
    const edit = await engine.handlers['history.rerender']({ editId: 5 });
    expect(edit.identical).toBe(true);
    expect((await rgba(edit.png)).data.equals((await rgba(await stored(face!.assetHash))).data)).toBe(true);

    // edit 4, the placed sample: the face layer as it was before edit 5
    const before5 = (await engine.handlers['history.undo']({})).layers[2]!;
    expect(before5.assetHash).not.toBe(face!.assetHash);
    const place = await engine.handlers['history.rerender']({ editId: 4 });
    expect(place.identical).toBe(true);
    expect((await rgba(place.png)).data.equals((await rgba(await stored(before5.assetHash))).data)).toBe(true);
    expect(place.png).not.toEqual(edit.png);
    engine.close();
  });

  it('undoes and redoes across a reopen, and takes new edits at the current op versions', async () => {
    const { home, file } = copyOfToday();
    let engine = newEngine(home);
    engine.projects.open(file);
    const photoId = expected.state.layers[0].id as string;
    let s = await engine.handlers['history.undo']({});
    s = await engine.handlers['history.undo']({});
    s = await engine.handlers['history.undo']({});
    // at edit 2: the photo moved to (4, 3) at 90 %, nothing above it
    expect(s).toMatchObject({ headEditId: 2, width: 96, height: 72, redoLabel: 'Inpaint photo.png', undoLabel: 'Move photo.png' });
    expect(s.layers).toEqual([{ ...expected.state.layers[0] }]);
    engine.close();

    engine = newEngine(home);
    s = engine.projects.open(file);
    expect(s).toMatchObject({ headEditId: 2, canRedo: true, redoLabel: 'Inpaint photo.png' });
    s = await engine.handlers['history.undo']({});
    expect(s.layers).toEqual([{ ...expected.state.layers[0], x: 0, y: 0, opacity: 1 }]); // as imported, centred
    s = await engine.handlers['history.undo']({});
    expect(s).toMatchObject({ headEditId: null, layers: [], width: 640, height: 480, canUndo: false });
    for (let i = 0; i < 5; i++) s = await engine.handlers['history.redo']({});
    expect(withoutPath(s)).toEqual(expected.state);
    s = await engine.handlers['layer.update']({ id: photoId, patch: { visible: false } });
    expect(s).toMatchObject({ headEditId: 6, undoLabel: 'Hide photo.png' });
    engine.close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT op_version FROM edits WHERE id = 6').pluck().get()).toBe(1);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });

  it('damaged before it was ever migrated, recovers its good edits into a current file that still re-renders them', async () => {
    const { home, file } = copyOfToday();
    const db = new Database(file);
    db.exec(`UPDATE edits SET params = json_set(params, '$.layer.latent', NULL) WHERE id = 4`); // a placed sample without its latent
    db.close();
    expect(() => ProjectStore.open(file)).toThrow(/^this project is damaged at edit 4: its parameters are not a valid latent.place v1 op \(layer.latent: /);
    const out = join(home, 'recovered.ganvas');
    const report = ProjectStore.recover(file, out);
    expect(report).toMatchObject({ kept: 3, total: 5, head: 3 });
    const old = new Database(file, { readonly: true });
    expect(old.pragma('user_version', { simple: true })).toBe(3); // the damaged file was only read
    old.close();
    const engine = newEngine(home);
    const state = engine.projects.open(out);
    expect(state.layers).toEqual(expected.state.layers.slice(0, 2));
    expect((await engine.handlers['history.rerender']({ editId: 3 })).identical).toBe(true);
    engine.close();
  });
});
